import type { CaseOutcome, CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import { isHistoricalFiling } from '@huijie/contracts/events/dispute-intake-v1.ts';
import type { Level } from '@huijie/contracts/vocabulary.ts';
import { outcomeColumns } from '../actions/act-on-case.ts';
import { caseTransaction, touchCase } from '../db/case-transaction.ts';
import type { CasesDb } from '../db/prisma.ts';
import { canBeRouted } from '../domain/lifecycle.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';
import { findRepeatTarget, foldCase } from './fold-case.ts';
import { openCase } from './open-case.ts';

/**
 * dispute.assignment.v1 → the case takes the decision's place, category and departments and
 * moves to "assigned" (or "triage"); or, when the dispute repeats an open case, its report
 * joins that case. Applied once per (dispute, routing version): the processed-event key makes
 * a redelivery a no-op; a decision older than the case's is ignored.
 */
export async function recordAssignment(db: CasesDb, decision: DisputeAssignedV1): Promise<void> {
  await caseTransaction(db, async (tx) => {
    const first = await tx.processedEvent.createMany({
      data: [{ eventId: `assignment:${decision.disputeId}:v${decision.version}` }],
      skipDuplicates: true,
    });
    if (first.count === 0) return;
    const { caseId } = await openCase(tx, decision.dispute);
    const current = await tx.case.findUniqueOrThrow({ where: { id: caseId } });

    if (current.routingVersion === 0) {
      const { historical } = decision.dispute;
      if (historical && isHistoricalFiling(decision.dispute, decision.version)) {
        // Filed as it happened, not handled now: no repeat folding into today's open cases.
        await applyDecision(tx, current, decision, decision.version, 'historical');
        if (historical.outcome && historical.endedAt) {
          await endAsRecorded(tx, caseId, historical.outcome, new Date(historical.endedAt));
        }
        return;
      }
      const repeat = await findRepeatTarget(tx, caseId, evidenceOf(decision), new Date());
      if (repeat) {
        await foldCase(tx, caseId, repeat.targetId, repeat.reason, 'cases:repeat-detection');
        const target = await tx.case.findUniqueOrThrow({ where: { id: repeat.targetId } });
        // A repeat can make a matter graver (reported again and again, court-related): then its
        // decision re-routes the whole case, as a new routing version.
        if (
          decision.severity === 'major' &&
          target.severity !== 'major' &&
          canBeRouted(target.status as CaseStatus)
        ) {
          await applyDecision(tx, target, decision, target.routingVersion + 1);
        }
        return;
      }
    }
    if (decision.version <= current.routingVersion) return;
    await applyDecision(tx, current, decision, decision.version);
  });
}

function evidenceOf(decision: DisputeAssignedV1) {
  const { parties } = decision.dispute;
  return {
    phones: parties.filter((p) => p.role !== 'respondent' && p.phone).map((p) => p.phone!),
    respondents: parties.filter((p) => p.role === 'respondent' && p.name).map((p) => p.name!),
    category: decision.category,
    townCode: decision.jurisdiction.townCode ?? null,
    countyCode: decision.jurisdiction.countyCode ?? null,
  };
}

type CaseRow = Prisma.CaseGetPayload<object>;

const laneRank = (level: Level | null) => (level === null ? -1 : { township: 0, county: 1, city: 2 }[level]);

/**
 * Gives the case the decision's place, category, severity, departments and due time. A
 * historical filing keeps the record: no deadline runs on the case, each assignment keeps the
 * deadline it would have had from the day it was received, and nobody is told.
 */
async function applyDecision(
  tx: Tx,
  current: CaseRow,
  decision: DisputeAssignedV1,
  version: number,
  filing: 'live' | 'historical' = 'live',
): Promise<void> {
  const caseId = current.id;
  const live = filing === 'live';
  const receivedAt = new Date(decision.dispute.receivedAt);
  const decidedAt = new Date(decision.decidedAt);
  const dueAt = new Date(decision.dueAt);
  const assignmentDueAt = live
    ? dueAt
    : new Date(receivedAt.getTime() + (dueAt.getTime() - decidedAt.getTime()));
  if (!canBeRouted(current.status as CaseStatus)) {
    // A decision that arrives after the case ended is kept in the history, not applied.
    await tx.historyEntry.create({
      data: {
        caseId,
        type: 'routing_ignored',
        actor: 'routing',
        detail: { version, status: current.status },
      },
    });
    return;
  }
  await touchCase(tx, caseId);
  const status: CaseStatus = decision.triage ? 'triage' : 'assigned';
  const { jurisdiction } = decision;
  // The lane only goes up: a decision never lowers a level the case already reached.
  const enteredLane =
    decision.expressLane &&
    laneRank(decision.expressLane.level) > laneRank(current.expressLevel as Level | null)
      ? decision.expressLane
      : null;
  await tx.case.update({
    where: { id: caseId },
    data: {
      status,
      category: decision.category,
      severity: decision.severity,
      cityCode: jurisdiction.cityCode,
      countyCode: jurisdiction.countyCode ?? null,
      townCode: jurisdiction.townCode ?? null,
      villageCode: jurisdiction.villageCode ?? null,
      placeNames: jurisdiction.names,
      placeHow: jurisdiction.resolution,
      ...(enteredLane && { expressLevel: enteredLane.level, escalatedAt: live ? new Date() : receivedAt }),
      triageCode: decision.triage?.divisionCode ?? null,
      routingVersion: version,
      dueAt: live ? dueAt : null,
    },
  });

  const departments = [
    ...(decision.lead ? [{ ...decision.lead, role: 'lead' }] : []),
    ...decision.coHandlers.map((department) => ({ ...department, role: 'co' })),
  ];
  for (const department of departments) {
    const fields = {
      departmentKind: department.kind,
      departmentName: department.name,
      divisionCode: department.divisionCode,
      role: department.role,
      status: 'delivered',
      routingVersion: version,
      dueAt: assignmentDueAt,
    };
    await tx.assignment.upsert({
      where: { caseId_departmentCode: { caseId, departmentCode: department.code } },
      create: { caseId, departmentCode: department.code, ...fields },
      update: fields,
    });
  }
  // Departments a re-routing no longer involves keep their record, marked withdrawn.
  await tx.assignment.updateMany({
    where: { caseId, routingVersion: { lt: version }, status: { not: 'withdrawn' } },
    data: { status: 'withdrawn' },
  });

  await tx.historyEntry.create({
    data: {
      caseId,
      type: status,
      actor: 'routing',
      ...(!live && { at: receivedAt }),
      detail: {
        version,
        ...(!live && { historical: true }),
        disputeId: decision.disputeId,
        lead: decision.lead?.name ?? null,
        coHandlers: decision.coHandlers.map((department) => department.name),
        jurisdiction: jurisdiction.names,
        category: decision.category,
        severity: decision.severity,
        expressLane: decision.expressLane,
        triage: decision.triage,
        trace: decision.trace,
      } as Prisma.InputJsonValue,
    },
  });
  const divisionCode = jurisdiction.townCode ?? jurisdiction.countyCode ?? jurisdiction.cityCode;
  if (live && status !== current.status) {
    await appendOutbox(tx, {
      name: 'case.status.v1',
      key: caseId,
      data: {
        caseId,
        disputeIds: [decision.disputeId],
        status,
        previousStatus: current.status as CaseStatus,
        occurredAt: decision.decidedAt,
        category: decision.category,
        divisionCode,
      },
    });
  }
  if (enteredLane) {
    // Major disputes start in the express lane: the secretaries of that level are told.
    await tx.historyEntry.create({
      data: {
        caseId,
        type: 'escalated',
        actor: 'routing',
        ...(!live && { at: receivedAt }),
        detail: { level: enteredLane.level, reason: enteredLane.reason },
      },
    });
    if (!live) return;
    await appendOutbox(tx, {
      name: 'case.escalation.v1',
      key: caseId,
      data: {
        caseId,
        level: enteredLane.level,
        previousLevel: (current.expressLevel as Level | null) ?? null,
        reason: 'major',
        detail: enteredLane.reason.slice(0, 500),
        occurredAt: decision.decidedAt,
        divisionCode:
          enteredLane.level === 'city'
            ? jurisdiction.cityCode
            : enteredLane.level === 'county'
              ? (jurisdiction.countyCode ?? jurisdiction.cityCode)
              : divisionCode,
        category: decision.category,
        dueAt: decision.dueAt,
      },
    });
  }
}

/** A historical record that says how the matter ended: its case ends so, on that day, and closes. */
async function endAsRecorded(tx: Tx, caseId: string, outcome: CaseOutcome, endedAt: Date): Promise<void> {
  await tx.case.update({
    where: { id: caseId },
    data: {
      status: 'closed',
      ...outcomeColumns(outcome),
      resolvedAt: endedAt,
      closedAt: endedAt,
    },
  });
  await tx.assignment.updateMany({
    where: { caseId, status: { not: 'withdrawn' } },
    data: { status: 'done', doneAt: endedAt },
  });
  await tx.historyEntry.createMany({
    data: [
      {
        caseId,
        at: endedAt,
        type: outcome.kind === 'mediated' ? 'resolved' : 'unresolved',
        actor: 'import',
        detail: { outcome } as Prisma.InputJsonValue,
      },
      { caseId, at: endedAt, type: 'closed', actor: 'import', detail: {} },
    ],
  });
}
