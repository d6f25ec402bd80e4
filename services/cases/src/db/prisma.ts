import { join } from 'node:path';
import { type MigrationLogger, migrate } from '@huijie/database/migrate.ts';
import { type DatabaseTarget, prismaAdapterFor } from '@huijie/database/prisma-adapter.ts';
import type { SqlClient } from '@huijie/database/sql-client.ts';
import { PrismaClient } from '../generated/prisma/client.ts';

export type CasesDb = PrismaClient;

/** The cases service's schema in PostgreSQL: its tables and its migration history live there. */
export const casesSchema = 'cases';
export const casesMigrationsDir = join(import.meta.dirname, '..', '..', 'prisma', 'migrations');

export function casesDb(target: DatabaseTarget): CasesDb {
  return new PrismaClient({ adapter: prismaAdapterFor(target) });
}

export function migrateCases(sql: SqlClient, logger?: MigrationLogger): Promise<string[]> {
  return migrate(sql, { migrationsDir: casesMigrationsDir, schema: casesSchema, ...(logger && { logger }) });
}
