import type { CaseStatusChangedV1 } from '@huijie/contracts/events/case-status-v1.ts';
import type { WithdrawalWebhookData } from '@huijie/contracts/webhooks/agency-webhook.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { tellFoldedCitizens } from './accepted-notice.ts';
import { lockDisputes } from './dispute-lock.ts';
import { assignmentKinds, lastToEachRecipient, routingVersions } from './record-assignment.ts';
import type { Routing } from './routing.ts';

/**
 * A case folded into another (a repeat report that joined an open case, or an operator's merge):
 * its disputes are handled there now, under the dispute that case is known by. Each department
 * that got one of them is told, once, with a `withdrawal` that says where the matter went — a
 * department of the joined case carries on there, one assignment for the matter instead of two;
 * the others stop. What had not gone out yet is cancelled instead: nobody is handed a dispute
 * only to lose it. As the cases service withdraws their copies on the agency topics.
 * Dedupe keys make a redelivered event record nothing new. Called with the fold's status, and by
 * recordAssignment for a routing decision of a folded dispute that arrives after it.
 */
export async function withdrawFolded(
  db: NotifyDb,
  event: Pick<CaseStatusChangedV1, 'disputeIds' | 'mergedInto' | 'mergedIntoDisputeId'> &
    Partial<Pick<CaseStatusChangedV1, 'divisionCode'>>,
  routing: Routing,
): Promise<number> {
  const { mergedInto, mergedIntoDisputeId, disputeIds } = event;
  if (!mergedInto) return 0;
  // Under the disputes' locks and the joined case's (its own dispute's): a decision moving that
  // case (case-place.ts), recorded at the same moment, has moved what is read here before, or
  // moves what is written here after. Without it, a withdrawal could stay at the place it left.
  const withdrawn = await db.$transaction(async (tx) => {
    await lockDisputes(tx, mergedIntoDisputeId ? [...disputeIds, mergedIntoDisputeId] : disputeIds);
    return withdraw(tx, { mergedInto, mergedIntoDisputeId, disputeIds }, routing);
  });
  // A citizen not told yet that their report was accepted is told who handles it now (the lead of
  // the case it joined, once notify knows it), as the decision would have told them.
  const told = mergedIntoDisputeId
    ? await tellFoldedCitizens(
        db,
        { disputeIds, joinedDisputeId: mergedIntoDisputeId, divisionCode: event.divisionCode ?? null },
        routing,
      )
    : 0;
  return withdrawn + told;
}

/** The fold's cancellations and withdrawals, in the caller's transaction, under its locks. */
async function withdraw(
  tx: Prisma.TransactionClient,
  {
    mergedInto,
    mergedIntoDisputeId,
    disputeIds,
  }: { mergedInto: string; mergedIntoDisputeId?: string; disputeIds: string[] },
  routing: Routing,
): Promise<number> {
  const versions = await routingVersions(tx, disputeIds);
  // What had not gone out is cancelled first, then what went out (or is going) is read: an
  // assignment the dispatcher takes meanwhile is either cancelled or read, never neither.
  await tx.delivery.updateMany({
    where: {
      disputeId: { in: disputeIds },
      kind: { in: [...assignmentKinds] },
      state: { in: ['pending', 'failed'] },
    },
    data: { state: 'cancelled', lastError: `merged into case ${mergedInto}` },
  });
  const given = await tx.delivery.findMany({
    where: {
      disputeId: { in: disputeIds },
      kind: { in: [...assignmentKinds, 'withdrawal'] },
      state: { in: ['delivered', 'sending'] },
    },
    orderBy: [{ version: 'asc' }, { createdAt: 'asc' }],
  });
  // What each department last got of each dispute: one that lost it already is not told again.
  const rows: Prisma.DeliveryCreateManyInput[] = [];
  for (const row of lastToEachRecipient(given)) {
    if (row.kind === 'withdrawal' || !row.disputeId) continue;
    const version = versions.get(row.disputeId) ?? row.version ?? 1;
    rows.push({
      dedupeKey: `merged:${row.disputeId}:v${version}:${row.recipient}`,
      kind: 'withdrawal',
      channel: routing.agencyChannel(row.recipient),
      recipient: row.recipient,
      disputeId: row.disputeId,
      version,
      divisionCode: row.divisionCode,
      payload: {
        disputeId: row.disputeId,
        version,
        reason: 'merged',
        mergedInto: { caseId: mergedInto, ...(mergedIntoDisputeId && { disputeId: mergedIntoDisputeId }) },
      } satisfies WithdrawalWebhookData,
    });
  }
  return (await tx.delivery.createMany({ data: rows, skipDuplicates: true })).count;
}
