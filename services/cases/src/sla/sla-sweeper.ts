import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop } from '@huijie/service-kit/work-loop.ts';
import { applyEvents, reportRefFields, stateOf } from '../actions/act-on-case.ts';
import { caseTransaction } from '../db/case-transaction.ts';
import { appendHistory } from '../db/history.ts';
import type { CasesDb } from '../db/prisma.ts';
import { decide, evolve, laneLevel, nextLevel, openStatuses } from '../domain/lifecycle.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { remindLead } from '../outbox/agency-status.ts';

/** Open cases that have a deadline: a case not routed yet (received) has none. */
const withDeadline = openStatuses.filter((status) => status !== 'received');

/** What the sweeper knows of a case's deadline: `slaStage` 0 nothing yet, 1 reminded, 1 + n after n escalations. */
export interface SlaClock {
  dueAt: Date;
  /** When routing first decided on the case: the departments had no time to act before. */
  routedAt: Date | null;
  /** When the case last went up the express lane, whoever took it there. */
  escalatedAt: Date | null;
  slaStage: number;
}

/**
 * What one sweep at `now` does to a case: at the due time a reminder; then one level up the
 * express lane (township → county → city secretary) per further period. The periods count from the
 * due time, or from when the case was routed if it came in later: an order the hotline passes on
 * already past its due date (a backlog) gives its departments a period to act before a secretary is
 * told, instead of climbing to the city within a minute. And at most one level per sweep, a period
 * after the last: a level just told — by the sweeper, an operator or the repeats — has its time to
 * act, and a sweeper that was down for days does not take a case up several levels at once.
 */
export function slaStepAt(
  clock: SlaClock,
  now: Date,
  periodMs: number,
): { remind: boolean; escalate: boolean } {
  if (now < clock.dueAt) return { remind: false, escalate: false };
  const start = Math.max(clock.dueAt.getTime(), clock.routedAt?.getTime() ?? 0);
  const next = Math.max(
    start + Math.max(clock.slaStage, 1) * periodMs,
    (clock.escalatedAt?.getTime() ?? 0) + periodMs,
  );
  return { remind: clock.slaStage === 0, escalate: now.getTime() >= next };
}

/**
 * One sweep: every open case whose next SLA step is due gets its reminder or escalation, once —
 * the update is guarded by the stage it read, so replicas sweeping together never double up.
 */
export async function sweepOverdue(db: CasesDb, now: Date, periodMs: number, batch = 200): Promise<number> {
  // Only the cases whose next step is due, by the same rule as slaStepAt: the cases already
  // reminded or escalated for their stage are most of the overdue ones, and taken first by due
  // time they filled every batch, so that once more cases were overdue than a batch holds, the
  // later ones never got their reminder nor their escalation. `due_at <= now` (a range of the
  // due_at index) and `due_at <= now − sla_stage periods` follow from the rule and cut the rows
  // before the history is read.
  const period = Prisma.sql`(${periodMs}::float8 * interval '1 millisecond')`;
  const due = await db.$queryRaw<SlaClock[]>`
    SELECT c.id::text AS id, c.due_at AS "dueAt", routed.at AS "routedAt", c.escalated_at AS "escalatedAt",
      c.sla_stage AS "slaStage"
    FROM cases.cases c
    LEFT JOIN LATERAL (
      SELECT min(h.at) AS at FROM cases.history h WHERE h.case_id = c.id AND h.actor = 'routing'
    ) routed ON true
    WHERE c.status = ANY(${withDeadline}::text[]) AND c.merged_into_id IS NULL
      AND c.due_at <= ${now}::timestamptz
      AND c.due_at <= ${now}::timestamptz - c.sla_stage * ${period}
      AND (c.sla_stage = 0 OR (
        c.express_level IS DISTINCT FROM 'city'
        AND greatest(greatest(c.due_at, routed.at) + c.sla_stage * ${period}, c.escalated_at + ${period})
          <= ${now}::timestamptz))
    ORDER BY c.due_at ASC
    LIMIT ${batch}`;
  let acted = 0;
  for (const clock of due as (SlaClock & { id: string })[]) {
    const { id, dueAt, slaStage } = clock;
    const step = slaStepAt(clock, now, periodMs);
    if (!step.remind && !step.escalate) continue;
    await caseTransaction(db, async (tx) => {
      // Claimed only while still open: the case may have ended (or been merged) since it was read,
      // and an ended case gets no reminder, and no secretary is asked to supervise it.
      const claimed = await tx.case.updateMany({
        where: { id, slaStage, status: { in: [...withDeadline] }, mergedIntoId: null },
        data: { slaStage: Math.max(slaStage, 1) + (step.escalate ? 1 : 0) },
      });
      if (claimed.count === 0) return;
      acted++;
      if (step.remind) {
        await appendHistory(tx, {
          caseId: id,
          type: 'sla_reminder',
          actor: 'cases:sla',
          detail: { dueAt: dueAt.toISOString() },
        });
        // The lead's agency status topic says it too (its webhook gets notify's `sla_reminder`).
        await remindLead(tx, id, 'overdue', dueAt, now);
      }
      if (!step.escalate) return;
      const row = await tx.case.findUniqueOrThrow({
        where: { id },
        include: { assignments: true, reports: { select: reportRefFields } },
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
          detail: `overdue since ${dueAt.toISOString()}`,
        },
        before,
      );
      // As of the sweep: the next level's period runs from it.
      await applyEvents(tx, row, before, events.reduce(evolve, before), events, 'cases:sla', now);
    });
  }
  return acted;
}

