import { addDays, daysBetween } from '../search/local-time.ts';

/** A run of whole local days, `from` included, `to` excluded (YYYY-MM-DD). */
export interface Period {
  from: string;
  to: string;
}

export type Grain = 'day' | 'month';

/** A part of a period read at one grain: month rows for whole months, day rows for the edges. */
export interface Segment {
  grain: Grain;
  from: string;
  to: string;
}

const firstOfMonth = (day: string) => `${day.slice(0, 7)}-01`;

export function addMonths(day: string, months: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

/**
 * The fewest rows that cover a period exactly: the whole months inside it from month rows, the
 * days before the first and after the last whole month from day rows. A year is then about
 * twelve month rows instead of 365 day rows per value.
 */
export function segmentsOf(period: Period): Segment[] {
  if (period.from >= period.to) return [];
  const firstWhole =
    period.from === firstOfMonth(period.from) ? period.from : addMonths(firstOfMonth(period.from), 1);
  const endWhole = firstOfMonth(period.to);
  if (firstWhole >= endWhole) return [{ grain: 'day', ...period }];
  const segments: Segment[] = [];
  if (period.from < firstWhole) segments.push({ grain: 'day', from: period.from, to: firstWhole });
  segments.push({ grain: 'month', from: firstWhole, to: endWhole });
  if (endWhole < period.to) segments.push({ grain: 'day', from: endWhole, to: period.to });
  return segments;
}

/** Whether a period is exactly one or more whole calendar months. */
function wholeMonths(period: Period): number | null {
  if (period.from !== firstOfMonth(period.from) || period.to !== firstOfMonth(period.to)) return null;
  const months =
    (Number(period.to.slice(0, 4)) - Number(period.from.slice(0, 4))) * 12 +
    Number(period.to.slice(5, 7)) -
    Number(period.from.slice(5, 7));
  return months > 0 ? months : null;
}

/**
 * The period to compare with. `previous` (环比): the period just before, as long — whole calendar
 * months compare with the same number of months before (March with February), other periods with
 * as many days before. `year` (同比): the same days one year earlier.
 */
export function comparisonPeriod(period: Period, compare: 'previous' | 'year'): Period {
  if (compare === 'year') return { from: addMonths(period.from, -12), to: addMonths(period.to, -12) };
  const months = wholeMonths(period);
  if (months !== null) return { from: addMonths(period.from, -months), to: period.from };
  const days = daysBetween(period.from, period.to);
  return { from: addDays(period.from, -days), to: period.from };
}

export type Interval = 'day' | 'week' | 'month';

/** The start of the interval a day falls in: itself, its ISO week's Monday, its month's first day. */
export function bucketStart(day: string, interval: Interval): string {
  if (interval === 'day') return day;
  if (interval === 'month') return firstOfMonth(day);
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -weekday);
}

export function nextBucket(start: string, interval: Interval): string {
  if (interval === 'day') return addDays(start, 1);
  if (interval === 'week') return addDays(start, 7);
  return addMonths(start, 1);
}

/** The intervals a period spans, each clipped to the period (the first and last may be partial). */
export function bucketsOf(period: Period, interval: Interval): { start: string; from: string; to: string }[] {
  const buckets: { start: string; from: string; to: string }[] = [];
  for (
    let start = bucketStart(period.from, interval);
    start < period.to;
    start = nextBucket(start, interval)
  ) {
    const end = nextBucket(start, interval);
    buckets.push({
      start,
      from: [start, period.from].sort()[1]!,
      to: [end, period.to].sort()[0]!,
    });
  }
  return buckets;
}

/** Width in hours of the resolution-time bucket starting at `lowerHours` (see case_stat_rows). */
export function bucketWidthHours(lowerHours: number): number {
  if (lowerHours < 720) return 1;
  if (lowerHours < 8760) return 24;
  return 0;
}

/**
 * The median of a histogram of durations (buckets of [lower, lower + width) hours with counts),
 * as for the list of durations itself: the middle one, or the mean of the two middle ones. A
 * duration is placed inside its bucket as if the bucket's cases were spread evenly over it, so the
 * answer is exact to within a bucket: an hour below 30 days, a day below a year.
 */
export function histogramMedianHours(buckets: { lowerHours: number; count: number }[]): number | null {
  const sorted = buckets.filter((b) => b.count > 0).sort((a, b) => a.lowerHours - b.lowerHours);
  const total = sorted.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return null;
  const valueAt = (rank: number) => {
    let below = 0;
    for (const bucket of sorted) {
      if (rank < below + bucket.count) {
        return (
          bucket.lowerHours + (bucketWidthHours(bucket.lowerHours) * (rank - below + 0.5)) / bucket.count
        );
      }
      below += bucket.count;
    }
    return sorted.at(-1)!.lowerHours;
  };
  return (valueAt(Math.floor((total - 1) / 2)) + valueAt(Math.ceil((total - 1) / 2))) / 2;
}
