import { join } from 'node:path';
import { type MigrationLogger, migrate } from '@huijie/database/migrate.ts';
import { type DatabaseTarget, prismaAdapterFor } from '@huijie/database/prisma-adapter.ts';
import type { SqlClient } from '@huijie/database/sql-client.ts';
import { PrismaClient } from '../generated/prisma/client.ts';

export type NotifyDb = PrismaClient;

export const notifySchema = 'notify';
export const notifyMigrationsDir = join(import.meta.dirname, '..', '..', 'prisma', 'migrations');

export function notifyDb(target: DatabaseTarget): NotifyDb {
  return new PrismaClient({ adapter: prismaAdapterFor(target) });
}

export function migrateNotify(sql: SqlClient, logger?: MigrationLogger): Promise<string[]> {
  return migrate(sql, {
    migrationsDir: notifyMigrationsDir,
    schema: notifySchema,
    ...(logger && { logger }),
  });
}
