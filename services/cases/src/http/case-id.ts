import { z } from 'zod';
import { isCaseNumber } from '../domain/case-number.ts';

/**
 * A case id in a path or a body. A citizen or a secretary quotes the 8-character case number from
 * an SMS, and an operator pastes it where the id goes: "Invalid UUID" would not tell them the
 * search finds the case by that number, so the 400 says how.
 */
export const CaseId = z.uuid({
  error: (issue) =>
    typeof issue.input === 'string' && isCaseNumber(issue.input)
      ? `a case id (UUID); ${issue.input} is a case number (案件编号): find its case with GET /v1/cases?ref=${issue.input}`
      : undefined,
});

/** The `:caseId` of the routes on one case. */
export const caseIdParams = z.object({ caseId: CaseId });
