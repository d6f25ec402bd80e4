import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrateCases } from '@huijie/cases/db/prisma.ts';
import { postgresClient, type SqlClient } from '@huijie/database/sql-client.ts';
import { migrateNotify } from '@huijie/notify/db/prisma.ts';
import { freshDatabase, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { describe, expect, it } from 'vitest';
import { freePort, ServiceProcess } from '../faults/processes.ts';

const servers = await requireServers('postgres');
// Only the start that carries on goes as far as Kafka.
const withKafka = servers ? await requireServers('kafka', 'postgres') : null;
const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const JWT_SECRET = 'migrations-at-start-jwt-secret-0123456789';

/** The two services that keep tables, each migrating its own schema at start. */
const services = [
  { service: 'cases', schema: 'cases', migrateAll: migrateCases },
  { service: 'notify', schema: 'notify', migrateAll: migrateNotify },
] as const;
type Service = (typeof services)[number]['service'];
/** A line of a service's log. */
type LogLine = { level: number; msg: string };

/**
 * Starts a service on `databaseUrl` as production does, with Kafka at port 1 (which answers
 * nobody): it must stop before it gets there, with exit code 1. Its log lines, parsed.
 */
async function failedStart(service: Service, databaseUrl: string): Promise<LogLine[]> {
  const outcome = await run(process.execPath, ['--import', 'tsx', `services/${service}/src/main.ts`], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      KAFKA_BROKERS: '127.0.0.1:1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
    },
    timeout: 60_000,
  }).then(
    () => ({ code: 0, stdout: '', stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  expect(outcome.code).toBe(1);
  return logLines(`${outcome.stdout}${outcome.stderr}`);
}

/** A service's log, one JSON object a line (anything else fails the test). */
const logLines = (log: string) =>
  log
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LogLine);

/**
 * Starts a service on `databaseUrl` and the test broker, as production does, until it is ready
 * (its consumer has joined its group: it carried on past the database); then stops it. Its log lines.
 */
async function readyStart(service: Service, databaseUrl: string): Promise<LogLine[]> {
  const started = new ServiceProcess(
    service,
    {
      KAFKA_BROKERS: withKafka!.kafkaBrokers!.join(','),
      KAFKA_NAMESPACE: uniqueName('migrations'),
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
      // Whatever the shell running the tests says: the warning is at level 40.
      LOG_LEVEL: 'info',
    },
    await freePort(),
  );
  try {
    await started.start(60_000);
  } finally {
    await started.stop();
  }
  return logLines(started.tail(400));
}

/** A fresh database this release has migrated, changed by `alter`: the service is started on it. */
async function startOn(
  { service, migrateAll }: (typeof services)[number],
  alter: (sql: SqlClient) => Promise<unknown>,
  start: (service: Service, databaseUrl: string) => Promise<LogLine[]>,
) {
  const database = await freshDatabase(servers!.databaseUrl!);
  const sql = postgresClient(database.url, { max: 1 });
  try {
    await migrateAll(sql);
    await alter(sql);
    return await start(service, database.url);
  } finally {
    await sql.close();
    await database.drop();
  }
}

describe.runIf(servers)('distributed mode: a migration history that does not fit the release', () => {
  it.each(services)(
    '$service: a migration edited after it was applied is said to be so, not an unreachable database',
    async (each) => {
      let edited = '';
      const lines = await startOn(
        each,
        async (sql) => {
          // What a migration.sql edited in the working tree looks like to the database: another checksum.
          const last = await sql.query<{ migration_name: string }>(
            `UPDATE ${each.schema}._prisma_migrations SET checksum = repeat('0', 64)
           WHERE migration_name = (SELECT max(migration_name) FROM ${each.schema}._prisma_migrations)
           RETURNING migration_name`,
          );
          edited = last.rows[0]!.migration_name;
        },
        failedStart,
      );
      // It stops there, before Kafka: one line.
      expect(lines).toHaveLength(1);
      const [line] = lines;
      expect(line).toMatchObject({ level: 60, service: each.service });
      expect(line!.msg).toBe(
        `cannot start: PostgreSQL named by DATABASE_URL: migration ${edited} was edited after it was applied: its migration.sql no longer has the checksum ${each.schema}._prisma_migrations recorded; restore the file as it was applied, and put the change in a new migration`,
      );
    },
    90_000,
  );
});

describe.runIf(withKafka)('distributed mode: a migration history of a later release', () => {
  it.each(services)(
    '$service: started on a database a later release migrated (a rolling upgrade, a rollback), it warns, naming what it does not know, and carries on',
    async (each) => {
      const lines = await startOn(
        each,
        (sql) =>
          sql.query(
            `INSERT INTO ${each.schema}._prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
             VALUES (gen_random_uuid(), repeat('a', 64), now(), '29990101000000_of_a_later_release', 1)`,
          ),
        readyStart,
      );
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 40,
          service: each.service,
          migrations: ['29990101000000_of_a_later_release'],
          msg: `the database is newer than this release: ${each.schema}._prisma_migrations records migration 29990101000000_of_a_later_release, which this release does not have (a later release applied it); running on it (migrations never drop a table or a column; undoing one takes the backup from before the upgrade)`,
        }),
      );
      // It carried on: ready (readyStart waited for it), and nothing went wrong on the way.
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    },
    90_000,
  );
});
