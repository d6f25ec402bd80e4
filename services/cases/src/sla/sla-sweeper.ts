import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop } from '@huijie/service-kit/work-loop.ts';
import { applyEvents, reportRefFields, stateOf } from '../actions/act-on-case.ts';
import { caseTransaction } from '../db/case-transaction.ts';
import { appendHistory } from '../db/history.ts';
import type { CasesDb } from '../db/prisma.ts';
import { decide, evolve, laneLevel, nextLevel, openStatuses } from '../domain/lifecycle.ts';

/** Open cases that have a deadline: a case not routed yet (received) has none. */
const withDeadline = openStatuses.filter((status) => status !== 'received');

/**
 * What overdue work gets at each stage: at the due time a reminder; after each further
 * period one level up the express lane (township → county → city secretary).
 */
export function slaStageAt(dueAt: Date, now: Date, periodMs: number): number {
  if (now < dueAt) return 0;
  return 1 + Math.floor((now.getTime() - dueAt.getTime()) / periodMs);
}

/**
 * One sweep: every open case whose SLA stage has moved on gets its reminder or escalation, once —
 * the update is guarded by the stage it read, so replicas sweeping together never double up.
 */
export async function sweepOverdue(db: CasesDb, now: Date, periodMs: number, batch = 200): Promise<number> {
  // Only the cases whose stage has moved on (stage > sla_stage ⇔ due_at <= now − sla_stage periods):
  // the cases already reminded or escalated for their stage are most of the overdue ones, and
  // taken first by due time they filled every batch, so that once more cases were overdue than a
  // batch holds, the later ones never got their reminder nor their escalation.
  const due = await db.$queryRaw<{ id: string; dueAt: Date; slaStage: number }[]>`
    SELECT id::text AS id, due_at AS "dueAt", sla_stage AS "slaStage" FROM cases.cases
    WHERE status = ANY(${withDeadline}::text[]) AND merged_into_id IS NULL
      AND due_at <= ${now}::timestamptz - sla_stage * (${periodMs}::float8 * interval '1 millisecond')
    ORDER BY due_at ASC
    LIMIT ${batch}`;
  let acted = 0;
  for (const { id, dueAt, slaStage } of due) {
    const stage = slaStageAt(dueAt!, now, periodMs);
    if (stage <= slaStage) continue;
    await caseTransaction(db, async (tx) => {
      // Claimed only while still open: the case may have ended (or been merged) since it was read,
      // and an ended case gets no reminder, and no secretary is asked to supervise it.
      const claimed = await tx.case.updateMany({
        where: { id, slaStage, status: { in: [...withDeadline] }, mergedIntoId: null },
        data: { slaStage: stage },
      });
      if (claimed.count === 0) return;
      acted++;
      if (slaStage === 0) {
        await appendHistory(tx, {
          caseId: id,
          type: 'sla_reminder',
          actor: 'cases:sla',
          detail: { dueAt: dueAt!.toISOString() },
        });
      }
      // Each further overdue period passed since the last sweep is one level up.
      for (let step = Math.max(slaStage, 1); step < stage; step++) {
        const row = await tx.case.findUniqueOrThrow({
          where: { id },
          include: {
            assignments: true,
            reports: { select: reportRefFields },
          },
        });
        const before = stateOf(row);
        const next = nextLevel(before.expressLevel);
        if (!next) return;
        const events = decide(
          {
            type: 'escalate',
            by: 'cases:sla',
            level: laneLevel(next, row),
            reason: 'overdue',
            detail: `overdue since ${dueAt!.toISOString()}`,
          },
          before,
        );
        await applyEvents(tx, row, before, events.reduce(evolve, before), events, 'cases:sla');
      }
    });
  }
  return acted;
}

export function startSlaSweeper(deps: {
  db: CasesDb;
  logger: Logger;
  periodMs: number;
  intervalMs: number;
  poke: () => void;
}) {
  return startWorkLoop({
    name: 'SLA sweep',
    logger: deps.logger,
    intervalMs: deps.intervalMs,
    work: async () => {
      if ((await sweepOverdue(deps.db, new Date(), deps.periodMs)) > 0) deps.poke();
      return false;
    },
  });
}
