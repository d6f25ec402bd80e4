import type { AssignmentWebhookData } from '@huijie/contracts/webhooks/agency-webhook.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { lockDisputes } from './dispute-lock.ts';
import { assignmentKinds, lastToEachRecipient, routingVersions } from './record-assignment.ts';

/** What one department holds of a dispute now: the assignment it was last given, of the current version. */
export type Held = { disputeId: string; version: number; recipient: string; payload: AssignmentWebhookData };

/** What a department is to hold instead, and the key that makes telling it so happen once. */
export type Change = { payload: AssignmentWebhookData; dedupeKey: string };

/**
 * Something the departments' assignments say of these disputes changed without a re-routing (a
 * court's date brought deadlines forward, the case went onto or up the express lane): each
 * department that holds one of them now — its last word an assignment or update of the dispute's
 * current routing version, not a withdrawal (a fold's or a re-routing's) nor one cancelled before
 * it went out — is handed what `change` makes of it, if anything: the delivery not sent yet is
 * changed in place (no second message), else an `assignment_update` follows, once by its key.
 * Under the disputes' locks (dispute-lock.ts): a new version's decision handled at the same moment
 * either is read here, or comes after and supersedes what this wrote. Returns the updates added.
 */
export async function changeHeldAssignments(
  db: NotifyDb,
  disputeIds: string[],
  change: (held: Held) => Change | undefined,
): Promise<number> {
  if (disputeIds.length === 0) return 0;
  return db.$transaction(async (tx) => {
    await lockDisputes(tx, disputeIds);
    const versions = await routingVersions(tx, disputeIds);
    const given = await tx.delivery.findMany({
      where: {
        disputeId: { in: disputeIds },
        kind: { in: [...assignmentKinds, 'withdrawal'] },
        state: { not: 'cancelled' },
      },
      orderBy: [{ version: 'asc' }, { createdAt: 'asc' }],
    });
    const updates: Prisma.DeliveryCreateManyInput[] = [];
    for (const row of lastToEachRecipient(given)) {
      const { disputeId, version, recipient } = row;
      if (row.kind === 'withdrawal' || !disputeId || version === null || version !== versions.get(disputeId))
        continue;
      const changed = change({
        disputeId,
        version,
        recipient,
        payload: row.payload as AssignmentWebhookData,
      });
      if (!changed) continue;
      const unsent = await tx.delivery.updateMany({
        where: { id: row.id, state: { in: ['pending', 'failed'] } },
        data: { payload: changed.payload },
      });
      if (unsent.count > 0) continue;
      updates.push({
        dedupeKey: changed.dedupeKey,
        kind: 'assignment_update',
        channel: row.channel,
        recipient,
        disputeId,
        version,
        divisionCode: row.divisionCode,
        payload: changed.payload,
      });
    }
    if (updates.length === 0) return 0;
    return (await tx.delivery.createMany({ data: updates, skipDuplicates: true })).count;
  });
}
