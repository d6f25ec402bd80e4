import { z } from 'zod';
import { instant } from '../vocabulary.ts';
import { CaseResultWebhookData, SlaReminderWebhookData } from '../webhooks/agency-webhook.ts';
import { Role } from './agency-assignment-v1.ts';
import { CaseStatus } from './case-status-v1.ts';
import { Department } from './dispute-assignment-v1.ts';

/**
 * What one partner agency is told on its own topic (`agency.<code>.status.v1`) of a matter it
 * holds, beside its copies on `agency.<code>.assignment.v1`: what its webhook's `case_result` and
 * `sla_reminder` tell an agency that takes webhooks, the same words masked the same way. A topic of
 * its own, not new `action`s of the assignment copy: v1's `action` is a closed enum a consumer may
 * validate (and dead-letter what does not match), and its copies replace one another.
 */
export const AgencyStatusV1 = z
  .object({
    kind: z
      .enum(['ended', 'reminder'])
      .describe(
        "What happened, told in the block of its name: `ended` (the case your department holds has ended, with its outcome: the webhook's `case_result`), `reminder` (the lead's deadline is near or past: the webhook's `sla_reminder`). Ignore a `kind` you do not know, and fields you do not know: later releases of v1 may add some (additive changes only).",
      ),
    disputeId: z
      .uuid()
      .describe(
        "The dispute your copies of the matter name on `agency.<code>.assignment.v1` (also the Kafka message key, as there): the case's first report.",
      ),
    version: z
      .number()
      .int()
      .min(1)
      .describe(
        "The routing version your department's latest copy of the matter carries (its `version`): the one this notice is about.",
      ),
    caseId: z.uuid().describe('The case (GET /v1/cases/{caseId} on the cases API).'),
    department: Department.describe('Your department: the one this notice is for.'),
    role: Role.describe("Your department's part in the case: `lead` or `co`."),
    occurredAt: instant('When it happened: the case ended, or the sweep found the deadline near or past.'),
    ended: z
      .object({
        disputeIds: CaseResultWebhookData.shape.disputeIds,
        status: CaseStatus.extract(['resolved', 'unresolved']).describe(
          'How the case ended: `resolved` (mediated) or `unresolved` (not mediated, or withdrawn). Filing it afterwards (`closed`) tells you nothing new and sends nothing.',
        ),
        outcome: CaseResultWebhookData.shape.outcome,
        result: CaseResultWebhookData.shape.result,
      })
      .optional()
      .describe(
        'Set with `kind: ended`, absent otherwise. Once per case, to each department still on it (the lead and the co-handlers; not one a re-routing or a merge withdrew): your work on it is done.',
      ),
    reminder: z
      .object({
        level: SlaReminderWebhookData.shape.level.describe(
          '`due_soon`: the deadline is near (sent some time before it, 24 hours unless configured otherwise; never once it has passed), at most once per deadline: a deadline that moved is reminded of afresh. `overdue`: it has passed and the case is still open; once per case, when it is first found overdue (it then goes up the express lane: see `expressLane` on your copies).',
        ),
        dueAt: instant("The deadline reminded of: the lead's, as its copy says it (`dueAt`)."),
      })
      .optional()
      .describe(
        'Set with `kind: reminder`, absent otherwise. Sent to the lead only, and only while the case is open.',
      ),
  })
  .describe(
    'The same notice may arrive twice (a publish retried): deduplicate on the CloudEvents id (header `ce_id`), the same on every delivery of it.',
  );
export type AgencyStatusV1 = z.infer<typeof AgencyStatusV1>;
