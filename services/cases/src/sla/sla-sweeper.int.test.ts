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

  /**
   * A case routed `routedDaysBefore` its deadline (a week, as routing dates a new report) whose
   * deadline passed `daysLate` before `now`: past a period, a reminder and one level up are due.
   */
  const overdueCase = async (daysLate: number, routedDaysBefore = 7) => {
    const { caseId } = await seedRoutedCase(db);
    const dueAt = new Date(now.getTime() - daysLate * day);
    await db.case.update({ where: { id: caseId }, data: { dueAt } });
    await db.historyEntry.updateMany({
      where: { caseId, actor: 'routing' },
      data: { at: new Date(dueAt.getTime() - routedDaysBefore * day) },
    });
    return caseId;
  };
  const later = (days: number) => new Date(now.getTime() + days * day);
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

  it('an order routed 20 days past its due date (a hotline backlog) is reminded, then goes up one level per period from its routing: no secretary told at once', async () => {
    // Guo's order, due 2024-08-31, reaches the platform on 2024-09-20.
    const caseId = await overdueCase(20, -20);
    await sweepOverdue(db, now, period);
    await sweepOverdue(db, later(0.001), period);
    expect(await laneOf(caseId)).toEqual({ level: null, history: ['sla_reminder'], announced: [] });
    await sweepOverdue(db, later(3), period);
    await sweepOverdue(db, later(3.001), period);
    expect(await laneOf(caseId)).toEqual({
      level: 'township',
      history: ['sla_reminder', 'escalated'],
      announced: ['township'],
    });
    await sweepOverdue(db, later(6), period);
    expect((await laneOf(caseId)).announced).toEqual(['township', 'county']);
  });

  it('a case left 20 days overdue while the sweeper was down goes up one level, the next a period later', async () => {
    const caseId = await overdueCase(20);
    await sweepOverdue(db, now, period);
    await sweepOverdue(db, later(0.001), period);
    await sweepOverdue(db, later(2.9), period);
    expect(await laneOf(caseId)).toEqual({
      level: 'township',
      history: ['sla_reminder', 'escalated'],
      announced: ['township'],
    });
    await sweepOverdue(db, later(3), period);
    await sweepOverdue(db, later(3.001), period);
    expect((await laneOf(caseId)).announced).toEqual(['township', 'county']);
  });
});
