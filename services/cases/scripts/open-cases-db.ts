import { join } from 'node:path';
import { openPglite } from '@huijie/database/sql-client.ts';
import { type CasesDb, casesDb } from '../src/db/prisma.ts';

/**
 * The cases database a script works on: PostgreSQL at `DATABASE_URL`, else the standalone
 * platform's embedded one in `DATA_DIR` (written to disk when it closes: always call `close`).
 */
export async function openCasesDb(config: {
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
}): Promise<{ db: CasesDb; close: () => Promise<void> }> {
  if (config.DATABASE_URL) {
    const db = casesDb({ kind: 'postgres', url: config.DATABASE_URL });
    return { db, close: () => db.$disconnect() };
  }
  const pglite = await openPglite(join(config.DATA_DIR, 'pglite'));
  const db = casesDb({ kind: 'pglite', db: pglite });
  return {
    db,
    close: async () => {
      await db.$disconnect();
      await pglite.close();
    },
  };
}
