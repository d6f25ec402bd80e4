import { postgresClient } from '@huijie/database/sql-client.ts';
import { freshDatabase } from '@huijie/testing/servers.ts';
import { type CasesDb, casesDb, migrateCases } from './prisma.ts';

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
