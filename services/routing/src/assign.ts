import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { uuidv5 } from '@huijie/contracts/ids.ts';
import type { OutgoingEvent } from '@huijie/event-bus/bus.ts';
import type { Router } from './domain/router.ts';

/**
 * Turns one received dispute into the assignment event(s) to publish. The event id is derived
 * from the dispute and the decision's version, so a redelivered intake yields the same id and
 * consumers see it as the same decision.
 */
export function assignmentFor(
  router: Router,
  dispute: DisputeReceivedV1,
  now: Date,
  correlationId?: string,
  /** 1 for a new dispute; a correction asks for the case's next version. */
  version = 1,
): OutgoingEvent<'dispute.assignment.v1'> {
  const decision: DisputeAssignedV1 = {
    disputeId: dispute.disputeId,
    version,
    decidedAt: now.toISOString(),
    ...router.decide(dispute, now),
    dispute,
  };
  return {
    name: 'dispute.assignment.v1',
    key: dispute.disputeId,
    id: uuidv5(`assignment:${dispute.disputeId}:v${version}`),
    data: decision,
    ...(correlationId && { correlationId }),
  };
}
