import { z } from 'zod';
import { CategoryCode, DivisionCode } from '../vocabulary.ts';

export const CaseStatus = z.enum([
  'received',
  'triage',
  'assigned',
  'accepted',
  'mediating',
  'resolved',
  'unresolved',
  'closed',
]);
export type CaseStatus = z.infer<typeof CaseStatus>;

/** How a case ended. Amounts are yuan. */
export const CaseOutcome = z.object({
  kind: z.enum(['mediated', 'not_mediated', 'withdrawn']),
  /** The agreement reached (mediated), or why not. */
  summary: z.string().max(2_000).optional(),
  amount: z.number().nonnegative().optional(),
  /** Where a failed mediation goes next. */
  referredTo: z.enum(['litigation', 'arbitration', 'other']).optional(),
});
export type CaseOutcome = z.infer<typeof CaseOutcome>;

/** One report behind a case, as its channel knows it: where an outcome must be reported back. */
export const ReportRef = z.object({
  disputeId: z.uuid(),
  channel: z.enum(['hotline_12345', 'wechat', 'court']),
  sourceRef: z.string(),
  /** The client that pushed the report (hotline system, court client), when the channel has clients. */
  client: z.string().optional(),
});

/** A case changed status. Published by cases through its outbox. */
export const CaseStatusChangedV1 = z.object({
  caseId: z.uuid(),
  disputeIds: z.array(z.uuid()).min(1),
  status: CaseStatus,
  previousStatus: CaseStatus.nullable(),
  occurredAt: z.iso.datetime({ offset: true }),
  category: CategoryCode.nullable(),
  divisionCode: DivisionCode.nullable(),
  reason: z.string().optional(),
  /**
   * Set when the case was folded into another (a repeat report, or merged by an operator): it is
   * "closed", but its reports live on in that case, and their matter is still in hand.
   */
  mergedInto: z.uuid().optional(),
  /**
   * Set with `mergedInto` when the folded reports bring a court referral (诉前调解): the court's
   * date, and the disputes of the case it joined (that case's own reports before the fold). That
   * case is answered by then, whoever leads it: an earlier deadline it already had stands, a later
   * one (its departments', their reminders') comes forward to the court's.
   */
  mergedDeadline: z
    .object({ dueAt: z.iso.datetime({ offset: true }), disputeIds: z.array(z.uuid()).min(1) })
    .optional(),
  /** Set when the case ends (resolved, unresolved). */
  outcome: CaseOutcome.optional(),
  /** The reports behind the case, so the hotline and the court can be told the result. */
  reports: z.array(ReportRef).optional(),
});
export type CaseStatusChangedV1 = z.infer<typeof CaseStatusChangedV1>;
