import { z } from 'zod';
import { CategoryCode, DepartmentKind, DivisionCode, instant, Level, Severity } from '../vocabulary.ts';
import { DisputeReceivedV1 } from './dispute-intake-v1.ts';

export const Department = z
  .object({
    code: z
      .string()
      .min(1)
      .describe(
        "The department's code, `<division code>-<kind>` (e.g. 350802107-judicial_office): its agency topic is agency.<code>.assignment.v1.",
      ),
    kind: DepartmentKind,
    name: z.string().describe("The department's name, e.g. 江山镇司法所."),
    divisionCode: DivisionCode.describe('The division the department serves (its town, county or city).'),
  })
  .describe('A department that handles disputes (a judicial office, a police station, a court…).');
export type Department = z.infer<typeof Department>;

export const PlaceResolution = z
  .enum(['exact', 'inferred', 'ambiguous', 'unresolved'])
  .describe(
    "How routing found the place: `exact` (a division code, or an address that names it), `inferred` (read from the report's words or a partial address), `ambiguous` (several places fit: placed only as far as they agree), `unresolved` (no place found below the city).",
  );

export const Jurisdiction = z
  .object({
    cityCode: DivisionCode.describe('The city (6 digits), e.g. 350800 龙岩市.'),
    countyCode: DivisionCode.optional().describe('The county or district (6 digits); absent when not known.'),
    townCode: DivisionCode.optional().describe(
      'The town, township or subdistrict (9 digits); absent when not known.',
    ),
    villageCode: DivisionCode.optional().describe(
      'The village or community (12 digits); absent when not known.',
    ),
    names: z
      .array(z.string())
      .describe('The places by name, most specific last, e.g. ["龙岩市", "新罗区", "江山镇"].'),
    resolution: PlaceResolution,
  })
  .describe('Where the dispute belongs, as precisely as routing could tell.');
export type Jurisdiction = z.infer<typeof Jurisdiction>;

export const DecisionTrace = z
  .object({
    rulesVersion: z.string().describe('The version of the routing rules that decided.'),
    rules: z
      .array(
        z.object({
          id: z.string().describe("The rule's id, e.g. route.labor, sla.route."),
          why: z.string().describe('Why the rule fired, in words.'),
        }),
      )
      .describe('The rules that fired, in the order they were applied.'),
    place: z
      .object({
        how: PlaceResolution,
        evidence: z.string().describe('What the place was found from, e.g. "division code 350802107".'),
        candidates: z
          .array(z.string())
          .default([])
          .describe('The places that fitted when the place is ambiguous; empty otherwise.'),
      })
      .describe('How the place was found.'),
    category: z
      .object({
        source: z
          .enum(['channel', 'text', 'default'])
          .describe(
            "Where the category came from: `channel` (the channel's own classification), `text` (the report's words), `default` (nothing fitted).",
          ),
        confidence: z.number().min(0).max(1).describe('How sure, from 0 to 1.'),
      })
      .describe('How the category was found.'),
  })
  .describe(
    'Why the dispute went where it went: rules version, the rules that fired, how the place was found.',
  );

/** One routing decision about one dispute. A re-routing publishes the same dispute with a higher version. */
export const DisputeAssignedV1 = z.object({
  disputeId: z.uuid().describe('The dispute decided about; also the Kafka message key.'),
  version: z
    .number()
    .int()
    .min(1)
    .describe(
      "The routing version, 1 for the first decision: a later version replaces an earlier one. Routing's answer to a later revision of the dispute (`dispute.revision` > 1: a 催办, new content, a court's re-push) comes at version 1 again and hands the dispute to no department (no agency copy, no webhook): when the revision is to reach them, the case is routed again at a later version.",
    ),
  decidedAt: instant('When routing decided.'),
  jurisdiction: Jurisdiction,
  category: CategoryCode,
  severity: Severity,
  lead: Department.nullable().describe(
    'The department that leads the handling; null while the dispute waits in triage.',
  ),
  coHandlers: z
    .array(Department)
    .describe('The departments that handle it jointly with the lead; empty when the lead handles it alone.'),
  dueAt: instant(
    "When the matter must be answered: the SLA of the route, or the channel's own deadline when earlier.",
  ),
  expressLane: z
    .object({
      level: Level,
      reason: z.string().describe('Why it went up the lane, in words.'),
    })
    .nullable()
    .describe(
      "Set when the dispute enters the secretary express lane (书记直通车), or when this version re-routes a case that is on it (case.correction.v1 `currentLane`): the lane never goes down on a re-routing, so the higher of routing's own judgement and the case's level, with the case's reason when its level is kept. Null otherwise.",
    ),
  triage: z
    .object({
      divisionCode: DivisionCode.describe(
        'The most specific division routing is sure of: its operators sort it out.',
      ),
      reason: z.string().describe('Why it could not be routed, in words.'),
    })
    .nullable()
    .describe(
      'Set when the dispute could not be placed or classified with confidence: it waits for an operator. Null otherwise.',
    ),
  courtDueAt: instant(
    "Set when this version re-routes a case a court referral joined (case.correction.v1): the court's date as the case holds it now. No department is given a later deadline (packages/contracts/src/deadlines.ts). Absent otherwise.",
  ).optional(),
  courtMovedFrom: instant(
    "Set when this version answers a court's revision that moved the court's date (委派调解期限): the former date. A department's deadline at it was the court's and follows the court's new date, later too, rather than being kept as an earlier one (packages/contracts/src/deadlines.ts). Absent otherwise.",
  ).optional(),
  trace: DecisionTrace,
  dispute: DisputeReceivedV1.describe(
    'The dispute as received, so a consumer never depends on reading the intake topic first.',
  ),
});
export type DisputeAssignedV1 = z.infer<typeof DisputeAssignedV1>;

/**
 * Routing's own answer to a later revision of an intake (a court's re-push, a 催办, new content):
 * published at version 1 again, which the case applied already. It hands nothing to any department
 * — no agency copy (routing), no webhook (notify) — or it would replace what each holds at version 1:
 * a deadline later than the case's, a referral folded into another case handed back to its
 * departments, departments new to the dispute told of it under version 1. The cases service asks
 * routing again (case.correction.v1, a later version) when a revision is to reach the departments,
 * and that answer carries them.
 */
export const answersLaterRevision = (decision: Pick<DisputeAssignedV1, 'version' | 'dispute'>): boolean =>
  decision.version === 1 && decision.dispute.revision > 1;
