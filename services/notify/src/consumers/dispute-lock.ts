import type { Prisma } from '../generated/prisma/client.ts';

/**
 * A dispute's routing decision and the fold of its case come on different topics, to different
 * consumers or replicas, at the same moment. Each takes these disputes' transaction locks before
 * it reads or writes the fold's marker or a court's date (notify.case_disputes), so one waits for
 * the other: the decision either sees them, or has written its deliveries before the fold looks
 * for them to withdraw or bring forward. An advisory lock, not the row's: the row may not exist yet when the decision comes.
 * Taken in one fixed (sorted) order, so two transactions never wait on each other in a circle.
 */
export async function lockDisputes(tx: Prisma.TransactionClient, disputeIds: string[]): Promise<void> {
  const sorted = [...new Set(disputeIds)].sort();
  if (sorted.length === 0) return;
  // An aggregate takes the locks row by row, in the array's order.
  await tx.$queryRaw`
    SELECT string_agg(pg_advisory_xact_lock(hashtextextended('notify-dispute:' || d, 0))::text, '')
    FROM unnest(${sorted}::text[]) WITH ORDINALITY AS t(d, n)`;
}
