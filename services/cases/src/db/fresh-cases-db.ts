import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@huijie/database/migrate.ts';
import { postgresClient, type SqlClient } from '@huijie/database/sql-client.ts';
import { freshDatabase } from '@huijie/testing/servers.ts';
import { type CasesDb, casesDb, casesMigrationsDir, casesSchema, migrateCases } from './prisma.ts';

/** For integration tests: a new database on the server, migrated, with the cases client on it. */
export async function freshCasesDb(serverUrl: string): Promise<{ db: CasesDb; drop: () => Promise<void> }> {
  const database = await freshDatabase(serverUrl);
  const sql = postgresClient(database.url, { max: 1 });
  await migrateCases(sql);
  await sql.close();
  const db = casesDb({ kind: 'postgres', url: database.url });
  return {
    db,
    drop: async () => {
      await db.$disconnect();
      await database.drop();
    },
  };
}

/**
 * For a data migration's test: a new database migrated up to, not including, `migration` — the
 * database as the code before it left it — with a connection to write that code's rows and then
 * apply the rest (`migrate(sql, { migrationsDir: casesMigrationsDir, schema: casesSchema })`).
 */
export async function casesDbBefore(
  serverUrl: string,
  migration: string,
): Promise<{ url: string; sql: SqlClient; cleanup: () => Promise<void> }> {
  const database = await freshDatabase(serverUrl);
  const sql = postgresClient(database.url, { max: 1 });
  const earlier = mkdtempSync(join(tmpdir(), 'huijie-migrations-'));
  for (const name of readdirSync(casesMigrationsDir)) {
    if (name < migration) cpSync(join(casesMigrationsDir, name), join(earlier, name), { recursive: true });
  }
  await migrate(sql, { migrationsDir: earlier, schema: casesSchema });
  rmSync(earlier, { recursive: true, force: true });
  return {
    url: database.url,
    sql,
    cleanup: async () => {
      await sql.close();
      await database.drop();
    },
  };
}
