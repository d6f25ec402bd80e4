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
});
export type CaseStatusChangedV1 = z.infer<typeof CaseStatusChangedV1>;
