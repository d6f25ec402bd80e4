import { postgresClient } from '@huijie/database/sql-client.ts';
import { databaseBefore } from '@huijie/testing/database-before.ts';
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
export const casesDbBefore = (serverUrl: string, migration: string) =>
  databaseBefore(serverUrl, { migrationsDir: casesMigrationsDir, schema: casesSchema }, migration);
