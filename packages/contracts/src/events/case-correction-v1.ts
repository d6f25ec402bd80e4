import { z } from 'zod';
import { CategoryCode, DivisionCode } from '../vocabulary.ts';
import { DisputeReceivedV1 } from './dispute-intake-v1.ts';

/**
 * An operator corrected a case's place or category: routing decides again and publishes the
 * case's next assignment version; departments no longer involved are withdrawn.
 */
export const CaseCorrectedV1 = z.object({
  caseId: z.uuid(),
  /** The routing version the new decision must carry (the case's current version + 1). */
  version: z.number().int().min(2),
  /** The case's first report, with the corrected place/category applied: what routing decides on. */
  dispute: DisputeReceivedV1,
  /** Departments on the case now: those the new decision leaves out are told they are withdrawn. */
  currentDepartments: z.array(z.string()).default([]),
  corrected: z.object({ divisionCode: DivisionCode.optional(), category: CategoryCode.optional() }),
  by: z.string(),
  reason: z.string().max(500),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type CaseCorrectedV1 = z.infer<typeof CaseCorrectedV1>;
