import { z } from 'zod';
import { instant } from '../vocabulary.ts';
import { CaseOutcome } from './case-status-v1.ts';

/**
 * The outcome of a court's pre-litigation mediation referral, on the referring court's own
 * topic (`court.<court>.outcome.v1`), so a court system can consume its results like an agency.
 * The signed callback to the court client's URL is sent by notify from `case.status.v1`.
 */
export const CourtOutcomeV1 = z.object({
  caseNumber: z.string().describe('The case number the court referred, e.g. （2024）闽0803民诉前调88号.'),
  courtCode: z.string().describe("The court's code as case numbers write it, e.g. 闽0803."),
  disputeId: z.uuid().describe("The referral's dispute id on the platform (also the Kafka message key)."),
  caseId: z
    .uuid()
    .describe('The platform case that handled the referral (it may hold other reports of the same matter).'),
  outcome: CaseOutcome.extend({
    summary: CaseOutcome.shape.summary.describe(
      "What was agreed, or why mediation failed; absent when nobody wrote one. Masked as in the court's result callback (a department that does not lead): ID-card numbers `[身份证号]`, mobile numbers `[手机号]`, the name of a party who asked for confidentiality (12345 保密) `[保密当事人]`.",
    ),
  }).describe(CaseOutcome.description ?? ''),
  occurredAt: instant('When the outcome was recorded.'),
});
export type CourtOutcomeV1 = z.infer<typeof CourtOutcomeV1>;
