import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { migrate } from '@huijie/database/migrate.ts';
import type { SqlClient } from '@huijie/database/sql-client.ts';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.ts';

export type CasesDb = PrismaClient;

/** The cases service's schema in PostgreSQL: its tables and its migration history live there. */
export const casesSchema = 'cases';
export const migrationsDir = join(import.meta.dirname, '..', '..', 'prisma', 'migrations');

export function prismaOnPostgres(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
}

/** Standalone mode: the same client on the shared embedded database. */
export function prismaOnPglite(db: PGlite): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPGlite(db) });
}

export function migrateCases(sql: SqlClient): Promise<string[]> {
  return migrate(sql, { migrationsDir, schema: casesSchema });
}
