import { z } from 'zod';
import { CategoryCode, DivisionCode } from '../vocabulary.ts';
import { DisputeReceivedV1 } from './dispute-intake-v1.ts';

/**
 * A case asks routing to decide again — an operator corrected its place or category, or its
 * first report was revised (new content, a 催办) — and routing publishes the case's next
 * assignment version; departments no longer involved are withdrawn.
 */
export const CaseCorrectedV1 = z.object({
  caseId: z.uuid(),
  /** The routing version the new decision must carry (the case's current version + 1). */
  version: z.number().int().min(2),
  /** The case's first report as it reads now, with every correction so far applied: what routing decides on. */
  dispute: DisputeReceivedV1,
  /** Departments on the case now: those the new decision leaves out are told they are withdrawn. */
  currentDepartments: z.array(z.string()).default([]),
  /**
   * What each of those departments holds now — its role and deadline — so that each agency's copy
   * of the new version carries the deadline the case will record (deadlines.ts): one keeping its
   * role keeps an earlier deadline.
   */
  currentAssignments: z
    .array(
      z.object({
        code: z.string(),
        role: z.enum(['lead', 'co']),
        dueAt: z.iso.datetime({ offset: true }),
      }),
    )
    .default([]),
  /** The date of a court whose referral joined the case: no department of it is given later. */
  courtDueAt: z.iso.datetime({ offset: true }).optional(),
  /** The corrections applied (all an operator has made so far); empty when only the report changed. */
  corrected: z.object({ divisionCode: DivisionCode.optional(), category: CategoryCode.optional() }),
  /** The operator, or the channel (`channel:hotline_12345`) whose revision asked. */
  by: z.string(),
  reason: z.string().max(500),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type CaseCorrectedV1 = z.infer<typeof CaseCorrectedV1>;
