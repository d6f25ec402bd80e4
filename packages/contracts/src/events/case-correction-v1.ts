import { z } from 'zod';
import { CategoryCode, DivisionCode, instant, Level } from '../vocabulary.ts';
import { CaseEscalatedV1 } from './case-escalation-v1.ts';
import { DisputeReceivedV1 } from './dispute-intake-v1.ts';

/**
 * A case asks routing to decide again — an operator corrected its place or category, or its
 * first report was revised (new content, a 催办) — and routing publishes the case's next
 * assignment version; departments no longer involved are withdrawn.
 */
export const CaseCorrectedV1 = z.object({
  caseId: z.uuid().describe('The case to route again.'),
  version: z
    .number()
    .int()
    .min(2)
    .describe("The routing version the new decision must carry (the case's current version + 1)."),
  dispute: DisputeReceivedV1.describe(
    "The case's first report as it reads now, with every correction so far applied: what routing decides on, unless `decideOn` is given, and the dispute the new version is published for (the one the case's departments know it by).",
  ),
  decideOn: DisputeReceivedV1.optional().describe(
    'A report that joined the case and made the matter graver (a major court referral, a repeat routed as major), with the corrections applied: routing decides on it instead of `dispute`, and publishes the decision for `dispute`. Absent otherwise.',
  ),
  currentDepartments: z
    .array(z.string())
    .default([])
    .describe(
      'Codes of the departments on the case now: those the new decision leaves out are told they are withdrawn. Empty when absent.',
    ),
  // Each department's deadline travels so that its agency copy of the new version carries the
  // deadline the case will record (deadlines.ts): one keeping its role keeps an earlier deadline.
  currentAssignments: z
    .array(
      z.object({
        code: z.string().describe("The department's code."),
        role: z.enum(['lead', 'co']).describe('The role it holds now.'),
        dueAt: instant('The deadline it holds now.'),
      }),
    )
    .default([])
    .describe(
      'What each of the departments on the case holds now: its role and deadline. Empty when absent.',
    ),
  courtDueAt: instant(
    'The date of a court whose referral joined the case: no department of it is given a later deadline. Absent when no court referral joined.',
  ).optional(),
  courtMovedFrom: instant(
    "The court's former date, when a court's revision of its referral moved it (委派调解期限): a department's deadline at that date was the court's and follows the court's new one, later too (deadlines.ts). Absent otherwise.",
  ).optional(),
  // Routing judges the lane from the report alone: without this, the new version (its decision,
  // the agencies' copies, the webhooks) would say a lower lane than the case is on.
  currentLane: z
    .object({
      level: Level.describe('The level of the express lane the case is on.'),
      divisionCode: DivisionCode.optional().describe(
        "The division whose secretary follows the case now (the town, county or city code); absent when the case has no place yet. A re-routing that places the case elsewhere at that level moves it to that division's secretary, at the same level.",
      ),
      reason: CaseEscalatedV1.shape.reason.describe(
        'Why the case went onto that level: `major` (routing judged it major), `overdue`, `repeated` or `manual` (an operator escalated it by hand).',
      ),
    })
    .optional()
    .describe(
      "The secretary express lane (书记直通车) the case is on, however it got there (routing, an operator, the SLA sweeper, repeated reports). The lane never goes down on a re-routing: the new decision's `expressLane` is the higher of routing's own judgement and this level. Absent when the case is not on the lane.",
    ),
  corrected: z
    .object({
      divisionCode: DivisionCode.optional().describe('The place the operator set, when they corrected it.'),
      category: CategoryCode.optional().describe('The category the operator set, when they corrected it.'),
    })
    .describe(
      'The corrections applied (all an operator has made so far); empty when only the report changed.',
    ),
  by: z.string().describe('The operator, or the channel (`channel:hotline_12345`) whose revision asked.'),
  reason: z.string().max(500).describe('Why, in words.'),
  occurredAt: instant('When the correction was made.'),
});
export type CaseCorrectedV1 = z.infer<typeof CaseCorrectedV1>;
