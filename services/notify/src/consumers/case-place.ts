import type { Prisma } from '../generated/prisma/client.ts';

/**
 * Where a case is, for notify: where routing last placed its own dispute (its first report, the
 * one routing routes the case under), by the latest decision of it handed out — remembered as
 * dispute_sources.division_code. The cases API places a case so, and shows an operator only the
 * cases of their jurisdiction; an operator sees a delivery by its division_code (delivery-routes.ts),
 * a plain filter. So the deliveries of a case are kept where the case is: moved here, when notify
 * learns that the case moved, rather than judged at each read (a subquery per row of every page).
 */

/** Where notify last placed the dispute (dispute_sources.division_code), or null when it never did. */
export async function placeOf(tx: Prisma.TransactionClient, disputeId: string): Promise<string | null> {
  const source = await tx.disputeSource.findUnique({ where: { disputeId }, select: { divisionCode: true } });
  return source?.divisionCode ?? null;
}

/**
 * Whether reports were folded into the case of `disputeId` under it (case_disputes
 * `merged_into_dispute_id`): a fold can come before the decision of the case it joins (two topics),
 * and before notify hears of that case. One index probe.
 */
export async function hasFoldedUnder(tx: Prisma.TransactionClient, disputeId: string): Promise<boolean> {
  const folded = await tx.caseDispute.findFirst({
    where: { mergedIntoDisputeId: disputeId },
    select: { disputeId: true },
  });
  return folded !== null;
}

/**
 * The case whose own dispute is `disputeId` is at `divisionCode` now: every delivery of it goes
 * there — of the dispute itself, of every dispute notify knows in its case (case_disputes: the
 * reports folded into it too), of the reports folded into it under this dispute (whose fold notify
 * heard of before the case), and those recorded for the case (case_id). Not an express-lane notice
 * (`escalation_notice`): it stays the division of the secretary it went to (a notice to the
 * county's secretary is the county's, not its town's). Called in the transaction that learns the
 * move, under the dispute's lock (dispute-lock.ts), so a fold or a decision handled at the same
 * moment reads the place written here, or has written what is moved here. One statement on the
 * indexes of dispute_id and case_id; it writes only the deliveries not there yet. Returns how many.
 */
export function placeCase(
  tx: Prisma.TransactionClient,
  disputeId: string,
  divisionCode: string,
): Promise<number> {
  return tx.$executeRaw`
    UPDATE "notify"."deliveries" AS d
       SET "division_code" = ${divisionCode}, "updated_at" = now()
     WHERE d."kind" <> 'escalation_notice'
       AND d."division_code" IS DISTINCT FROM ${divisionCode}
       AND (d."dispute_id" = ANY(ARRAY(
              SELECT ${disputeId}::uuid
              UNION
              SELECT member."dispute_id" FROM "notify"."case_disputes" AS member
               WHERE member."case_id" = (SELECT own."case_id" FROM "notify"."case_disputes" AS own
                                          WHERE own."dispute_id" = ${disputeId}::uuid)
              UNION
              SELECT folded."dispute_id" FROM "notify"."case_disputes" AS folded
               WHERE folded."merged_into_dispute_id" = ${disputeId}::uuid))
         OR d."case_id" = (SELECT own."case_id" FROM "notify"."case_disputes" AS own
                            WHERE own."dispute_id" = ${disputeId}::uuid))`;
}
