/**
 * Whether a YYYY-MM-DD string is a real day of the calendar (not 2024-02-30, 2026-13-01): Date
 * rolls such a day over to another, and one that comes back changed does not exist.
 */
export function isCalendarDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}

/**
 * An instant as ISO 8601 on China's clock (UTC+8, no daylight saving), with its offset
 * (`2024-09-03T00:30:00+08:00`): how the hotline and the courts write times.
 */
export function chinaTime(instant: Date | string): string {
  const local = new Date(new Date(instant).getTime() + 8 * 3600_000).toISOString();
  return `${local.slice(0, 19)}+08:00`;
}
