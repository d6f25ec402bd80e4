import { randomUUID } from 'node:crypto';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { migrate } from '@huijie/database/migrate.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { caseIdFor } from '../consumers/open-case.ts';
import { recordAssignment, recordIntake } from '../consumers/record-events.ts';
import { decisionFor, seedRoutedCase } from '../consumers/routed-case-fixtures.ts';
import { rebuildCaseStats, statisticsSnapshot } from '../stats/rollup.ts';
import { casesDbBefore } from './fresh-cases-db.ts';
import { casesDb, casesMigrationsDir, casesSchema } from './prisma.ts';

const servers = await requireServers('postgres');
const backfill = '20261201000000_cases_received_when_reported';

describe.runIf(servers)(
  'the migration that dates the cases opened before when their first report was received',
  () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("moves a live report's case, its statistics and its department index row to the day it was received", async () => {
      const database = await casesDbBefore(servers!.databaseUrl!, backfill);
      cleanups.push(database.cleanup);
      const { sql } = database;
      const db = casesDb({ kind: 'postgres', url: database.url });
      cleanups.push(() => db.$disconnect());
      // Today's consumers seed it, and write each report's furthest 催办 and read a case's due-soon
      // reminder (columns later migrations add): there for them, and dropped again before migrating,
      // as the code before left the tables.
      await sql.query(
        'ALTER TABLE cases.reports ADD COLUMN reminder_count integer NOT NULL DEFAULT 0, ADD COLUMN reminder_last_at timestamptz(3)',
      );
      await sql.query('ALTER TABLE cases.cases ADD COLUMN due_soon_for timestamptz(3)');

      // Guo's application of 24 August 2024, pushed late; one from a channel whose clock ran a day
      // ahead; a 2023 work order imported as a historical record.
      const guo = await seedRoutedCase(db, { receivedAt: '2024-08-24T09:30:00+08:00' });
      const ahead = await seedRoutedCase(db, { receivedAt: new Date(Date.now() + 86_400_000).toISOString() });
      // Most live reports: received a little before they arrived, on the same China day.
      const sameDay = await seedRoutedCase(db, { receivedAt: new Date(Date.now() - 60_000).toISOString() });
      const filed: DisputeReceivedV1 = {
        disputeId: randomUUID(),
        channel: 'hotline_12345',
        sourceRef: `GD-${randomUUID()}`,
        revision: 1,
        receivedAt: '2023-03-01T10:00:00+08:00',
        content: '工地老板拖欠工资',
        location: {},
        parties: [],
        attachments: [],
        historical: {},
      };
      await recordIntake(db, filed);
      await recordAssignment(db, decisionFor(filed));
      const historical = caseIdFor(filed.disputeId);
      // As the code before dated a live report's case: when it came in.
      const cases = [guo.caseId, ahead.caseId, sameDay.caseId];
      await sql.query(
        `UPDATE cases.cases c SET created_at = r.created_at FROM cases.reports r
       WHERE r.case_id = c.id AND c.id = ANY($1::uuid[])`,
        [cases],
      );
      await rebuildCaseStats(db);
      const createdAt = async (caseId: string) =>
        (await db.case.findUniqueOrThrow({ where: { id: caseId } })).createdAt.toISOString();
      const arrived = {
        guo: await createdAt(guo.caseId),
        ahead: await createdAt(ahead.caseId),
        sameDay: await createdAt(sameDay.caseId),
        historical: await createdAt(historical),
      };
      const statsBefore = await statisticsSnapshot(db);

      await sql.query('ALTER TABLE cases.reports DROP COLUMN reminder_count, DROP COLUMN reminder_last_at');
      await sql.query('ALTER TABLE cases.cases DROP COLUMN due_soon_for');
      const applied = await migrate(sql, { migrationsDir: casesMigrationsDir, schema: casesSchema });
      expect(applied[0]).toBe(backfill);

      expect(await createdAt(guo.caseId)).toBe('2024-08-24T01:30:00.000Z');
      expect(await createdAt(ahead.caseId)).toBe(arrived.ahead);
      expect(await createdAt(sameDay.caseId)).toBe(arrived.sameDay);
      // Nothing appended for the case that stays: only Guo's moved (its −1 and +1 per sum row).
      const pendingCreated = await sql.query<{ created_at: Date }>(
        'SELECT DISTINCT created_at FROM cases.case_stats_pending',
      );
      expect(pendingCreated.rows.map((row) => row.created_at.toISOString()).sort()).toEqual(
        [arrived.guo, '2024-08-24T01:30:00.000Z'].sort(),
      );
      expect(await createdAt(historical)).toBe('2023-03-01T02:00:00.000Z');
      expect(arrived.historical).toBe('2023-03-01T02:00:00.000Z');
      // The search's department filter walks the index by received time: Guo's case is found there.
      expect(
        (await db.departmentCase.findMany({ where: { caseId: guo.caseId } })).map((row) =>
          row.createdAt.toISOString(),
        ),
      ).toEqual(['2024-08-24T01:30:00.000Z']);
      // The statistics moved with it (pending, as the write side leaves them), as a recount has them.
      const statsAfter = await statisticsSnapshot(db);
      expect(statsAfter).not.toEqual(statsBefore);
      expect(
        statsAfter.some(({ key }) => key.startsWith('received/') && key.includes('/day/2024-08-24/')),
      ).toBe(true);
      await rebuildCaseStats(db);
      expect(await statisticsSnapshot(db)).toEqual(statsAfter);
    });
  },
);
