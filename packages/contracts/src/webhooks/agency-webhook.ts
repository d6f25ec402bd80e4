import { z } from 'zod';
import { Partners, Role } from '../events/agency-assignment-v1.ts';
import { CaseOutcome, CaseStatus } from '../events/case-status-v1.ts';
import { CategoryCode, Channel, DivisionCode, instant, Level, Severity } from '../vocabulary.ts';
import { signedPostBody } from './envelope.ts';

const disputeId = z
  .uuid()
  .describe(
    'The dispute: the same id as on the Kafka topics and in the cases API (GET /v1/disputes/{disputeId} answers its caseId).',
  );
const version = z
  .number()
  .int()
  .min(1)
  .describe(
    'The routing version, 1 for the first: a later version of the same dispute replaces an earlier one (a re-routing after a correction or a 催办), and a later `assignment_update` of the same version replaces the earlier delivery (the same assignment with its `dueAt` brought forward to the date of a court referral that joined the case, or with the `expressLane` the case went onto or up to). Ignore a version lower than one already applied.',
  );

/** The fields of an assignment a later one may change (`changes`): all but the dispute, the version and the department. */
export const assignmentFields = [
  'caseId',
  'role',
  'partners',
  'category',
  'severity',
  'place',
  'dueAt',
  'expressLane',
  'title',
  'content',
  'contact',
] as const;

/** Said of the fields added to an existing webhook: a delivery recorded before them goes out as it was recorded. */
const recordedBefore =
  ' Absent from a delivery recorded before this field was added (a retry or a replayed dead letter from before the upgrade).';

/** `assignment` and `assignment_update`: what a department needs to act on a dispute. */
export const AssignmentWebhookData = z.object({
  disputeId,
  version,
  role: Role.describe(
    '`lead`: your department leads the handling and calls the citizen back. `co`: it handles jointly with the lead.',
  ),
  department: z
    .string()
    .describe('Your department, by name (e.g. 江山镇司法所): the one this delivery is for.'),
  departmentCode: z
    .string()
    .describe(
      `Your department's code (e.g. 350802107-judicial_office), as \`partners\` name the others and the Kafka copy its \`department.code\`: a receiver serving several departments from one URL tells by it which one this delivery is for.${recordedBefore}`,
    )
    .optional(),
  caseId: z
    .uuid()
    .nullable()
    .describe(
      `The case the dispute is in, as notify knew it when it recorded this delivery: the id the cases API's case routes take (GET /v1/cases/{caseId}, its actions). A dispute's first decision names the case its report opened (every report opens one; a repeat is folded into another after, and a \`withdrawal\` with \`mergedInto\` follows). Null when notify has not yet heard of the dispute's case at a later version (rare: GET /v1/disputes/{disputeId} answers it). A later delivery may name another case (an operator merged the case or detached the report).${recordedBefore}`,
    )
    .optional(),
  partners: Partners,
  category: CategoryCode,
  severity: Severity,
  place: z
    .array(z.string())
    .describe(
      'Where the dispute happened, by name, most specific last, e.g. ["龙岩市", "新罗区", "江山镇"]; shorter when routing could not place it below the county or the city.',
    ),
  placeCode: DivisionCode.describe(
    `Where the dispute happened, by code: the most specific division known (the town, else the county, else the city), the one \`place\` names last; the Kafka copy's \`place.divisionCode\`.${recordedBefore}`,
  ).optional(),
  dueAt: instant(
    'Your deadline: when your department must have answered the matter. An `assignment_update` may bring it forward (a court referral joined the case), never later.',
  ),
  expressLane: Level.nullable().describe(
    'The level of the secretary express lane (书记直通车) whose secretary follows the matter; null when it is not on the lane. When the case goes onto the lane or up it (escalated by an operator, overdue, reported again and again), each department on it gets an `assignment_update` with the new level.',
  ),
  channel: Channel.optional(),
  receivedAt: instant(`When the channel received the report.${recordedBefore}`).optional(),
  title: z
    .string()
    .nullable()
    .describe(
      "The report's title; null when the channel gave none (the Kafka copy leaves the field out then). Its ID-card and mobile numbers and a confidential party's name masked as in `content`.",
    ),
  content: z
    .string()
    .describe(
      'What the citizen reported, in their words (usually Chinese). ID-card numbers in it are replaced by `[身份证号]` and the name of a party who asked for confidentiality (12345 保密) by `[保密当事人]` for every department, the lead too; mobile numbers by `[手机号]` for every department but the lead, and for the lead too when a party asked for confidentiality. The lead calls back through `contact`.',
    ),
  contact: z
    .object({
      name: z.string().nullable().describe("The citizen's name; null when not given."),
      phone: z.string().nullable().describe("The citizen's phone number; null when not given."),
    })
    .optional()
    .describe(
      'Who to call back: the applicant or caller. Sent only to the lead, and never for a caller who asked to stay confidential (12345 保密); absent otherwise. Personal data: keep it out of logs.',
    ),
  changes: z
    .array(z.enum(assignmentFields))
    .optional()
    .describe(
      "On an `assignment_update` only: the fields of this body whose value differs from the assignment or update of the dispute notify last sent your department (`place` for `place` and `placeCode`; a `caseId` notify does not know now, null, is no change); empty when only `version` did — a re-routing that changed nothing you are given, such as one asked for by a 催办 (reminder) or by a correction that kept your part. Why the dispute was routed again (a correction, a 催办, a report that joined the case) is not said: the routing decision notify sends from does not carry it; the cases API's history of the case (GET /v1/cases/{caseId}) does. Absent on an `assignment`.",
    ),
});
export type AssignmentWebhookData = z.infer<typeof AssignmentWebhookData>;

