import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** Where a service's Prisma client talks to: PostgreSQL, or the embedded database in standalone mode. */
export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; db: PGlite };

/** The Prisma driver adapter for a target; each service builds its own generated client on it. */
export function prismaAdapterFor(target: DatabaseTarget): PrismaPg | PrismaPGlite {
  return target.kind === 'postgres'
    ? new PrismaPg({
        connectionString: target.url,
        max: target.poolSize ?? 10,
        // A database that silently stops answering fails a new connection in seconds (and the
        // runner retries it as "database unavailable") instead of hanging a handler for minutes.
        connectionTimeoutMillis: 5_000,
      })
    : new PrismaPGlite(target.db);
}
