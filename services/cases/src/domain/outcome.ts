import { CaseOutcome } from '@huijie/contracts/events/case-status-v1.ts';
import type { FieldProblem } from '@huijie/service-kit/errors.ts';
import { AgreedAmount } from './agreed-amount.ts';

/**
 * What an outcome may say besides its kind, by kind: an agreed `amount` only when an agreement was
 * reached (`mediated`), where the matter goes next (`referredTo`) only when mediation failed
 * (`not_mediated`); a withdrawal neither. Anything else contradicts itself: an agreed sum on a
 * case the citizen withdrew would be exported, counted and told to the hotline and the court.
 */
const allowedByKind: Record<CaseOutcome['kind'], readonly ('amount' | 'referredTo')[]> = {
  mediated: ['amount'],
  not_mediated: ['referredTo'],
  withdrawn: [],
};

const onlyWith: Record<'amount' | 'referredTo', string> = {
  amount: 'only a mediated outcome has an agreed amount',
  referredTo: 'only a not_mediated outcome says where the matter goes next (litigation, arbitration, other)',
};

/**
 * The one rule for an outcome recorded on a case, whoever records it (the lead department's
 * agency or an operator: both through `POST /v1/cases/:caseId/outcome`): a summary except for a
 * withdrawal, and nothing its kind does not allow (allowedByKind), each problem on its field.
 * The historical import (bulk/import-records.ts) does not apply it yet: a record's outcome columns
 * are taken as the old system wrote them.
 */
export function outcomeProblems(outcome: {
  kind: CaseOutcome['kind'];
  summary?: string | undefined;
  amount?: number | undefined;
  referredTo?: string | undefined;
}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // The summary is what the citizen, the hotline and a referring court are told: the agreement
  // reached, or why none was. Only a withdrawal (the citizen dropped it) needs none.
  if (outcome.kind !== 'withdrawn' && !outcome.summary?.trim()) {
    problems.push({ field: 'summary', reason: 'say what was agreed (mediated) or why not (not_mediated)' });
  }
  for (const field of ['amount', 'referredTo'] as const) {
    if (outcome[field] === undefined || allowedByKind[outcome.kind].includes(field)) continue;
    problems.push({ field, reason: `${onlyWith[field]}; leave it out of a ${outcome.kind} one` });
  }
  return problems;
}

/** An outcome as the API takes it: the event's, an amount the case can keep (AgreedAmount), and outcomeProblems. */
export const RecordedOutcome = CaseOutcome.extend({
  amount: AgreedAmount.optional().describe(
    `${CaseOutcome.shape.amount.description ?? ''} Only with \`mediated\`.`.trim(),
  ),
  referredTo: CaseOutcome.shape.referredTo.describe(
    `${CaseOutcome.shape.referredTo.description ?? ''} Only with \`not_mediated\`.`.trim(),
  ),
}).superRefine((outcome, context) => {
  for (const problem of outcomeProblems(outcome)) {
    context.addIssue({ code: 'custom', path: [problem.field], message: problem.reason });
  }
});
