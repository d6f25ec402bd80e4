import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@huijie/database/migrate.ts';
import { postgresClient, type SqlClient } from '@huijie/database/sql-client.ts';
import { freshDatabase } from './servers.ts';

/**
 * For a data migration's test: a new database migrated up to, not including, `migration` — the
 * database as the code before it left it — with a connection to write that code's rows and then
 * apply the rest (`migrate(sql, { migrationsDir, schema })`).
 */
export async function databaseBefore(
  serverUrl: string,
  service: { migrationsDir: string; schema: string },
  migration: string,
): Promise<{ url: string; sql: SqlClient; cleanup: () => Promise<void> }> {
  const database = await freshDatabase(serverUrl);
  const sql = postgresClient(database.url, { max: 1 });
  const earlier = mkdtempSync(join(tmpdir(), 'huijie-migrations-'));
  for (const name of readdirSync(service.migrationsDir)) {
    if (name < migration) cpSync(join(service.migrationsDir, name), join(earlier, name), { recursive: true });
  }
  await migrate(sql, { migrationsDir: earlier, schema: service.schema });
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
