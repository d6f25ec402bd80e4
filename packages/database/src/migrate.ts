import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlClient } from './sql-client.ts';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** Reads Prisma migration folders (`<timestamp>_<name>/migration.sql`) in order. */
export function readMigrations(migrationsDir: string): Migration[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(migrationsDir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The database was reached, but a migration it records as applied was edited since: running on it
 * would be wrong, not impossible. The service refuses to start and says which (`reachAtStart`
 * says so in these words, not that the database cannot be reached).
 */
export class MigrationHistoryError extends Error {
  override name = 'MigrationHistoryError';
}

/** Where `migrate` says that the database is newer than the release (a pino logger fits). */
export interface MigrationLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Applies pending migrations offline, each in its own transaction, recording them in a
 * `_prisma_migrations` table of the same shape Prisma uses, so `prisma migrate deploy` agrees
 * with it on a machine that has Prisma's engines. The table lives in the service's own schema.
 * Returns the names applied now. Applies nothing, and throws a {@link MigrationHistoryError}, when
 * a migration recorded there was edited since. A database that records migrations `migrationsDir`
 * does not have (a later release applied them: a replica of the release before restarting during a
 * rolling upgrade, or a rollback) is run on, with one warning on `logger`: no migration drops a
 * table or a column, so the release before reads the schema after.
 */
export async function migrate(
  sql: SqlClient,
  options: { migrationsDir: string; schema: string; logger?: MigrationLogger },
): Promise<string[]> {
  const schema = quoteIdent(options.schema);
  const table = `${schema}."_prisma_migrations"`;
  const applied: string[] = [];
  await sql.transaction(async (tx) => {
    // Replicas starting together take turns; the lock is released at commit.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`huijie-migrate:${options.schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${table} (
      id VARCHAR(36) PRIMARY KEY NOT NULL,
      checksum VARCHAR(64) NOT NULL,
      finished_at TIMESTAMPTZ,
      migration_name VARCHAR(255) NOT NULL,
      logs TEXT,
      rolled_back_at TIMESTAMPTZ,
      started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      applied_steps_count INTEGER NOT NULL DEFAULT 0
    )`);
    const done = await tx.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM ${table} WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL`,
    );
    const known = new Map(done.rows.map((row) => [row.migration_name, row.checksum]));
    const migrations = readMigrations(options.migrationsDir);
    const newer = checkHistory(known, migrations, `${options.schema}._prisma_migrations`);
    if (newer.length > 0)
      options.logger?.warn(
        { migrations: newer },
        `the database is newer than this release: ${options.schema}._prisma_migrations records ${newer.length === 1 ? 'migration' : 'migrations'} ${newer.join(', ')}, which this release does not have (a later release applied ${newer.length === 1 ? 'it' : 'them'}); running on it (migrations never drop a table or a column; undoing one takes the backup from before the upgrade)`,
      );
    for (const migration of migrations) {
      if (known.has(migration.name)) continue;
      await tx.query(`SET LOCAL search_path TO ${schema}`);
      await execScript(tx, migration.sql);
      await tx.query(
        `INSERT INTO ${table} (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      applied.push(migration.name);
    }
  });
  return applied;
}

/**
 * Refuses a history with a migration applied and edited since; returns the migrations it holds
 * that `migrations` do not (the database is newer than this release).
 */
function checkHistory(known: Map<string, string>, migrations: Migration[], table: string): string[] {
  const names = new Set(migrations.map((migration) => migration.name));
  const edited = migrations
    .filter((migration) => known.has(migration.name) && known.get(migration.name) !== migration.checksum)
    .map((migration) => migration.name);
  if (edited.length > 0) {
    const listed = edited.join(', ');
    throw new MigrationHistoryError(
      edited.length === 1
        ? `migration ${listed} was edited after it was applied: its migration.sql no longer has the checksum ${table} recorded; restore the file as it was applied, and put the change in a new migration`
        : `migrations ${listed} were edited after they were applied: their migration.sql files no longer have the checksums ${table} recorded; restore the files as they were applied, and put the changes in new migrations`,
    );
  }
  return [...known.keys()].filter((name) => !names.has(name)).sort();
}

/** Runs a multi-statement script: statements split on `;` at line ends (Prisma writes one per line block). */
async function execScript(tx: { query: (text: string) => Promise<unknown> }, script: string): Promise<void> {
  const statements = script
    .split(/;\s*$/m)
    .map((statement) =>
      statement
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0);
  for (const statement of statements) await tx.query(statement);
}
