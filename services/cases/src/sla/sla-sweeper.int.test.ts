import { requireServers } from '@huijie/testing/servers.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedRoutedCase } from '../consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { sweepOverdue } from './sla-sweeper.ts';

const servers = await requireServers('postgres');

const day = 24 * 3600 * 1000;
const period = 3 * day;
const now = new Date('2024-09-20T12:00:00+08:00');

describe.runIf(servers)('the SLA sweeper on PostgreSQL', () => {
  let db: CasesDb;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
  });
  afterEach(async () => {
    await drop?.();
  });

  /** A routed case whose deadline passed more than one period before `now`: a reminder and one level up are due. */
  const overdueCase = async (daysLate: number) => {
    const { caseId } = await seedRoutedCase(db);
    await db.case.update({
      where: { id: caseId },
      data: { dueAt: new Date(now.getTime() - daysLate * day) },
    });
    return caseId;
  };
  const laneOf = async (caseId: string) => ({
    level: (await db.case.findUniqueOrThrow({ where: { id: caseId } })).expressLevel,
    history: (
      await db.historyEntry.findMany({
        where: { caseId, type: { in: ['sla_reminder', 'escalated'] } },
        orderBy: { id: 'asc' },
      })
    ).map((entry) => entry.type),
    announced: (
      await db.outboxEvent.findMany({ where: { key: caseId, eventName: 'case.escalation.v1' } })
    ).map((row) => (row.data as { level: string }).level),
  });

  it('a case that ends while the sweeper is on its way to it is neither reminded nor escalated; the next overdue case still is', async () => {
    const ending = await overdueCase(5);
    const next = await overdueCase(4);
    // The lead records the outcome as the sweeper runs: its read still sees the case open, its
    // claim waits for the outcome's transaction, which commits "resolved".
    let sweep: Promise<number> | undefined;
    await db.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE cases.cases SET status = 'resolved', resolved_at = now() WHERE id = ${ending}::uuid`;
      sweep = sweepOverdue(db, now, period);
      await expect
        .poll(
          async () =>
            (
              await db.$queryRaw<{ waiting: number }[]>`
                SELECT count(*)::int AS waiting FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`
            )[0]!.waiting,
          { timeout: 4_000 },
        )
        .toBe(1);
    });
    expect(await sweep).toBe(1);
    expect(await laneOf(ending)).toEqual({ level: null, history: [], announced: [] });
    expect(await laneOf(next)).toEqual({
      level: 'township',
      history: ['sla_reminder', 'escalated'],
      announced: ['township'],
    });
  });

  it('two replicas sweeping at once remind and escalate each case once', async () => {
    const cases = [await overdueCase(4), await overdueCase(5), await overdueCase(5.5)];
    const acted = await Promise.all([sweepOverdue(db, now, period), sweepOverdue(db, now, period)]);
    expect(acted[0] + acted[1]).toBe(3);
    for (const caseId of cases) {
      expect(await laneOf(caseId)).toEqual({
        level: 'township',
        history: ['sla_reminder', 'escalated'],
        announced: ['township'],
      });
    }
  });
});
