import { z } from 'zod';
import { CategoryCode, DivisionCode, Level } from '../vocabulary.ts';

/**
 * A case entered, or moved up, the secretary express lane (书记直通车): township → county →
 * city party secretary; or, re-routed to another town or county, moved to that division's
 * secretary at the level it has (`previousLevel` equals `level`). Published by cases through its
 * outbox; notify tells the people on that level of that division, once.
 */
export const CaseEscalatedV1 = z.object({
  caseId: z.uuid(),
  level: Level,
  previousLevel: Level.nullable(),
  reason: z.enum(['major', 'overdue', 'repeated', 'manual']),
  detail: z.string().max(500).optional(),
  occurredAt: z.iso.datetime({ offset: true }),
  /** The division whose secretary is concerned: the town, county or city code. */
  divisionCode: DivisionCode,
  category: CategoryCode.nullable(),
  dueAt: z.iso.datetime({ offset: true }).nullable(),
  /** Who escalated by hand, when it was by hand. */
  by: z.string().optional(),
});
export type CaseEscalatedV1 = z.infer<typeof CaseEscalatedV1>;
