import { z } from 'zod';
import { CategoryCode, DivisionCode, instant, Level } from '../vocabulary.ts';

const caseDeadline = instant("The case's deadline; null when it has none (e.g. a case still in triage).");

/**
 * A case entered, or moved up, the secretary express lane (书记直通车): township → county →
 * city party secretary; or, re-routed to another town or county, moved to that division's
 * secretary at the level it has (`previousLevel` equals `level`). Published by cases through its
 * outbox; notify tells the people on that level of that division, once. The departments on the case
 * are told too, their copies say the lane: cases sends each its agency copy again and notify its
 * webhook an `assignment_update`, with the new level, unless what it holds says that level already.
 */
export const CaseEscalatedV1 = z.object({
  caseId: z.uuid().describe('The case escalated.'),
  level: Level.describe('The level of the express lane the case is on now.'),
  previousLevel: Level.nullable().describe(
    "The level it was on before; null when it just entered the lane. Equal to `level` when a re-routing moved it to another division's secretary at the same level.",
  ),
  reason: z
    .enum(['major', 'overdue', 'repeated', 'manual'])
    .describe(
      'Why: `major` (routing judged the dispute major), `overdue` (its deadline passed unanswered), `repeated` (the same matter was reported several times), `manual` (an operator escalated it by hand).',
    ),
  detail: z.string().max(500).optional().describe('More about why, in words, when there is more to say.'),
  occurredAt: instant('When the case was escalated.'),
  divisionCode: DivisionCode.describe(
    'The division whose secretary is concerned: the town, county or city code.',
  ),
  category: CategoryCode.nullable().describe("The case's category; null when not yet classified."),
  // Described on the nullable too: a reader looks for the description on the property, not inside its anyOf.
  dueAt: caseDeadline.nullable().describe(caseDeadline.description ?? ''),
  by: z.string().optional().describe('Who escalated by hand, when it was by hand (`manual`).'),
});
export type CaseEscalatedV1 = z.infer<typeof CaseEscalatedV1>;