/**
 * Reminds the lead of each open case due within `dueSoonMs` (and not yet due) that its deadline is
 * near, on its agency status topic (as notify's `sla_reminder` does on a webhook): once per
 * deadline, the case's `dueSoonFor` remembering the one reminded of, so that a deadline that moved
 * (a new lead's, a court's earlier date) is reminded of afresh and a re-routing that keeps it is
 * not. Claimed by that column, as sweepOverdue claims by stage: replicas sweeping together remind
 * once. Returns how many it reminded.
 */
export async function remindDueSoon(db: CasesDb, now: Date, dueSoonMs: number, batch = 200): Promise<number> {
  // Those not reminded of this deadline yet, in SQL: the cases already reminded would otherwise fill
  // every batch (the same lesson as sweepOverdue's).
  const due = await db.$queryRaw<{ id: string; dueAt: Date; dueSoonFor: Date | null }[]>`
    SELECT id::text AS id, due_at AS "dueAt", due_soon_for AS "dueSoonFor"
    FROM cases.cases
    WHERE status = ANY(${withDeadline}::text[]) AND merged_into_id IS NULL
      AND due_at > ${now}::timestamptz
      AND due_at <= ${new Date(now.getTime() + dueSoonMs)}::timestamptz
      AND due_soon_for IS DISTINCT FROM due_at
    ORDER BY due_at ASC
    LIMIT ${batch}`;
  let reminded = 0;
  for (const { id, dueAt, dueSoonFor } of due) {
    await caseTransaction(db, async (tx) => {
      const claimed = await tx.case.updateMany({
        where: { id, dueAt, dueSoonFor, status: { in: [...withDeadline] }, mergedIntoId: null },
        data: { dueSoonFor: dueAt },
      });
      if (claimed.count === 0) return;
      reminded++;
      await remindLead(tx, id, 'due_soon', dueAt, now);
    });
  }
  return reminded;
}

export function startSlaSweeper(deps: {
  db: CasesDb;
  logger: Logger;
  periodMs: number;
  dueSoonMs: number;
  intervalMs: number;
  poke: () => void;
}) {
  return startWorkLoop({
    name: 'SLA sweep',
    logger: deps.logger,
    intervalMs: deps.intervalMs,
    work: async () => {
      const now = new Date();
      const acted =
        (await sweepOverdue(deps.db, now, deps.periodMs)) +
        (await remindDueSoon(deps.db, now, deps.dueSoonMs));
      if (acted > 0) deps.poke();
      return false;
    },
  });
}
