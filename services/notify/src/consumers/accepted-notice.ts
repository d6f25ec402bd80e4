import type { AssignmentWebhookData } from '@huijie/contracts/webhooks/agency-webhook.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { chineseDate, type NoticePayload } from '../notices/notices.ts';
import { placeOf } from './case-place.ts';
import { lockDisputes } from './dispute-lock.ts';
import { assignmentKinds } from './record-assignment.ts';
import type { Citizen, Routing } from './routing.ts';

/** Who handles a citizen's matter, and by when: what their acceptance notice tells them. */
export interface Handler {
  department: string;
  dueAt: string;
}

/** The acceptance notice of the report known to the citizen as `ref`. */
export const acceptedNotice = (ref: string, { department, dueAt }: Handler): NoticePayload => ({
  notice: 'accepted',
  params: { ref, department, dueDate: chineseDate(dueAt) },
  // The notice promises the date only while it is ahead (notices.ts `asSent`).
  dueAt,
});

/** The one acceptance notice of a dispute (a dedupe key). */
const acceptedKey = (disputeId: string) => `citizen:accepted:${disputeId}`;

/**
 * The citizen's acceptance notice of one dispute as a delivery, on the channel that reaches them;
 * undefined when none does. One per dispute (its dedupe key): whoever records it first, the
 * dispute's decision or the fold that follows it, a second one is a no-op.
 */
export function acceptedNoticeDelivery(
  routing: Routing,
  citizen: Citizen | null,
  notice: { disputeId: string; ref: string; divisionCode: string | null; handler: Handler },
): Prisma.DeliveryCreateManyInput | undefined {
  const reach = citizen && routing.citizenChannel(citizen, 'accepted');
  if (!reach) return undefined;
  return {
    dedupeKey: acceptedKey(notice.disputeId),
    kind: 'citizen_notice',
    channel: reach.channel,
    recipient: reach.recipient,
    disputeId: notice.disputeId,
    divisionCode: notice.divisionCode,
    payload: acceptedNotice(notice.ref, notice.handler) as unknown as Prisma.InputJsonValue,
  };
}

/**
 * The lead of the case a folded report joined, and its deadline, as that case's departments were
 * last given them (a court's date brought forward included): the citizen's report is handled
 * there now, not by the departments routing first chose for it. Undefined while notify knows no
 * lead of it (that case waits in triage, or its decision has not come yet).
 */
export async function joinedCaseLead(
  db: Prisma.TransactionClient,
  joinedDisputeId: string,
): Promise<Handler | undefined> {
  const source = await db.disputeSource.findUnique({
    where: { disputeId: joinedDisputeId },
    select: { routingVersion: true },
  });
  if (!source) return undefined;
  const given = await db.delivery.findMany({
    where: {
      disputeId: joinedDisputeId,
      version: source.routingVersion,
      kind: { in: [...assignmentKinds] },
      state: { not: 'cancelled' },
    },
    orderBy: { createdAt: 'asc' },
    select: { payload: true },
  });
  const lead = given.map((row) => row.payload as AssignmentWebhookData).findLast((p) => p.role === 'lead');
  return lead && { department: lead.department, dueAt: lead.dueAt };
}

/**
 * The citizens of reports folded into the case known by `joinedDisputeId`, not told yet that their
 * report was accepted, are told who handles it now: that case's lead, by its deadline. A notice
 * not sent yet (naming the report's own lead, or waiting) names that lead instead; one sent stands.
 * Recorded where that case is (case-place.ts), else at `divisionCode`, where the caller places it.
 * Called by the fold and by the joined case's decision, in whichever order they come (two topics):
 * the second finds what the first wrote. Under the folded disputes' locks (dispute-lock.ts), so
 * one's own decision recorded meanwhile has written its notice, or finds that lead itself; and the
 * joined case's, so that its place is read as a decision moving it at the same moment left it.
 * A notice already recorded, sent or not, is put where that case is (a folded report's own late
 * decision wrote it at the place it read without that lock). Only reports still folded there are
 * told (an operator may have detached one). Dedupe keys make a redelivered event record nothing new.
 */
export async function tellFoldedCitizens(
  db: NotifyDb,
  folded: { disputeIds: string[]; joinedDisputeId: string; divisionCode: string | null },
  routing: Routing,
): Promise<number> {
  const { disputeIds, joinedDisputeId, divisionCode } = folded;
  if (disputeIds.length === 0) return 0;
  return db.$transaction(async (tx) => {
    // And the joined case's: a decision moving it, recorded at the same moment, has moved the
    // place read here before, or moves the notices written here after (case-place.ts).
    await lockDisputes(tx, [...disputeIds, joinedDisputeId]);
    const place = (await placeOf(tx, joinedDisputeId)) ?? divisionCode;
    const stillFolded = (
      await tx.caseDispute.findMany({
        where: { disputeId: { in: disputeIds }, mergedIntoDisputeId: joinedDisputeId },
        select: { disputeId: true },
      })
    ).map((row) => row.disputeId);
    // With the SMS that stands in for each when WeChat refused the citizen (dispatch/sms-fallback.ts).
    const keysOf = (disputeId: string) => [acceptedKey(disputeId), `${acceptedKey(disputeId)}:sms`];
    // Where the case is now, sent or not, led or in triage: a folded report's own late decision
    // wrote its notice at the place it read under the report's lock alone, before a move of the
    // case it joined.
    if (place !== null)
      await tx.delivery.updateMany({
        where: {
          dedupeKey: { in: stillFolded.flatMap(keysOf) },
          OR: [{ divisionCode: { not: place } }, { divisionCode: null }],
        },
        data: { divisionCode: place },
      });
    const handler = await joinedCaseLead(tx, joinedDisputeId);
    if (!handler) return 0;
    // Known by their own decisions: how to reach the citizen, and the report's number.
    const sources = await tx.disputeSource.findMany({
      where: { disputeId: { in: stillFolded }, routingVersion: { gt: 0 } },
      select: { disputeId: true, sourceRef: true, phone: true, wechatOpenId: true, wechatRefusedAt: true },
    });
    const notices = sources.flatMap(({ disputeId, sourceRef, phone, wechatOpenId, wechatRefusedAt }) => {
      const citizen = {
        phone: phone ?? undefined,
        wechatOpenId: wechatOpenId ?? undefined,
        wechatRefused: wechatRefusedAt !== null,
      };
      const notice = acceptedNoticeDelivery(routing, citizen, {
        disputeId,
        ref: sourceRef,
        divisionCode: place,
        handler,
      });
      return notice ? [notice] : [];
    });
    const told = await tx.delivery.createMany({ data: notices, skipDuplicates: true });
    for (const { disputeId, payload } of notices) {
      await tx.delivery.updateMany({
        where: { dedupeKey: { in: keysOf(disputeId!) }, state: { in: ['pending', 'failed'] } },
        data: { payload },
      });
    }
    return told.count;
  });
}
