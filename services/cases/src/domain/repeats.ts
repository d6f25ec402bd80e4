/**
 * When a new report is a repeat of an open case: the same caller (phone) about the same other
 * party, or about the same kind of matter in the same place, within the window. Yang called
 * the hotline several times about Hu's refusal to pay: one matter, one case.
 */
export interface RepeatEvidence {
  phones: string[];
  respondents: string[];
  category: string | null;
  townCode: string | null;
  countyCode: string | null;
}

export interface CandidateCase extends RepeatEvidence {
  id: string;
}

/**
 * Whether a channel's phones say who reported: the hotline's (the caller its system took the call
 * from, pushed signed) and a court's. A WeChat application's phone is what was typed into a public
 * form, anyone's: as evidence it would let a stranger who knows a phone join their report to that
 * caller's case, push it up the express lane with a few more, and follow the case's progress and
 * outcome on their own tracking page. Such a report opens a case of its own, and its phone joins
 * no later report to it; an operator merges them when they are one matter (`phone=` finds them).
 */
export const channelsWithoutCaller: readonly string[] = ['wechat'];
export const phoneIdentifiesCaller = (channel: string) => !channelsWithoutCaller.includes(channel);

export const repeatWindowDays = 30;
/** Reports on one case from which it enters the express lane: repeated, unresolved. */
export const expressLaneAfterReports = 3;

const normalise = (name: string) => name.replace(/\s+/g, '');

/**
 * Why `candidate` is the same matter as the new report, or null when it is not. The reason goes
 * into the case's history, which operators and every department on the case read, and into
 * case.status.v1: it says that the caller is the same, never which number (not even its last
 * digits) — who the caller is, is in the case's parties, shown to whom may see it.
 */
export function repeatReason(report: RepeatEvidence, candidate: RepeatEvidence): string | null {
  if (!report.phones.some((p) => candidate.phones.includes(p))) return null;
  const respondent = report.respondents
    .map(normalise)
    .find((r) => candidate.respondents.map(normalise).includes(r));
  if (respondent) return 'same caller and same other party';
  const samePlace = report.townCode
    ? report.townCode === candidate.townCode
    : report.countyCode !== null && report.countyCode === candidate.countyCode;
  if (report.category !== null && report.category === candidate.category && samePlace) {
    return `same caller, same category (${report.category}) and place`;
  }
  return null;
}
