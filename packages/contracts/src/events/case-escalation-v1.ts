import { z } from 'zod';
import { CategoryCode, DivisionCode, Level } from '../vocabulary.ts';

/**
 * A case entered, or moved up, the secretary express lane (书记直通车): township → county →
 * city party secretary. Published by cases through its outbox; notify tells the people on
 * that level, once per level.
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
