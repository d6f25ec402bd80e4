import { mobileNumber } from '@huijie/contracts/phone.ts';
import type { SendResult } from '../channels/channel.ts';
import { recipientKey } from '../consumers/record-status.ts';
import type { Prisma } from '../generated/prisma/client.ts';

/** A delivery as the dispatcher took it: enough to tell whether a refusal can be made good by SMS. */
export interface Refused {
  id: string;
  leaseId: string;
  kind: string;
  channel: string;
}

/**
 * A citizen's WeChat notice that WeChat refused because the person cannot be reached there
 * (unfollowed the account, refused its notices): a text message may still reach them. Unfollowing
 * after applying is common, and such a citizen would otherwise never hear the outcome although
 * they gave a mobile number. Refusals that are our fault (template, data, token) are not
 * `unreachable` and stay dead letters for an engineer.
 */
export const smsMayReplace = (delivery: Pick<Refused, 'kind' | 'channel'>, result: SendResult): boolean =>
  !result.ok &&
  !result.retryable &&
  result.unreachable === true &&
  delivery.channel === 'wechat' &&
  delivery.kind === 'citizen_notice';

/**
 * The text's dedupe key: the key its notice would have had, had it gone by SMS from the start, where
 * that key names its recipient (a case's result, `citizen:result:<case>:<recipient>`). So the same
 * status event delivered again, now routed to SMS, or the result texted for the citizen's own hotline
 * report of the case, is this text and not a second one. A key that names no recipient (the
 * acceptance: one per dispute) gets `:sms`.
 */
export function smsKeyOf(key: string, refused: string, mobile: string): string {
  const named = `:${recipientKey(refused)}`;
  return key.endsWith(named) ? `${key.slice(0, -named.length)}:${recipientKey(mobile)}` : `${key}:sms`;
}

/**
 * Records the refused WeChat delivery as `replaced`, naming the SMS that replaces it, and — when notify
 * knows the citizen's mobile for that dispute (its source) — that SMS: the same notice (the SMS
 * channel renders its text), with its key (`smsKeyOf`), so a second refusal (a replay, a sender
 * whose lease ran out) records nothing again. It is recorded after everything already
 * recorded to that number for the dispute, so it waits behind it (the dispatcher's per-dispute
 * order). The dispute's source remembers the refusal: its later notices are texted straight away
 * (routing.ts). `replaced` is final and no dead letter: replayed, the notice would reach a citizen
 * who followed the account again a second time, by WeChat after the SMS. Without a mobile number
 * nobody was told, so the delivery stays `failed`, a dead letter for an operator. Only the lease
 * holder records anything; returns the result's count, whether the delivery was replaced and
 * whether an SMS was recorded (not when the same text already was: a second refusal, or the
 * result texted for the citizen's hotline report).
 */
export async function replaceBySms(
  tx: Prisma.TransactionClient,
  delivery: Refused,
  result: Extract<SendResult, { ok: false }>,
  now = new Date(),
): Promise<{ recorded: number; replaced: boolean; texted: boolean }> {
  const row = await tx.delivery.findUniqueOrThrow({
    where: { id: delivery.id },
    select: {
      dedupeKey: true,
      recipient: true,
      disputeId: true,
      caseId: true,
      divisionCode: true,
      payload: true,
    },
  });
  const source = row.disputeId
    ? await tx.disputeSource.findUnique({ where: { disputeId: row.disputeId }, select: { phone: true } })
    : null;
  const mobile = source?.phone ? mobileNumber(source.phone) : null;
  const { count } = await tx.delivery.updateMany({
    where: { id: delivery.id, leaseId: delivery.leaseId },
    data: {
      state: mobile ? 'replaced' : 'failed',
      leaseId: null,
      lastError: `${result.detail}: not reachable on WeChat; ${mobile ? 'sent by SMS instead' : 'no mobile number to text'}`,
    },
  });
  if (count === 0 || !row.disputeId) return { recorded: count, replaced: false, texted: false };
  await tx.disputeSource.updateMany({
    where: { disputeId: row.disputeId, wechatRefusedAt: null },
    data: { wechatRefusedAt: now },
  });
  if (!mobile) return { recorded: count, replaced: false, texted: false };
  const texted = await tx.delivery.createMany({
    data: [
      {
        dedupeKey: smsKeyOf(row.dedupeKey, row.recipient, mobile),
        kind: delivery.kind,
        channel: 'sms',
        recipient: mobile,
        disputeId: row.disputeId,
        caseId: row.caseId,
        divisionCode: row.divisionCode,
        payload: row.payload as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
  return { recorded: count, replaced: true, texted: texted.count > 0 };
}
