import { lockKeys } from '@huijie/database/advisory-locks.ts';
import type { Prisma } from '../generated/prisma/client.ts';

/**
 * A dispute's routing decision and the fold of its case come on different topics, to different
 * consumers or replicas, at the same moment. Each takes these disputes' transaction locks before
 * it reads or writes the fold's marker or a court's date (notify.case_disputes), so one waits for
 * the other: the decision either sees them, or has written its deliveries before the fold looks
 * for them to withdraw or bring forward. The lock of a case's own dispute also guards where the
 * case is (case-place.ts): a decision moving it holds it, and whatever is written at the case's
 * place takes it too. An advisory lock, not the row's: the row may not exist yet when the
 * decision comes.
 */
export const lockDisputes = (tx: Prisma.TransactionClient, disputeIds: string[]) =>
  lockKeys(tx, 'notify-dispute', disputeIds);
