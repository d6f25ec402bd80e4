import { type AssignmentWebhookData, assignmentFields } from '@huijie/contracts/webhooks/agency-webhook.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { lockDisputes } from './dispute-lock.ts';
import { assignmentKinds, lastToEachRecipient, routingVersions } from './record-assignment.ts';

type Field = (typeof assignmentFields)[number];

/** How a field's value is compared: a deadline as the instant it is, whatever offset it is written with. */
const comparable = (field: Field, body: AssignmentWebhookData) =>
  field === 'dueAt'
    ? Date.parse(body.dueAt)
    : JSON.stringify(field === 'place' ? [body.place, body.placeCode] : body[field]);

/**
 * The fields of `after` (an `assignment_update`) whose value differs from `before`, the assignment
 * or update the department got last (`changes`). A field `before` does not have is one notify did
 * not send yet when it was recorded (`caseId`, `placeCode`), not a change, and neither is a case
 * notify does not know now (`caseId` null); `contact` is left out of a body without one, and is a
 * change when it comes or goes.
 */
export function changedFields(before: AssignmentWebhookData, after: AssignmentWebhookData): Field[] {
  const had = (field: Field) =>
    field === 'contact' || (before[field] !== undefined && (field !== 'caseId' || after.caseId !== null));
  // A place named without its code is compared by name.
  const earlier = { ...before, placeCode: before.placeCode ?? after.placeCode };
  return assignmentFields.filter(
    (field) => had(field) && comparable(field, earlier) !== comparable(field, after),
  );
}

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
      const payload = row.payload as AssignmentWebhookData;
      const changed = change({ disputeId, version, recipient, payload });
      if (!changed) continue;
      const { changes: _earlier, ...body } = changed.payload;
      // Not sent yet: the same delivery says the new value, an update what it changed besides.
      const inPlace =
        row.kind === 'assignment_update'
          ? { ...body, changes: changesBoth(payload, changedFields(payload, changed.payload)) }
          : body;
      const unsent = await tx.delivery.updateMany({
        where: { id: row.id, state: { in: ['pending', 'failed'] } },
        data: { payload: inPlace },
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
        payload: { ...body, changes: changedFields(payload, changed.payload) },
      });
    }
    if (updates.length === 0) return 0;
    return (await tx.delivery.createMany({ data: updates, skipDuplicates: true })).count;
  });
}

/** What an update not sent yet changed, and what changes it now, in the order of the fields. */
const changesBoth = (update: AssignmentWebhookData, now: Field[]): Field[] =>
  assignmentFields.filter((field) => update.changes?.includes(field) || now.includes(field));
