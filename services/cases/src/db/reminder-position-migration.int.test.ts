import { randomUUID } from 'node:crypto';
import { migrate } from '@huijie/database/migrate.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { casesDbBefore } from './fresh-cases-db.ts';
import { casesMigrationsDir, casesSchema } from './prisma.ts';

const servers = await requireServers('postgres');
const backfill = '20261202000000_report_reminder_position';

describe.runIf(servers)("the migration that keeps each report's furthest 催办", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('starts each report at the furthest its history or its latest revision tells', async () => {
    const database = await casesDbBefore(servers!.databaseUrl!, backfill);
    cleanups.push(database.cleanup);
    const { sql } = database;
    const lastAt = '2024-08-27T12:00:00+08:00';
    // Each report: the reminder its latest revision carries, and the counts of its `reminder`
    // history entries (on the case it was folded from, for `moved`).
    const reports: Record<string, [{ count: number; lastAt?: string } | null, number[]]> = {
      carried: [{ count: 1, lastAt }, [1]],
      // A 修改 without the block after two 催办.
      leftOut: [null, [1, 2]],
      // First pushed already reminded three times, then a 修改 with it.
      firstPushed: [{ count: 3, lastAt }, []],
      never: [null, []],
      moved: [null, [1]],
    };
    const ids: Record<string, string> = {};
    const caseId = randomUUID();
    const folded = randomUUID();
    for (const id of [caseId, folded]) {
      await sql.query(
        `INSERT INTO cases.cases (id, status, channel, updated_at) VALUES ($1, 'assigned', 'hotline_12345', now())`,
        [id],
      );
    }
    for (const [name, [reminder, recorded]] of Object.entries(reports)) {
      const disputeId = randomUUID();
      ids[name] = disputeId;
      await sql.query(
        `INSERT INTO cases.reports (dispute_id, case_id, channel, source_ref, received_at, content, intake)
         VALUES ($1, $2, 'hotline_12345', $3, now(), '欠薪', $4)`,
        [disputeId, caseId, `GD-${name}`, JSON.stringify(reminder ? { hotline: { reminder } } : {})],
      );
      for (const reminders of recorded) {
        await sql.query(
          `INSERT INTO cases.history (case_id, type, actor, detail) VALUES ($1, 'reminder', 'channel:hotline_12345', $2)`,
          [name === 'moved' ? folded : caseId, JSON.stringify({ disputeId, revision: 2, reminders })],
        );
      }
    }

    await migrate(sql, { migrationsDir: casesMigrationsDir, schema: casesSchema });

    const rows = await sql.query<{
      dispute_id: string;
      reminder_count: number;
      reminder_last_at: Date | null;
    }>('SELECT dispute_id, reminder_count, reminder_last_at FROM cases.reports');
    const byName = Object.fromEntries(
      Object.entries(ids).map(([name, id]) => {
        const row = rows.rows.find((r) => r.dispute_id === id)!;
        return [
          name,
          [row.reminder_count, row.reminder_last_at && new Date(row.reminder_last_at).toISOString()],
        ];
      }),
    );
    const at = new Date(lastAt).toISOString();
    expect(byName).toEqual({
      carried: [1, at],
      leftOut: [2, null],
      firstPushed: [3, at],
      never: [0, null],
      moved: [1, null],
    });
  });
});
