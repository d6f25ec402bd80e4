import { postgresClient } from '@huijie/database/sql-client.ts';
import { freshDatabase } from '@huijie/testing/servers.ts';
import { migrateNotify, type NotifyDb, notifyDb } from './prisma.ts';

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