/** `withdrawal`: a re-routing no longer involves the department. */
export const WithdrawalWebhookData = z.object({
  disputeId,
  version: version.describe('The routing version that left your department out.'),
  reason: z
    .enum(['re-routed', 'merged'])
    .describe(
      'Why: `re-routed` (a correction or a new report of the matter sent it elsewhere); `merged` (the report joined another case, about the same matter: see `mergedInto`).',
    ),
  mergedInto: z
    .object({
      caseId: z.uuid().describe('The case the report joined.'),
      disputeId: z
        .uuid()
        .optional()
        .describe(
          'The dispute that case is known by (its first report): if your department holds that one too, carry on there.',
        ),
    })
    .optional()
    .describe('Where the matter went, when `reason` is `merged`; absent otherwise.'),
});
export type WithdrawalWebhookData = z.infer<typeof WithdrawalWebhookData>;

/** `sla_reminder`: the lead's deadline is near, or has passed. */
export const SlaReminderWebhookData = z.object({
  disputeId,
  version: version.describe('The routing version whose deadline this is.'),
  level: z
    .enum(['due_soon', 'overdue'])
    .describe(
      '`due_soon`: the deadline is near (sent some time before it, 24 hours unless configured otherwise; never once it has passed). `overdue`: it has passed and the case is still open. At most one of each level per deadline: a re-routing that keeps you as lead at the same deadline (a 催办) sends neither again; a deadline that moved is reminded of afresh.',
    ),
  department: z.string().describe('Your department, by name: the lead.'),
  dueAt: instant('The deadline reminded of.'),
});
export type SlaReminderWebhookData = z.infer<typeof SlaReminderWebhookData>;

/** `case_result`: the case a department held has ended. */
export const CaseResultWebhookData = z.object({
  caseId: z.uuid().describe('The case (GET /v1/cases/{caseId} on the cases API).'),
  disputeIds: z
    .array(z.uuid())
    .min(1)
    .describe('The disputes (reports) the case holds: those your assignments named.'),
  status: CaseStatus,
  outcome: CaseOutcome.extend({
    summary: CaseOutcome.shape.summary.describe(
      "The agreement reached (mediated), or why not; absent when nobody wrote one. Masked as your department's copies of the case's reports are (`content`): ID-card numbers `[身份证号]` and the name of a party who asked for confidentiality (12345 保密) `[保密当事人]` for every department, the lead too; mobile numbers `[手机号]` for every department but the lead, and for the lead too when a party asked for confidentiality.",
    ),
  }).describe(CaseOutcome.description ?? ''),
  result: z
    .string()
    .describe(
      'The outcome in a few Chinese words, as the citizen is told it, e.g. 调解成功，涉及金额3800元.',
    ),
  occurredAt: instant('When the case ended.'),
});
export type CaseResultWebhookData = z.infer<typeof CaseResultWebhookData>;

/**
 * The body of every POST to an agency's webhook, by `kind`: the same deliveries an agency that
 * reads Kafka gets on its topic, plus reminders and the case's end.
 */
export const AgencyWebhook = z
  .discriminatedUnion('kind', [
    signedPostBody(
      'assignment',
      AssignmentWebhookData,
      'Your department is to handle a dispute, as lead or co-handler.',
    ),
    signedPostBody(
      'assignment_update',
      AssignmentWebhookData,
      'A dispute your department already has, again with changes (a re-routing kept you, the deadline came forward, or the case went onto or up the express lane): replaces what you had for it; `changes` names what differs.',
    ),
    signedPostBody(
      'withdrawal',
      WithdrawalWebhookData,
      'A re-routing no longer involves your department in the dispute, or the report joined another case (`merged`): stop work on it (or carry on under the dispute it joined, if you hold that one).',
    ),
    signedPostBody(
      'sla_reminder',
      SlaReminderWebhookData,
      "A reminder of the lead's deadline: due soon, or overdue. Sent to the lead only, and only while the case is open.",
    ),
    signedPostBody(
      'case_result',
      CaseResultWebhookData,
      'A case your department held has ended, with its outcome.',
    ),
  ])
  .describe(
    "A POST to a partner agency's webhook (for agencies that do not run a Kafka consumer): `{deliveryId, kind, data}`, one of the kinds below.",
  );
export type AgencyWebhook = z.infer<typeof AgencyWebhook>;
