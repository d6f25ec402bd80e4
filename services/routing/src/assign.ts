import { agencyView, assignedCopy, matterOfDecision } from '@huijie/contracts/agency-copies.ts';
import { routedDeadlines } from '@huijie/contracts/deadlines.ts';
import type { AgencyAssignmentV1 } from '@huijie/contracts/events/agency-assignment-v1.ts';
import type { CaseCorrectedV1 } from '@huijie/contracts/events/case-correction-v1.ts';
import {
  answersLaterRevision,
  type DisputeAssignedV1,
} from '@huijie/contracts/events/dispute-assignment-v1.ts';
import { type DisputeReceivedV1, isHistoricalFiling } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { uuidv5 } from '@huijie/contracts/ids.ts';
import { agencyTopic } from '@huijie/contracts/topics.ts';
import type { OutgoingEvent } from '@huijie/event-bus/bus.ts';
import type { Router } from './domain/router.ts';

/**
 * Everything one routing decision publishes: the decision itself, and each agency's own copy
 * (assigned, or withdrawn when a re-routing leaves it out). Event ids are derived from the
 * dispute and the version, so a redelivered input yields the same ids and consumers see the
 * same decision again, not a new one.
 */
export function eventsForDecision(
  router: Router,
  dispute: DisputeReceivedV1,
  now: Date,
  options: {
    correlationId?: string | undefined;
    version?: number;
    currentDepartments?: string[];
    /** What the case's departments hold now, and the court's date that joined it (case.correction.v1). */
    currentAssignments?: CaseCorrectedV1['currentAssignments'];
    courtDueAt?: string | undefined;
    /** The court's former date, when a court's revision moved it (case.correction.v1). */
    courtMovedFrom?: string | undefined;
    /** The graver report that joined the case: decided on, published for `dispute` (case.correction.v1). */
    decideOn?: DisputeReceivedV1 | undefined;
    /** The express lane the case is on, which the decision never lowers (case.correction.v1). */
    currentLane?: CaseCorrectedV1['currentLane'];
  } = {},
): OutgoingEvent[] {
  const version = options.version ?? 1;
  const decision: DisputeAssignedV1 = {
    disputeId: dispute.disputeId,
    version,
    decidedAt: now.toISOString(),
    ...router.decide(options.decideOn ?? dispute, now, options),
    // Notify gives each department the deadline by the same rule (deadlines.ts) as the case does.
    ...(options.courtDueAt && { courtDueAt: options.courtDueAt }),
    ...(options.courtMovedFrom && { courtMovedFrom: options.courtMovedFrom }),
    dispute,
  };
  const common = {
    key: dispute.disputeId,
    ...(options.correlationId && { correlationId: options.correlationId }),
  };
  const events: OutgoingEvent[] = [
    {
      name: 'dispute.assignment.v1',
      id: uuidv5(`assignment:${dispute.disputeId}:v${version}`),
      data: decision,
      ...common,
    },
  ];
  // No agency is sent work that ended (or was dropped) before the platform existed.
  if (isHistoricalFiling(dispute, version)) return events;
  // A later revision of an intake is answered at version 1 again, which the case applied already:
  // its copies would replace what each agency holds at version 1 (a later copy of a version replaces
  // the earlier). Notify applies the same rule to webhooks (answersLaterRevision).
  if (answersLaterRevision(decision)) return events;
  const matter = matterOfDecision(decision);
  const { involved } = matter;
  // Each department is told the deadline the case will record for it, not the decision's: one
  // the re-routing keeps in its role keeps an earlier one (a 催办 gives nobody more time).
  const { caseDue, dueFor } = routedDeadlines({
    decided: decision.dueAt,
    lead: decision.triage ? null : (decision.lead?.code ?? null),
    held: (code, role) =>
      options.currentAssignments?.find((held) => held.code === code && held.role === role)?.dueAt,
    court: options.courtDueAt,
    courtMovedFrom: options.courtMovedFrom,
  });
  const copy = (
    department: DisputeAssignedV1['coHandlers'][number],
    data: AgencyAssignmentV1,
  ): OutgoingEvent => ({
    name: 'agency.assignment.v1',
    topic: agencyTopic(department.code),
    id: uuidv5(`agency:${dispute.disputeId}:v${version}:${department.code}`),
    data,
    ...common,
  });
  for (const involvement of involved) {
    const { department, role } = involvement;
    events.push(copy(department, assignedCopy(matter, involvement, dueFor(department.code, role))));
  }
  const stillInvolved = new Set(involved.map(({ department }) => department.code));
  for (const code of options.currentDepartments ?? []) {
    const department = router.departments.get(code);
    if (!department || stillInvolved.has(code)) continue;
    events.push(
      copy(department, { ...agencyView(matter, department, caseDue), action: 'withdrawn', role: null }),
    );
  }
  return events;
}

/** What routing publishes for a case's request to route it again: its next version (`eventsForDecision`). */
export function eventsForCorrection(
  router: Router,
  correction: CaseCorrectedV1,
  now: Date,
  correlationId?: string,
): OutgoingEvent[] {
  return eventsForDecision(router, correction.dispute, now, {
    correlationId,
    version: correction.version,
    currentDepartments: correction.currentDepartments,
    currentAssignments: correction.currentAssignments,
    courtDueAt: correction.courtDueAt,
    courtMovedFrom: correction.courtMovedFrom,
    decideOn: correction.decideOn,
    currentLane: correction.currentLane,
  });
}
