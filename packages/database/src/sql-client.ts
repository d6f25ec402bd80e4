import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

export interface QueryResult<T> {
  rows: T[];
}

/** What a transaction body can do: queries on the transaction's connection. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/**
 * The one SQL interface infrastructure code uses (the event log, migrations, readiness checks),
 * so the same code runs on PostgreSQL and on embedded PostgreSQL.
 */
export interface SqlClient extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function postgresClient(connectionString: string, options: { max?: number } = {}): SqlClient {
  // A server that silently stops answering fails a new connection in seconds, not minutes.
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    query: async <T>(text: string, params?: unknown[]) =>
      (await pool.query(text, params)) as unknown as QueryResult<T>,
    async transaction(body) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await body({
          query: async <T>(text: string, params?: unknown[]) =>
            (await client.query(text, params)) as unknown as QueryResult<T>,
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Wraps an open PGlite database (shared with Prisma in standalone mode, so it is not owned here). */
export function pgliteClient(db: PGlite, options: { owned?: boolean } = {}): SqlClient {
  return {
    kind: 'pglite',
    query: async (text, params) => db.query(text, params),
    transaction: (body) =>
      db.transaction((tx) => body({ query: async (text, params) => tx.query(text, params) })),
    close: async () => {
      if (options.owned) await db.close();
    },
  };
}

/**
 * PostgreSQL's shared buffers for an embedded database. initdb sizes them for a server (128 MB),
 * and PGlite keeps all of them resident in its WASM memory from the start, used or not; the
 * operating system's file cache still holds what they do not.
 */
export const pgliteSharedBuffers = '16MB';

/** Opens (creating on first use) an embedded PostgreSQL data directory; `memory://` for a throwaway one. */
export async function openPglite(dataDir: string): Promise<PGlite> {
  const options = {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${pgliteSharedBuffers}`],
  };
  // PGlite makes a new directory with initdb in a second, temporary instance, whose WASM memory
  // (some 350 MB) stays in the process until V8's next full collection, which an idle service may
  // not reach for hours. A new directory on disk is therefore made by a child process that exits.
  if (!dataDir.includes('://') && !existsSync(join(dataDir, 'PG_VERSION'))) {
    await execFileAsync(process.execPath, [
      '-e',
      `require(${JSON.stringify(require.resolve('@electric-sql/pglite'))}).PGlite.create(process.argv[1], JSON.parse(process.argv[2])).then((db) => db.close());`,
      dataDir,
      JSON.stringify(options),
    ]);
  }
  const db = await PGlite.create(dataDir, options);
  await db.waitReady;
  return db;
}
