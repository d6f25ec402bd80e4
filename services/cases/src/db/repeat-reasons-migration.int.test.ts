import { randomUUID } from 'node:crypto';
import { migrate, readMigrations } from '@huijie/database/migrate.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { casesDbBefore } from './fresh-cases-db.ts';
import { casesMigrationsDir, casesSchema } from './prisma.ts';

const servers = await requireServers('postgres');
const scrub = '20261129060000_repeat_reasons_without_digits';

describe.runIf(servers)('the migration that takes the caller digits out of repeat reasons', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("leaves no '***1234' in the history, the reports or the unpublished status events", async () => {
    // The database as it was before the migration, holding what the earlier code wrote.
    const database = await casesDbBefore(servers!.databaseUrl!, scrub);
    cleanups.push(database.cleanup);
    const { sql } = database;

    const [into, from] = [randomUUID(), randomUUID()];
    const old = 'same caller (***4928), same category (labor) and place';
    for (const id of [into, from]) {
      await sql.query(
        `INSERT INTO cases.cases (id, status, channel, updated_at) VALUES ($1, 'assigned', '12345', now())`,
        [id],
      );
    }
    await sql.query(
      `INSERT INTO cases.reports (dispute_id, case_id, channel, source_ref, received_at, content, intake, repeat_reason)
       VALUES ($1, $2, '12345', 'GD-1', now(), '欠薪', '{}', $3)`,
      [randomUUID(), into, old],
    );
    await sql.query(
      `INSERT INTO cases.history (case_id, type, actor, detail) VALUES
         ($1, 'repeat_attached', 'system', $3), ($2, 'merged', 'system', $4), ($1, 'accepted', 'dept', '{"reason":"kept"}')`,
      [
        into,
        from,
        JSON.stringify({ disputeId: randomUUID(), sourceRef: 'GD-2', reason: old }),
        JSON.stringify({ into, reason: 'same caller (***4928) and same other party' }),
      ],
    );
    await sql.query(
      `INSERT INTO cases.outbox (event_id, event_name, topic, key, data) VALUES ($1, 'case.status.v1', 'case.status.v1', $2, $3)`,
      [
        randomUUID(),
        from,
        JSON.stringify({ caseId: from, status: 'closed', reason: `merged into ${into}: ${old}` }),
      ],
    );

    // It, and the migrations written after it, which find the database as it leaves it.
    const applied = await migrate(sql, { migrationsDir: casesMigrationsDir, schema: casesSchema });
    expect(applied).toEqual(
      readMigrations(casesMigrationsDir)
        .map((migration) => migration.name)
        .filter((name) => name >= scrub),
    );

    const reasons = await sql.query<{ reason: string }>(
      `SELECT detail->>'reason' AS reason FROM cases.history
       UNION ALL SELECT repeat_reason FROM cases.reports
       UNION ALL SELECT data->>'reason' FROM cases.outbox`,
    );
    expect(reasons.rows.map((row) => row.reason).sort()).toEqual(
      [
        'kept',
        'same caller and same other party',
        'same caller, same category (labor) and place',
        'same caller, same category (labor) and place',
        `merged into ${into}: same caller, same category (labor) and place`,
      ].sort(),
    );
    // The rest of each entry is as it was.
    const merged = await sql.query<{ into: string }>(
      `SELECT detail->>'into' AS into FROM cases.history WHERE type = 'merged'`,
    );
    expect(merged.rows).toEqual([{ into }]);
  });
});
