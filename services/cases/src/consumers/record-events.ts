import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { caseTransaction } from '../db/case-transaction.ts';
import type { CasesDb } from '../db/prisma.ts';
import { openCases, type RepeatedRevision } from './open-case.ts';
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
 * assigned (a decision whose intake has not come yet opens the case itself). An intake that
 * repeats its report's revision with other content is not applied, and warned of on `logger`
 * once the transaction has committed (a batch written again item by item says it once).
 */
export async function recordEvents(
  db: CasesDb,
  events: CasesEvent[],
  logger?: Pick<Logger, 'warn'>,
): Promise<void> {
  const intakes: DisputeReceivedV1[] = [];
  const decisions: DisputeAssignedV1[] = [];
  for (const event of events) {
    if (event.name === 'dispute.intake.v1') intakes.push(event.data);
    else decisions.push(event.data);
  }
  const repeatedRevisions: RepeatedRevision[] = [];
  await caseTransaction(
    db,
    async (tx) => {
      if (intakes.length > 0) await openCases(tx, intakes, { repeatedRevisions });
      if (decisions.length > 0) await recordAssignments(tx, decisions);
    },
    { timeoutMs: batchTimeoutMs },
  );
  for (const repeated of repeatedRevisions) logger?.warn(repeated, repeatedRevisionMessage(repeated));
}

/** Ids and the revision only: the content is personal data. */
const repeatedRevisionMessage = ({ revision, historical }: RepeatedRevision) =>
  historical
    ? `an imported record repeats revision ${revision} of its report with other content: not applied (import the change as the next revision)`
    : `dispute.intake.v1 repeats revision ${revision} of its report with other content: not applied until the next revision; the ingest's record of the revisions it took (Redis) was likely lost`;

export const recordIntake = (db: CasesDb, dispute: DisputeReceivedV1, logger?: Pick<Logger, 'warn'>) =>
  recordEvents(db, [{ name: 'dispute.intake.v1', data: dispute }], logger);

export const recordAssignment = (db: CasesDb, decision: DisputeAssignedV1) =>
  recordEvents(db, [{ name: 'dispute.assignment.v1', data: decision }]);
