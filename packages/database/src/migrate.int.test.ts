import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, requireServers } from '@huijie/testing/servers.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationHistoryError, migrate } from './migrate.ts';
import { postgresClient, type SqlClient } from './sql-client.ts';

const servers = await requireServers('postgres');

/** A release's migrations folder: each name with its migration.sql. */
function release(migrations: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'huijie-release-'));
  for (const [name, sql] of Object.entries(migrations)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

const first = { '20260101000000_init': 'CREATE TABLE "items" ("id" INTEGER PRIMARY KEY);\n' };
const second = { '20260201000000_item_title': 'ALTER TABLE "items" ADD COLUMN "title" TEXT;\n' };
const third = { '20260301000000_item_note': 'ALTER TABLE "items" ADD COLUMN "note" TEXT;\n' };

describe.runIf(servers)('migrate: a migration history that does not fit the release', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function database(): Promise<SqlClient> {
    const created = await freshDatabase(servers!.databaseUrl!);
    const sql = postgresClient(created.url, { max: 1 });
    cleanups.push(created.drop, () => sql.close());
    return sql;
  }
  function folder(migrations: Record<string, string>): string {
    const dir = release(migrations);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  const columns = async (sql: SqlClient) =>
    (
      await sql.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'svc' AND table_name = 'items' ORDER BY column_name`,
      )
    ).rows.map((row) => row.column_name);

  it('refuses a migration edited after it was applied, saying so, and applies nothing', async () => {
    const sql = await database();
    await migrate(sql, { migrationsDir: folder({ ...first, ...second }), schema: 'svc' });
    const edited = {
      '20260201000000_item_title': 'ALTER TABLE "items" ADD COLUMN "title" VARCHAR(200);\n',
    };
    const run = migrate(sql, { migrationsDir: folder({ ...first, ...edited, ...third }), schema: 'svc' });
    await expect(run).rejects.toThrow(MigrationHistoryError);
    await expect(run).rejects.toThrow(
      'migration 20260201000000_item_title was edited after it was applied: its migration.sql no longer has the checksum svc._prisma_migrations recorded; restore the file as it was applied, and put the change in a new migration',
    );
    expect(await columns(sql)).toEqual(['id', 'title']);
  });

  it('runs on a database a later release migrated (a rolling upgrade, a rollback), warning once and naming the migrations it does not have', async () => {
    const sql = await database();
    await migrate(sql, { migrationsDir: folder({ ...first, ...second, ...third }), schema: 'svc' });
    // The release before: it has the first migration only, and runs on the schema after.
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = {
      warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
    };
    expect(await migrate(sql, { migrationsDir: folder(first), schema: 'svc', logger })).toEqual([]);
    expect(warnings).toEqual([
      {
        fields: { migrations: ['20260201000000_item_title', '20260301000000_item_note'] },
        message:
          'the database is newer than this release: svc._prisma_migrations records migrations 20260201000000_item_title, 20260301000000_item_note, which this release does not have (a later release applied them); running on it (migrations never drop a table or a column; undoing one takes the backup from before the upgrade)',
      },
    ]);
    expect(await columns(sql)).toEqual(['id', 'note', 'title']);
    // An edited migration is refused still, however new the database.
    const edited = { '20260101000000_init': 'CREATE TABLE "items" ("id" BIGINT PRIMARY KEY);\n' };
    await expect(migrate(sql, { migrationsDir: folder(edited), schema: 'svc', logger })).rejects.toThrow(
      MigrationHistoryError,
    );
  });

  it('a later release on a database an earlier one migrated applies what is new, and starts again on it', async () => {
    const sql = await database();
    expect(await migrate(sql, { migrationsDir: folder(first), schema: 'svc' })).toEqual([
      '20260101000000_init',
    ]);
    const later = folder({ ...first, ...second });
    expect(await migrate(sql, { migrationsDir: later, schema: 'svc' })).toEqual([
      '20260201000000_item_title',
    ]);
    expect(await migrate(sql, { migrationsDir: later, schema: 'svc' })).toEqual([]);
    expect(await columns(sql)).toEqual(['id', 'title']);
  });
});
