import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { caseTransaction } from '../db/case-transaction.ts';
import type { CasesDb } from '../db/prisma.ts';
import { openCase } from './open-case.ts';

/** dispute.intake.v1 → the case exists at "received" (or already further along: then nothing changes). */
export async function recordIntake(db: CasesDb, dispute: DisputeReceivedV1): Promise<void> {
  await caseTransaction(db, (tx) => openCase(tx, dispute));
}
