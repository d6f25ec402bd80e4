import { z } from 'zod';
import { CategoryCode, Channel, DivisionCode, instant } from '../vocabulary.ts';

export const CaseStatus = z
  .enum(['received', 'triage', 'assigned', 'accepted', 'mediating', 'resolved', 'unresolved', 'closed'])
  .describe(
    "A case's status, in lifecycle order: `received` (opened from a report), `triage` (routing could not place or classify it with confidence; it waits for an operator), `assigned` (routed to its departments), `accepted` (the lead department took it on), `mediating` (the lead reported progress), `resolved` (ended, mediated), `unresolved` (ended, not mediated or withdrawn), `closed` (filed after it ended, or folded into another case: see mergedInto).",
  );
export type CaseStatus = z.infer<typeof CaseStatus>;

export const CaseOutcome = z
  .object({
    kind: z
      .enum(['mediated', 'not_mediated', 'withdrawn'])
      .describe(
        '`mediated` (an agreement was reached), `not_mediated` (mediation failed), `withdrawn` (the applicant withdrew).',
      ),
    summary: z
      .string()
      .max(2_000)
      .optional()
      .describe('The agreement reached (mediated), or why not; absent when nobody wrote one.'),
    amount: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        'The sum agreed, in yuan (CNY), when the agreement involves money (e.g. 3800 unpaid wages paid).',
      ),
    referredTo: z
      .enum(['litigation', 'arbitration', 'other'])
      .optional()
      .describe(
        'Where a failed mediation goes next, when known: `litigation`, `arbitration` (e.g. labour arbitration), `other`.',
      ),
  })
  .describe('How the case ended.');
export type CaseOutcome = z.infer<typeof CaseOutcome>;

/**
 * Who in a case asked for confidentiality (12345 保密), as what the platform tells of its outcome
 * outside it needs to know (agency-copies.ts `outsideText`).
 */
export const Confidentiality = z
  .object({
    asked: z
      .boolean()
      .describe(
        "Whether a party of the case's reports asked for confidentiality (12345 保密, or an anonymous caller): then no department reads a mobile number in the outcome's summary, the lead neither.",
      ),
    names: z
      .array(z.string())
      .describe(
        "The names no department may read in the case's words (the confidential parties', as the cases API masks them for agencies: also those of reports that left the case): `[保密当事人]` in the summary a department or the referring court is told. Personal data: for the platform's services, never logged or passed on.",
      ),
  })
  .describe(
    'Set with `outcome`: who asked for confidentiality, so that each receiver outside the platform is told the summary as the cases API shows it to agencies. Absent (a cases service from before it was carried): read as someone asked, every mobile masked.',
  );
export type Confidentiality = z.infer<typeof Confidentiality>;

/** One report behind a case, as its channel knows it: where an outcome must be reported back. */
export const ReportRef = z.object({
  disputeId: z.uuid().describe("The report's dispute id."),
  channel: Channel,
  sourceRef: z
    .string()
    .describe(
      "The channel's own identifier: 12345 work-order number, WeChat tracking number, court case number.",
    ),
  client: z
    .string()
    .optional()
    .describe(
      'The client that pushed the report (hotline system, court client), when the channel has clients.',
    ),
});

/** A case changed status. Published by cases through its outbox. */
export const CaseStatusChangedV1 = z.object({
  caseId: z.uuid().describe("The case's id (a case gathers one or more reports, each with its dispute id)."),
  disputeIds: z
    .array(z.uuid())
    .min(1)
    .describe(
      "The disputes (reports) the case holds, at least one. When reports join an open case (a repeat folded in), one event on that case names only the joining disputes: their status is now the case's.",
    ),
  status: CaseStatus,
  previousStatus: CaseStatus.nullable().describe(
    'The status before this change; null when the case was just opened. For disputes joining an open case: the status they had in the case they came from.',
  ),
  occurredAt: instant('When the change happened.'),
  category: CategoryCode.nullable().describe("The case's category; null until routing classified it."),
  divisionCode: DivisionCode.nullable().describe(
    'Where the case belongs (town, else county, else city code); null until routing placed it.',
  ),
  reason: z.string().optional().describe('Why the status changed, in words, when there is a reason to give.'),
  mergedInto: z
    .uuid()
    .optional()
    .describe(
      'Set when the case was folded into another (a repeat report, or merged by an operator): it is "closed", but its reports live on in that case, and their matter is still in hand.',
    ),
  mergedIntoDisputeId: z
    .uuid()
    .optional()
    .describe(
      "Set with `mergedInto`: the dispute the case it joined is known by to its departments (that case's first report). The departments of the folded reports are withdrawn from them, pointed there.",
    ),
  mergedDeadline: z
    .object({
      dueAt: instant("The court's date: the case is answered by then."),
      disputeIds: z
        .array(z.uuid())
        .min(1)
        .describe("The disputes of the case it joined (that case's own reports before the fold)."),
    })
    .optional()
    .describe(
      "Set with `mergedInto` when the folded reports bring a court referral (诉前调解): that case is answered by the court's date, whoever leads it; an earlier deadline it already had stands, a later one (its departments', their reminders') comes forward to the court's.",
    ),
  awaitsRoutingVersion: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "Set only on the status that opens a case an operator made by detaching a report from the case it had joined (`triage`, one dispute): the routing version (dispute.assignment.v1 `version`) the cases service asked routing for on that report, in the same change. Routing's decision of the report at this version or a later one answers the detach: it is the one that hands the report to departments, whether it comes before this status or after it (two topics). A decision of a lower version does not: the report's own first decision that the fold overtook, or an answer to something asked before the merge (a correction of the case it left). Absent on every other status, and on a detach that asks routing nothing (a historical record, filed in triage for an operator).",
    ),
  outcome: CaseOutcome.optional().describe('How the case ended: set when it ends (resolved, unresolved).'),
  confidentiality: Confidentiality.optional(),
  reports: z
    .array(ReportRef)
    .optional()
    .describe('The reports behind the case, so the hotline and the court can be told the result.'),
});
export type CaseStatusChangedV1 = z.infer<typeof CaseStatusChangedV1>;
