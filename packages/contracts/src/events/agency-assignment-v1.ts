import { z } from 'zod';
import { CategoryCode, DivisionCode, Level, Severity } from '../vocabulary.ts';
import { Department } from './dispute-assignment-v1.ts';

/**
 * What one partner agency receives on its own topic (`agency.<code>.assignment.v1`): what it
 * needs to act and no more — never ID numbers; the citizen's contact only for the lead.
 */
export const AgencyAssignmentV1 = z.object({
  disputeId: z.uuid(),
  /** The routing version: a later version replaces an earlier one. */
  version: z.number().int().min(1),
  /** `withdrawn`: a re-routing no longer involves this department. */
  action: z.enum(['assigned', 'withdrawn']),
  department: Department,
  role: z.enum(['lead', 'co']).nullable(),
  /** The other departments on the matter, so joint handlers know each other. */
  partners: z.array(z.object({ code: z.string(), name: z.string(), role: z.enum(['lead', 'co']) })),
  category: CategoryCode,
  severity: Severity,
  place: z.object({ divisionCode: DivisionCode, names: z.array(z.string()) }),
  dueAt: z.iso.datetime({ offset: true }),
  expressLane: Level.nullable(),
  channel: z.enum(['hotline_12345', 'wechat', 'court']),
  receivedAt: z.iso.datetime({ offset: true }),
  title: z.string().optional(),
  content: z.string(),
  contact: z.object({ name: z.string().optional(), phone: z.string().optional() }).optional(),
});
export type AgencyAssignmentV1 = z.infer<typeof AgencyAssignmentV1>;
