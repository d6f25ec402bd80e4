import { postgresClient } from '@huijie/database/sql-client.ts';
import { databaseBefore } from '@huijie/testing/database-before.ts';
import { freshDatabase } from '@huijie/testing/servers.ts';
import { migrateNotify, type NotifyDb, notifyDb, notifyMigrationsDir, notifySchema } from './prisma.ts';

/** For integration tests: a new database on the server, migrated, with the notify client on it. */
export async function freshNotifyDb(
  serverUrl: string,
): Promise<{ db: NotifyDb; url: string; drop: () => Promise<void> }> {
  const database = await freshDatabase(serverUrl);
  const sql = postgresClient(database.url, { max: 1 });
  await migrateNotify(sql);
  await sql.close();
  const db = notifyDb({ kind: 'postgres', url: database.url });
  return {
    db,
    url: database.url,
    drop: async () => {
      await db.$disconnect();
      await database.drop();
    },
  };
}

/**
 * For a data migration's test: a new database migrated up to, not including, `migration` — the
 * database as the code before it left it — with a connection to write that code's rows and then
 * apply the rest (`migrate(sql, { migrationsDir: notifyMigrationsDir, schema: notifySchema })`).
 */
export const notifyDbBefore = (serverUrl: string, migration: string) =>
  databaseBefore(serverUrl, { migrationsDir: notifyMigrationsDir, schema: notifySchema }, migration);
