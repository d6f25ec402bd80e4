import { z } from 'zod';
import { CategoryCode, Channel, DivisionCode, instant } from '../vocabulary.ts';
import { CaseOutcome } from './case-status-v1.ts';

export const Party = z.object({
  role: z
    .enum(['applicant', 'respondent', 'caller', 'other'])
    .describe(
      "The party's part in the dispute: `applicant` (asks for mediation), `respondent` (the other side), `caller` (reported it on the hotline, may be the applicant), `other`.",
    ),
  kind: z
    .enum(['person', 'organisation'])
    .default('person')
    .describe('`person` or `organisation` (a company, a village committee…); `person` when absent.'),
  name: z.string().min(1).max(100).optional().describe("The party's name as given; absent when not given."),
  phone: z
    .string()
    .min(3)
    .max(30)
    .optional()
    .describe("The party's phone number as given; absent when not given."),
  idNumber: z
    .string()
    .max(30)
    .optional()
    .describe("The party's ID-card number as given; absent when not given."),
  wechatOpenId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(
      "The party's OpenID for the platform's WeChat official account, when they came through WeChat and it is known: notify sends them WeChat messages instead of SMS.",
    ),
  confidential: z
    .boolean()
    .optional()
    .describe(
      "True when the party asked that their identity stay with the platform (12345 保密; an anonymous caller too): the platform keeps what it was given, but no copy for an agency or other outside recipient carries this party's name, phone or ID number; where the report's title or content names them, an agency reads `[保密当事人]` instead. Absent means false.",
    ),
});
export type Party = z.infer<typeof Party>;

