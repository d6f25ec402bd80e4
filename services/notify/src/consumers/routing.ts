import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { mobileNumber } from '@huijie/contracts/phone.ts';
import type { Notice } from '../notices/notices.ts';

/** How to reach a citizen: a WeChat OpenID, a phone number, or both. */
export interface Citizen {
  phone?: string | undefined;
  wechatOpenId?: string | undefined;
  /** WeChat said this citizen cannot be reached there (unfollowed the account, refused its notices). */
  wechatRefused?: boolean | undefined;
}

/** A person on the secretary express lane (书记直通车) of one division. */
export interface ExpressLaneContact {
  phone?: string | undefined;
  wechatOpenId?: string | undefined;
}

/**
 * Which channel each recipient is reached on, decided when a delivery is recorded (the
 * delivery keeps it); where exactly, and with which credentials, is the channel's business at
 * send time.
 */
export interface Routing {
  /** `webhook` for agencies that take one; `outbox` for the others (they read their Kafka topic). */
  agencyChannel(departmentCode: string): 'webhook' | 'outbox';
  /**
   * WeChat when the OpenID is known and the notice has a template, else SMS; null when neither. A
   * citizen WeChat refused is texted instead when they gave a mobile number.
   */
  citizenChannel(citizen: Citizen, notice: Notice): { channel: 'wechat' | 'sms'; recipient: string } | null;
  /**
   * The hotline/court client a result goes back to: the one the report names, else the only
   * one configured, else null (the delivery then fails visibly and can be replayed).
   */
  sourceClient(channel: 'hotline' | 'court', named: string | null | undefined): string | null;
  expressLane(divisionCode: string): ExpressLaneContact[];
  /** The lead is reminded this long before its deadline (and again when it passes). */
  slaReminderBeforeMs: number;
}

/** The applicant (WeChat, court) or caller (12345) behind a dispute: the one told what happens. */
export function citizenOf(dispute: DisputeReceivedV1): Citizen | null {
  const party =
    dispute.parties.find((candidate) => candidate.role === 'applicant') ??
    dispute.parties.find((candidate) => candidate.role === 'caller');
  if (!party || (!party.phone && !party.wechatOpenId)) return null;
  return { phone: party.phone, wechatOpenId: party.wechatOpenId };
}

export function createRouting(options: {
  webhookDepartments: ReadonlySet<string>;
  /** Notices that have a WeChat template; `all` when WeChat is not configured (the outbox stands in). */
  wechatNotices: ReadonlySet<Notice> | 'all';
  hotlineClients: readonly string[];
  courtClients: readonly string[];
  expressLane: ReadonlyMap<string, ExpressLaneContact[]>;
  slaReminderBeforeMs: number;
}): Routing {
  return {
    agencyChannel: (code) => (options.webhookDepartments.has(code) ? 'webhook' : 'outbox'),
    citizenChannel(citizen, notice) {
      const wechat = options.wechatNotices === 'all' || options.wechatNotices.has(notice);
      // A landline (the hotline may give a caller's) takes no text message: such a caller hears
      // the result from the hotline, through its 办结反馈.
      const mobile = citizen.phone && mobileNumber(citizen.phone);
      // One WeChat refused without a mobile is still tried there: following the account again
      // is the only way they hear anything.
      if (citizen.wechatOpenId && wechat && !(citizen.wechatRefused && mobile))
        return { channel: 'wechat', recipient: citizen.wechatOpenId };
      if (mobile) return { channel: 'sms', recipient: mobile };
      return null;
    },
    sourceClient(channel, named) {
      if (named) return named;
      const configured = channel === 'hotline' ? options.hotlineClients : options.courtClients;
      return configured.length === 1 ? (configured[0] ?? null) : null;
    },
    expressLane: (divisionCode) => options.expressLane.get(divisionCode) ?? [],
    slaReminderBeforeMs: options.slaReminderBeforeMs,
  };
}
