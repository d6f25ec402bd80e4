import { z } from 'zod';
import { CategoryCode, Channel, DivisionCode } from '../vocabulary.ts';
import { CaseOutcome } from './case-status-v1.ts';

export const Party = z.object({
  role: z.enum(['applicant', 'respondent', 'caller', 'other']),
  kind: z.enum(['person', 'organisation']).default('person'),
  name: z.string().min(1).max(100).optional(),
  phone: z.string().min(3).max(30).optional(),
  idNumber: z.string().max(30).optional(),
  /**
   * The party's OpenID for the platform's WeChat official account, when they came through
   * WeChat and it is known: notify sends them WeChat messages instead of SMS.
   */
  wechatOpenId: z.string().min(1).max(64).optional(),
  /**
   * The party asked that their identity stay with the platform (12345 保密; an anonymous caller
   * too): the platform keeps what it was given, but no copy for an agency or other outside
   * recipient may carry this party's name, phone or ID number.
   */
  confidential: z.boolean().optional(),
});
export type Party = z.infer<typeof Party>;

/** A dispute as one channel reported it, normalised. Internal: carries personal data, never sent to agencies. */
export const DisputeReceivedV1 = z.object({
  disputeId: z.uuid(),
  channel: Channel,
  /** The channel's own identifier: 12345 order number, WeChat application number, court case number. */
  sourceRef: z.string().min(1).max(100),
  /**
   * The signed client that pushed the report (a 12345 hotline system, a court gateway), where
   * the channel has clients: the handling result is reported back to it.
   */
  sourceClient: z.string().min(1).max(100).optional(),
  /** 1 for the first report; a genuine update of the same source record (new content, a reminder) counts up. */
  revision: z.number().int().min(1).default(1),
  receivedAt: z.iso.datetime({ offset: true }),
  title: z.string().max(200).optional(),
  content: z.string().min(1).max(20_000),
  /** The channel's own classification, kept as it came (12345 classification, court 案由). */
  sourceCategory: z
    .object({ scheme: z.string(), code: z.string().optional(), name: z.string().optional() })
    .optional(),
  /** Set when the channel already speaks the platform's categories. */
  category: CategoryCode.optional(),
  location: z.object({
    divisionCode: DivisionCode.optional(),
    address: z.string().max(500).optional(),
  }),
  parties: z.array(Party).max(50),
  amountClaimed: z.number().nonnegative().optional(),
  dueAt: z.iso.datetime({ offset: true }).optional(),
  attachments: z
    .array(z.object({ url: z.url(), name: z.string().max(200).optional() }))
    .max(50)
    .default([]),
  /** Set when the 12345 hotline reported the dispute: how its work order (工单) came in and how the hotline rates it. */
  hotline: z
    .object({
      /** 受理渠道: where the hotline took the call or message; `transfer` when another body passed it on (转办). */
      intakeChannel: z
        .enum(['phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'visit', 'transfer', 'other'])
        .optional(),
      /** 诉求类型: 咨询 consultation, 求助 help, 投诉 complaint, 举报 report, 建议 suggestion, 其他 other. */
      requestType: z.enum(['consultation', 'help', 'complaint', 'report', 'suggestion', 'other']).optional(),
      /** 紧急程度 as the hotline set it. */
      urgency: z.enum(['normal', 'urgent', 'very_urgent']).optional(),
      /** 催办: the caller pressed again. Each new reminder arrives as a new revision of the same dispute. */
      reminder: z
        .object({
          count: z.number().int().min(1).max(1000),
          lastAt: z.iso.datetime({ offset: true }).optional(),
          note: z.string().max(2000).optional(),
        })
        .optional(),
    })
    .optional(),
  /**
   * Set when a court referred the dispute (诉前调解 / 委托调解): which court, what kind of case, and
   * which court client referred it, so the outcome can go back to that court.
   */
  court: z
    .object({
      /** The court's code as case numbers write it, e.g. 闽0803. */
      courtCode: z.string().min(1).max(20),
      courtName: z.string().min(1).max(100),
      /** The case number's type code (类型代字), e.g. 民诉前调. */
      caseType: z.string().min(1).max(20),
      referralDate: z.iso.date(),
      /** The signed client that pushed the referral: the outcome is reported back to it. */
      referredBy: z.string().min(1).max(100),
      /** The applicant's claims (诉讼请求), one per item. */
      claims: z.array(z.string().min(1).max(1000)).max(20).optional(),
    })
    .optional(),
  /**
   * Set when the record comes from before the platform (a historical backfill, e.g. the 218,000
   * records gathered so far), not from a live report. It is filed as it happened: opened when the
   * channel received it, with no deadline running and nobody notified; when the record says how
   * the matter ended, the case ends so.
   */
  historical: z
    .object({
      /** How the matter ended, when the record says. */
      outcome: CaseOutcome.optional(),
      /** When it ended (办结时间): given with the outcome, and only with it. */
      endedAt: z.iso.datetime({ offset: true }).optional(),
    })
    .refine((record) => (record.outcome === undefined) === (record.endedAt === undefined), {
      message: 'an outcome and its endedAt are given together',
      path: ['endedAt'],
    })
    .optional(),
});
export type DisputeReceivedV1 = z.infer<typeof DisputeReceivedV1>;

/**
 * A historical record's first routing files it: nobody is handed it or told of it. A later
 * routing version (an operator's correction) is live work again.
 */
export const isHistoricalFiling = (dispute: DisputeReceivedV1, routingVersion: number): boolean =>
  dispute.historical !== undefined && routingVersion === 1;
