import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';

/**
 * What a referring court itself says of a referral (诉前调解 / 委托调解), as the report's latest
 * revision states it: its case number, the court, when it referred the dispute, its mediation
 * deadline (委派调解期限, the intake's `dueAt`) and the sum claimed (标的额). Only what the
 * intake contract carries; the claims (诉讼请求) are in the report's content already.
 */
export type CourtFacts = {
  caseNumber: string;
  courtCode: string;
  courtName: string;
  caseType: string;
  referralDate: string;
  mediationDeadline: string | null;
  claimAmount: number | null;
};

/** A report's court facts; null for a report no court referred. */
export function courtFactsOf(
  report: Pick<DisputeReceivedV1, 'sourceRef' | 'court' | 'dueAt' | 'amountClaimed'>,
): CourtFacts | null {
  const { court } = report;
  if (!court) return null;
  return {
    caseNumber: report.sourceRef,
    courtCode: court.courtCode,
    courtName: court.courtName,
    caseType: court.caseType,
    referralDate: court.referralDate,
    // As an instant in UTC: the same deadline restated with another offset is no new date.
    mediationDeadline: report.dueAt ? new Date(report.dueAt).toISOString() : null,
    claimAmount: report.amountClaimed ?? null,
  };
}

/**
 * What a court's revision of its referral changed of its facts: the fields as `court.<fact>` (as
 * a case's history lists them beside `title`, `content`…) and their former values. The new ones
 * are the report's current facts.
 */
export function courtRevision(
  before: Parameters<typeof courtFactsOf>[0],
  after: Parameters<typeof courtFactsOf>[0],
): { changed: `court.${keyof CourtFacts}`[]; previous: Partial<CourtFacts> } {
  const former = courtFactsOf(before);
  const now = courtFactsOf(after);
  if (!former && !now) return { changed: [], previous: {} };
  const facts = Object.keys(former ?? now!) as (keyof CourtFacts)[];
  const moved = facts.filter((fact) => (former?.[fact] ?? null) !== (now?.[fact] ?? null));
  return {
    changed: moved.map((fact) => `court.${fact}` as const),
    previous: Object.fromEntries(moved.map((fact) => [fact, former?.[fact] ?? null])),
  };
}