/** A dispute as one channel reported it, normalised. Internal: carries personal data, never sent to agencies. */
export const DisputeReceivedV1 = z.object({
  disputeId: z
    .uuid()
    .describe(
      "The dispute's id: a UUIDv5 of the channel and the channel's own id (sourceRef), so the same report pushed again has the same id everywhere. Also the Kafka message key.",
    ),
  channel: Channel,
  sourceRef: z
    .string()
    .min(1)
    .max(100)
    .describe(
      "The channel's own identifier: the 12345 work-order number, the WeChat application's tracking number, the court's case number.",
    ),
  sourceClient: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      'The signed client that pushed the report (a 12345 hotline system, a court gateway), where the channel has clients: the handling result is reported back to it. Absent for WeChat.',
    ),
  revision: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe(
      '1 for the first report; a genuine update of the same source record (new content, a reminder 催办) counts up. 1 when absent.',
    ),
  receivedAt: instant('When the channel received the report.'),
  title: z.string().max(200).optional().describe("The report's title or subject, when the channel has one."),
  content: z
    .string()
    .min(1)
    .max(20_000)
    .describe('What the citizen reported, in their words (usually Chinese).'),
  sourceCategory: z
    .object({
      scheme: z
        .string()
        .describe("Whose classification: `12345` for the hotline's, `court_cause` for a court's 案由."),
      code: z.string().optional().describe("The classification's code in that scheme, when given."),
      name: z
        .string()
        .optional()
        .describe("The classification's name in that scheme, when given (e.g. 劳动争议)."),
    })
    .optional()
    .describe(
      "The channel's own classification, kept as it came (12345 classification, court 案由); absent when the channel gave none.",
    ),
  category: CategoryCode.optional().describe(
    "Set only when the channel already speaks the platform's categories; routing classifies the dispute otherwise.",
  ),
  location: z
    .object({
      divisionCode: DivisionCode.optional().describe(
        'Where it happened, when the channel knows the division (a township QR code, a court of that county).',
      ),
      address: z
        .string()
        .max(500)
        .optional()
        .describe('Where it happened, as written by the citizen or the channel.'),
    })
    .describe(
      'Where the dispute happened, as reported; either part may be absent, routing works out the place.',
    ),
  parties: z.array(Party).max(50).describe('The people and organisations involved (up to 50); may be empty.'),
  amountClaimed: z
    .number()
    .nonnegative()
    .optional()
    .describe('The sum in dispute, in yuan (CNY), when the report states one.'),
  dueAt: instant(
    "The channel's own deadline for an answer (e.g. the 12345 work order's), when it sets one.",
  ).optional(),
  attachments: z
    .array(
      z.object({
        url: z.url().describe('Where the file can be fetched.'),
        name: z.string().max(200).optional().describe("The file's name, when given."),
      }),
    )
    .max(50)
    .default([])
    .describe('Files attached to the report (photos, documents), up to 50; empty when none.'),
  hotline: z
    .object({
      intakeChannel: z
        .enum(['phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'visit', 'transfer', 'other'])
        .optional()
        .describe(
          '受理渠道: where the hotline took the call or message; `transfer` when another body passed it on (转办).',
        ),
      requestType: z
        .enum(['consultation', 'help', 'complaint', 'report', 'suggestion', 'other'])
        .optional()
        .describe(
          '诉求类型: 咨询 consultation, 求助 help, 投诉 complaint, 举报 report, 建议 suggestion, 其他 other.',
        ),
      urgency: z
        .enum(['normal', 'urgent', 'very_urgent'])
        .optional()
        .describe('紧急程度 as the hotline set it.'),
      reminder: z
        .object({
          count: z.number().int().min(1).max(1000).describe('How many times the caller has pressed so far.'),
          lastAt: instant('When the caller last pressed, when the hotline says.').optional(),
          note: z.string().max(2000).optional().describe("The hotline's note on the last reminder."),
        })
        .optional()
        .describe(
          '催办: the caller pressed again. Each new reminder arrives as a new revision of the same dispute. Absent when never.',
        ),
    })
    .optional()
    .describe(
      'Set when the 12345 hotline reported the dispute: how its work order (工单) came in and how the hotline rates it.',
    ),
  court: z
    .object({
      courtCode: z
        .string()
        .min(1)
        .max(20)
        .describe("The court's code as case numbers write it, e.g. 闽0803."),
      courtName: z.string().min(1).max(100).describe("The court's name, e.g. 永定区人民法院."),
      caseType: z.string().min(1).max(20).describe("The case number's type code (类型代字), e.g. 民诉前调."),
      referralDate: z.iso
        .date()
        .describe('The day the court referred the dispute (YYYY-MM-DD, as the court dated it).'),
      referredBy: z
        .string()
        .min(1)
        .max(100)
        .describe('The signed court client that pushed the referral: the outcome is reported back to it.'),
      claims: z
        .array(z.string().min(1).max(1000))
        .max(20)
        .optional()
        .describe("The applicant's claims (诉讼请求), one per item, when the court gave them."),
    })
    .optional()
    .describe(
      'Set when a court referred the dispute (诉前调解 / 委托调解): which court, what kind of case, and which court client referred it, so the outcome can go back to that court.',
    ),
  historical: z
    .object({
      outcome: CaseOutcome.optional().describe('How the matter ended, when the record says.'),
      endedAt: instant('When it ended (办结时间): given with the outcome, and only with it.').optional(),
    })
    .refine((record) => (record.outcome === undefined) === (record.endedAt === undefined), {
      message: 'an outcome and its endedAt are given together',
      path: ['endedAt'],
    })
    .optional()
    .describe(
      'Set when the record comes from before the platform (a historical backfill, e.g. the 218,000 records gathered so far), not from a live report. It is filed as it happened: opened when the channel received it, with no deadline running and nobody notified; when the record says how the matter ended, the case ends so.',
    ),
});
export type DisputeReceivedV1 = z.infer<typeof DisputeReceivedV1>;

/**
 * A historical record's first routing files it: nobody is handed it or told of it. A later
 * routing version (an operator's correction) is live work again.
 */
export const isHistoricalFiling = (dispute: DisputeReceivedV1, routingVersion: number): boolean =>
  dispute.historical !== undefined && routingVersion === 1;

/**
 * Where a work order's 催办 stands in the hotline's own sequence, which only grows: the count, then
 * the time of the last one (ms since the epoch; 0 when the hotline gives none), compared element
 * by element. Ingest refuses a push behind a revision already taken (service-kit revisions.ts);
 * cases records a 催办 when a revision goes beyond the furthest its report has reached.
 */
export const reminderPosition = (reminder: {
  count: number;
  lastAt?: string | undefined;
}): [number, number] => [reminder.count, reminder.lastAt ? Date.parse(reminder.lastAt) : 0];
