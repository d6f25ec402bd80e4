import { z } from 'zod';
import { CategoryCode, Channel, DivisionCode, instant, Level, Severity } from '../vocabulary.ts';
import { Department } from './dispute-assignment-v1.ts';

/** A department's part in handling a dispute. */
export const Role = z.enum(['lead', 'co']);

/** The other departments on a matter: the same on an agency's topic and on its webhook. */
export const Partners = z
  .array(
    z.object({
      code: z.string().describe("The other department's code."),
      name: z.string().describe("The other department's name."),
      role: Role.describe('Its part: `lead` or `co`.'),
    }),
  )
  .describe(
    'The other departments on the matter, so joint handlers know each other; empty when your department handles it alone.',
  );

/**
 * What one partner agency receives on its own topic (`agency.<code>.assignment.v1`): what it
 * needs to act and no more — never ID numbers; the citizen's contact only for the lead.
 */
export const AgencyAssignmentV1 = z.object({
  disputeId: z
    .uuid()
    .describe(
      'The dispute (also the Kafka message key): every version of the same matter carries the same id.',
    ),
  version: z
    .number()
    .int()
    .min(1)
    .describe(
      'The routing version, 1 for the first: a later version of the same dispute replaces an earlier one (a re-routing after a correction or a reminder), and a later copy of the same version replaces the earlier copy (the same assignment with its `dueAt` brought forward to the date of a court referral that joined the case, or with the `expressLane` the case went onto or up to). Ignore a version lower than one already seen.',
    ),
  action: z
    .enum(['assigned', 'withdrawn'])
    .describe(
      '`assigned`: your department is to handle the matter (in `role`). `withdrawn`: your department no longer handles this dispute — a re-routing left it out, or the report repeated a matter already in hand and joined its case, or an operator merged its case into another (see `mergedInto`); stop work on it. Ignore an `action` you do not know, and fields you do not know: later releases of v1 may add some (additive changes only). What happens to the matter later (it ended, its deadline is near or past) comes on your status topic, `agency.<code>.status.v1`.',
    ),
  department: Department.describe('Your department: the one this copy is for.'),
  role: Role.nullable().describe(
    '`lead`: your department leads the handling and calls the citizen back. `co`: it handles jointly with the lead. Null when `action` is `withdrawn`.',
  ),
  partners: Partners,
  category: CategoryCode,
  severity: Severity,
  place: z
    .object({
      divisionCode: DivisionCode.describe(
        'The most specific division known: the town, else the county, else the city.',
      ),
      names: z
        .array(z.string())
        .describe('The places by name, most specific last, e.g. ["龙岩市", "新罗区", "江山镇"].'),
    })
    .describe('Where the dispute happened.'),
  dueAt: instant(
    'Your deadline: when your department must have answered the matter. A re-routing that keeps your role never gives a later one.',
  ),
  expressLane: Level.nullable().describe(
    'The level of the secretary express lane (书记直通车) the matter is on, whose secretary follows it; null when it is not on the lane. When the case goes onto the lane or up it (escalated by an operator, overdue, reported again and again), each department on it gets its copy of the version again with the new level.',
  ),
  channel: Channel,
  receivedAt: instant('When the channel received the report.'),
  title: z
    .string()
    .optional()
    .describe(
      "The report's title, when the channel gave one; its ID-card and mobile numbers and a confidential party's name masked as in `content`.",
    ),
  content: z
    .string()
    .describe(
      'What the citizen reported, in their words (usually Chinese). ID-card numbers in it are replaced by `[身份证号]` and the name of a party who asked for confidentiality (12345 保密) by `[保密当事人]` for every department, the lead too; mobile numbers by `[手机号]` for every department but the lead, and for the lead too when a party asked for confidentiality. The lead calls back through `contact`.',
    ),
  contact: z
    .object({
      name: z.string().optional().describe("The citizen's name, when given."),
      phone: z.string().optional().describe("The citizen's phone number, when given."),
    })
    .optional()
    .describe(
      'Who to call back: the applicant or caller. Sent only to the lead, and never for a caller who asked to stay confidential (12345 保密); absent otherwise. Personal data: keep it out of logs.',
    ),
  mergedInto: z
    .object({
      caseId: z.uuid().describe('The case the report joined.'),
      disputeId: z
        .uuid()
        .describe(
          "The dispute that case's departments know it by on their topics: the matter goes on under this id.",
        ),
    })
    .optional()
    .describe(
      "Set with `action: withdrawn` when the report repeated a matter already in hand and was folded into its case, or an operator merged its case into another: the matter is handled there, by that case's departments. A department that holds `disputeId` carries on with it; one that does not has nothing more to do. Absent otherwise.",
    ),
});
export type AgencyAssignmentV1 = z.infer<typeof AgencyAssignmentV1>;
