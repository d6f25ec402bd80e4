import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { caseTransaction } from '../db/case-transaction.ts';
import type { CasesDb } from '../db/prisma.ts';
import { openCases } from './open-case.ts';
import { recordAssignments } from './record-assignment.ts';

/** What the cases service consumes. */
export type CasesEvent =
  | { name: 'dispute.intake.v1'; data: DisputeReceivedV1 }
  | { name: 'dispute.assignment.v1'; data: DisputeAssignedV1 };

/** A batch of hundreds is written in well under a second; minutes would mean the database is stuck. */
const batchTimeoutMs = 60_000;

/**
 * Records events in one transaction: dispute.intake.v1 → the case exists at "received" (or is
 * already further along: then nothing changes); then dispute.assignment.v1 → the case is
 * assigned (a decision whose intake has not come yet opens the case itself).
 */
export async function recordEvents(db: CasesDb, events: CasesEvent[]): Promise<void> {
  const intakes: DisputeReceivedV1[] = [];
  const decisions: DisputeAssignedV1[] = [];
  for (const event of events) {
    if (event.name === 'dispute.intake.v1') intakes.push(event.data);
    else decisions.push(event.data);
  }
  await caseTransaction(
    db,
    async (tx) => {
      if (intakes.length > 0) await openCases(tx, intakes);
      if (decisions.length > 0) await recordAssignments(tx, decisions);
    },
    { timeoutMs: batchTimeoutMs },
  );
}

export const recordIntake = (db: CasesDb, dispute: DisputeReceivedV1) =>
  recordEvents(db, [{ name: 'dispute.intake.v1', data: dispute }]);

export const recordAssignment = (db: CasesDb, decision: DisputeAssignedV1) =>
  recordEvents(db, [{ name: 'dispute.assignment.v1', data: decision }]);
