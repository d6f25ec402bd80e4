import { z } from 'zod';
import { CaseOutcome, CaseStatus } from '../events/case-status-v1.ts';
import { signedPostBody } from './envelope.ts';

const caseId = z
  .uuid()
  .describe('The platform case the report was handled in (several reports of one matter share one).');
const status = CaseStatus.describe(
  'How the case stands: `resolved` (mediated), `unresolved` (not mediated or withdrawn), or `closed`.',
);
const outcomeKind = CaseOutcome.shape.kind;
const amount = z
  .number()
  .nonnegative()
  .optional()
  .describe('The sum agreed, in yuan (CNY), when the agreement involves money; absent otherwise.');
/** The platform's other instants are UTC (`instant`); what it tells a channel is on the channel's clock. */
const inChinaTime = (description: string) =>
  z.iso
    .datetime({ offset: true })
    .describe(
      `${description} ISO 8601 date-time in China time, always with its offset +08:00 (e.g. 2024-09-03T00:30:00+08:00), as the channel records it; never UTC (…Z).`,
    );

/** 办结反馈: what a 12345 hotline system closes its work order with. */
export const HotlineResultData = z.object({
  orderNo: z.string().describe('Your work-order number (工单编号), as you pushed it.'),
  caseId,
  status,
  outcome: outcomeKind,
  result: z.string().describe('The outcome in a few Chinese words, e.g. 调解成功，涉及金额3800元.'),
  feedback: z
    .string()
    .describe(
      'The 办结反馈 text for the caller: `result`, then what was agreed or why not when written, with its ID-card numbers replaced by `[身份证号]` (nobody outside the platform is given one); names and phone numbers as written.',
    ),
  amount,
  handledBy: z
    .string()
    .optional()
    .describe('The lead department that handled it, by name (e.g. 永定区公安局); absent when none led.'),
  finishedAt: inChinaTime('When the case ended (办结时间).'),
});
export type HotlineResultData = z.infer<typeof HotlineResultData>;

/** A referring court is told how its pre-litigation mediation (诉前调解) ended. */
export const CourtResultData = z.object({
  caseNo: z.string().describe('Your case number as referred, e.g. （2024）闽0803民诉前调123号.'),
  caseId,
  status,
  outcome: outcomeKind,
  mediated: z.boolean().describe('True when mediation reached an agreement (`outcome` is `mediated`).'),
  summary: z
    .string()
    .optional()
    .describe(
      'What was agreed, or why mediation failed; absent when nobody wrote one. Masked as a department that does not lead reads it: ID-card numbers `[身份证号]`, mobile numbers `[手机号]`, the name of a party who asked for confidentiality (12345 保密) `[保密当事人]`.',
    ),
  amount,
  referredTo: CaseOutcome.shape.referredTo,
  mediatedBy: z
    .string()
    .optional()
    .describe(
      'The lead department the referral was handled by, by name (e.g. 江山镇司法所), whatever the outcome: also when mediation failed or the applicant withdrew. Absent when none led.',
    ),
  closedAt: inChinaTime('When the mediation ended.'),
});
export type CourtResultData = z.infer<typeof CourtResultData>;

export const HotlineResultCallback = signedPostBody(
  'result_callback',
  HotlineResultData,
  "The handling result (办结反馈) of a work order, POSTed to the 12345 hotline system's callback endpoint once its case ends.",
);
export type HotlineResultCallback = z.infer<typeof HotlineResultCallback>;

export const CourtResultCallback = signedPostBody(
  'result_callback',
  CourtResultData,
  "The outcome of a pre-litigation mediation referral, POSTed to the referring court client's callback endpoint once its case ends.",
);
export type CourtResultCallback = z.infer<typeof CourtResultCallback>;
