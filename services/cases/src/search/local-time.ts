/**
 * Days as Longyan's operators count them: China Standard Time, UTC+8 all year (no daylight
 * saving since 1991), so a fixed offset is exact and needs no time-zone database (PGlite too).
 */
export const chinaOffsetMs = 8 * 3600_000;

/** SQL for the local (UTC+8) calendar day of a timestamptz expression. */
export const localDaySql = (expression: string) =>
  `((${expression} AT TIME ZONE 'UTC') + interval '8 hours')::date`;

/** The local calendar day (YYYY-MM-DD) of an instant. */
export function localDay(instant: Date): string {
  return new Date(instant.getTime() + chinaOffsetMs).toISOString().slice(0, 10);
}

/** The instant a local calendar day starts. */
export function startOfLocalDay(day: string): Date {
  return new Date(`${day}T00:00:00+08:00`);
}

/** Adds whole days to a calendar day (YYYY-MM-DD). */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Days from `from` to `to` (calendar days, `to` exclusive). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
