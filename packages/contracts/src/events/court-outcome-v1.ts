import { z } from 'zod';
import { CaseOutcome } from './case-status-v1.ts';

/**
 * The outcome of a court's pre-litigation mediation referral, on the referring court's own
 * topic (`court.<court>.outcome.v1`), so a court system can consume its results like an agency.
 * The signed callback to the court client's URL is sent by notify from `case.status.v1`.
 */
export const CourtOutcomeV1 = z.object({
  caseNumber: z.string(),
  courtCode: z.string(),
  disputeId: z.uuid(),
  caseId: z.uuid(),
  outcome: CaseOutcome,
  occurredAt: z.iso.datetime({ offset: true }),
});
export type CourtOutcomeV1 = z.infer<typeof CourtOutcomeV1>;
