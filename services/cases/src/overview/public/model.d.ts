// Types of model.js (plain JavaScript served to the browser as is), for the unit tests.

export interface Change {
  delta: number | null;
  ratio: number | null;
}
export interface Period {
  from: string;
  to: string;
}
export interface Tile {
  code: string;
  name: string;
  received: number;
  change: Change;
  ended: number;
  successRate: number | null;
  open: number;
  overdue: number;
  overdueRate: number | null;
  drillable: boolean;
}
export interface PlaceRow {
  key: string;
  label: string | null;
  received: number;
  change: Change;
  ended: number | null;
  successRate: number | null;
  open?: number;
  overdue?: number;
}
export interface CaseItem {
  caseId: string;
  createdAt: string;
  expressLevel: string | null;
  overdue?: boolean;
  dueAt?: string | null;
  departments?: { code: string; name: string; role: string; status: string }[];
}
export interface Bucket {
  from: string;
  to: string;
}

export function chinaDay(date: Date): string;
export function addDays(day: string, days: number): string;
export function daysBetween(from: string, to: string): number;
export function periodFor(choice: string, now: Date): Period;
export function intervalFor(days: number): 'day' | 'week' | 'month';
export function dimensionIntervalFor(days: number): 'day' | 'week' | 'month';
export function formatCount(value: number | null | undefined): string;
export function formatRate(value: number | null | undefined): string;
export function formatDays(value: number | null | undefined): string;
export function describeChange(
  change: Change | undefined,
  kind: 'count' | 'rate' | 'days',
  better?: 'up' | 'down' | null,
): {
  text: string;
  spoken: string;
  direction: 'up' | 'down' | 'flat' | 'none';
  tone: 'good' | 'bad' | 'neutral';
};
export function levelOf(code: string): 'city' | 'county' | 'town' | 'village';
export function pathTo(scope: string, place: string): string[];
export function parentOf(scope: string, place: string): string | null;
export function tilesOf(
  place: string,
  divisions: { counties: [string, string][]; towns: [string, string][] },
  rows: PlaceRow[],
): Tile[];
export function shade(value: number | null | undefined, max: number): number;
export function caseRef(caseId: string): string;
export function ageDays(since: string | Date, now: Date): number;
export function receivedAgo(since: string | Date, now: Date): string;
export function overdueByDepartment(
  cases: CaseItem[],
  now: Date,
): { code: string; name: string; cases: number; maxDaysLate: number }[];
export function expressList<T extends CaseItem>(escalated: T[], major: T[]): T[];
export function seriesByKey(
  buckets: Bucket[],
  breakdowns: { rows: { key: string; received: number }[] }[],
  labels: Record<string, string>,
  limit?: number,
): { labels: string[]; series: { key: string; label: string; data: number[] }[] };
export function bucketLabel(bucket: Bucket): string;
export function translateNote(
  text: string,
  categoryLabels?: Record<string, string>,
  formatTime?: (iso: string) => string,
): string;
