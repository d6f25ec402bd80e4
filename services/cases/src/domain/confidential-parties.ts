import { confidentialNames } from '@huijie/contracts/agency-copies.ts';
import type { Party } from '@huijie/contracts/events/dispute-intake-v1.ts';

/** The parties a report's intake (its latest revision) names, with who asked for confidentiality. */
export type ReportParties = {
  disputeId: string;
  parties: readonly Pick<Party, 'role' | 'name' | 'confidential'>[];
};

/** A party row of a case (`cases.parties`): the first revision's of its report. */
export type PartyRow = { disputeId: string; role: string; name: string | null };

/**
 * Whether a party row of a case is one that asked for confidentiality (12345 保密), which only
 * the report's intake records. The intake is the report's latest revision, the party rows its
 * first: they are matched by role, as a revision may name the same caller differently (a
 * corrected name, an anonymous 催办).
 */
export const isConfidentialRow = (row: PartyRow, reports: readonly ReportParties[]): boolean =>
  reports.some(
    (report) =>
      report.disputeId === row.disputeId &&
      report.parties.some((given) => given.confidential === true && given.role === row.role),
  );

/**
 * The names an agency may not read in a case's title and reports (`agencyText`): the confidential
 * parties' as the reports' intakes give them, and as the party rows an agency is not shown
 * (`isConfidentialRow`) do, which may be an earlier revision's: a case keeps the title it was
 * opened with when its report is revised, and a revision may name the caller otherwise.
 */
export function confidentialNamesOfCase(
  reports: readonly ReportParties[],
  rows: readonly PartyRow[],
): string[] {
  return confidentialNames([
    ...reports.flatMap((report) => report.parties),
    ...rows.map((row) => ({ name: row.name, confidential: isConfidentialRow(row, reports) })),
  ]);
}
