/**
 * Whether a YYYY-MM-DD string is a real day of the calendar (not 2024-02-30, 2026-13-01): Date
 * rolls such a day over to another, and one that comes back changed does not exist.
 */
export function isCalendarDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}
