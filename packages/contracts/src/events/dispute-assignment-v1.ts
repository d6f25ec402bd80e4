import { z } from 'zod';
import { CategoryCode, DepartmentKind, DivisionCode, Level, Severity } from '../vocabulary.ts';
import { DisputeReceivedV1 } from './dispute-intake-v1.ts';

export const Department = z.object({
  code: z.string().min(1),
  kind: DepartmentKind,
  name: z.string(),
  divisionCode: DivisionCode,
});
export type Department = z.infer<typeof Department>;

export const PlaceResolution = z.enum(['exact', 'inferred', 'ambiguous', 'unresolved']);

export const Jurisdiction = z.object({
  cityCode: DivisionCode,
  countyCode: DivisionCode.optional(),
  townCode: DivisionCode.optional(),
  villageCode: DivisionCode.optional(),
  /** Human-readable, most specific last: 龙岩市 / 永定区 / 下洋镇. */
  names: z.array(z.string()),
  resolution: PlaceResolution,
});
export type Jurisdiction = z.infer<typeof Jurisdiction>;

/** Why a dispute went where it went: rules version, the rules that fired, how the place was found. */
export const DecisionTrace = z.object({
  rulesVersion: z.string(),
  rules: z.array(z.object({ id: z.string(), why: z.string() })),
  place: z.object({
    how: PlaceResolution,
    evidence: z.string(),
    candidates: z.array(z.string()).default([]),
  }),
  category: z.object({
    source: z.enum(['channel', 'text', 'default']),
    confidence: z.number().min(0).max(1),
  }),
});

/** One routing decision about one dispute. A re-routing publishes the same dispute with a higher version. */
export const DisputeAssignedV1 = z.object({
  disputeId: z.uuid(),
  version: z.number().int().min(1),
  decidedAt: z.iso.datetime({ offset: true }),
  jurisdiction: Jurisdiction,
  category: CategoryCode,
  severity: Severity,
  lead: Department.nullable(),
  coHandlers: z.array(Department),
  dueAt: z.iso.datetime({ offset: true }),
  expressLane: z.object({ level: Level, reason: z.string() }).nullable(),
  /** Set when the dispute could not be placed or classified with confidence: it waits for an operator. */
  triage: z.object({ divisionCode: DivisionCode, reason: z.string() }).nullable(),
  trace: DecisionTrace,
  /** The dispute as received, so a consumer never depends on reading the intake topic first. */
  dispute: DisputeReceivedV1,
});
export type DisputeAssignedV1 = z.infer<typeof DisputeAssignedV1>;
