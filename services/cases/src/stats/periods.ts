import { addDays, daysBetween } from '../search/local-time.ts';

/** A run of whole local days, `from` included, `to` excluded (YYYY-MM-DD). */
export interface Period {
  from: string;
  to: string;
}

export type Grain = 'day' | 'month';

/**
 * A part of a period read at one grain, added or (sign -1) taken away: month rows for whole months,
 * day rows for the rest.
 */
export interface Segment {
  grain: Grain;
  from: string;
  to: string;
  sign: 1 | -1;
}

const firstOfMonth = (day: string) => `${day.slice(0, 7)}-01`;

export function addMonths(day: string, months: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

/**
 * The fewest rows that add up to a period exactly. Whole months come from month rows; a part of a
 * month from its day rows, or from the month row minus the days outside the part when those are
 * fewer. `dataEnd`: no row exists from that day on (nothing is received or ended in the future), so
 * the days after it cost nothing to take away — "the last 30 days" is the current month's row plus
 * at most a few days. A year is about a dozen rows per value instead of 365.
 */
export function segmentsOf(period: Period, options: { dataEnd?: string } = {}): Segment[] {
  const to = options.dataEnd !== undefined && options.dataEnd < period.to ? options.dataEnd : period.to;
  if (period.from >= to) return [];
  const freeFrom = options.dataEnd ?? '9999-12-31';
  const segments: Segment[] = [];
  // A part [a, b) of one month: its days, or the month less the days around the part.
  const monthPart = (a: string, b: string) => {
    const start = firstOfMonth(a);
    const end = addMonths(start, 1);
    const inside = daysBetween(a, b);
    const before = daysBetween(start, a);
    const after = b >= freeFrom ? 0 : daysBetween(b, end);
    if (before + after < inside || (before === 0 && after === 0)) {
      segments.push({ grain: 'month', from: start, to: end, sign: 1 });
      if (before > 0) segments.push({ grain: 'day', from: start, to: a, sign: -1 });
      if (after > 0) segments.push({ grain: 'day', from: b, to: end, sign: -1 });
    } else {
      segments.push({ grain: 'day', from: a, to: b, sign: 1 });
    }
  };
  const firstWhole =
    period.from === firstOfMonth(period.from) ? period.from : addMonths(firstOfMonth(period.from), 1);
  const endWhole = firstOfMonth(to);
  if (firstWhole > endWhole) {
    monthPart(period.from, to);
    return segments;
  }
  if (period.from < firstWhole) monthPart(period.from, firstWhole);
  if (firstWhole < endWhole) segments.push({ grain: 'month', from: firstWhole, to: endWhole, sign: 1 });
  if (endWhole < to) monthPart(endWhole, to);
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
  if (compare === 'year') {
    // 29 February starts the year before on the 28th (not 1 March, past the period's end).
    const from = addMonths(period.from, -12);
    return {
      from: from.slice(8) === period.from.slice(8) ? from : addDays(`${from.slice(0, 7)}-01`, -1),
      to: addMonths(period.to, -12),
    };
  }
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

/**
 * The resolution-time bucket `b` of case_stat_facts: [1.05^b, 1.05^(b+1)) hours, each 5 % wider than
 * the one before (b = -1: under an hour), in hours.
 */
export function bucketBoundsHours(b: number): { lower: number; upper: number } {
  return b < 0 ? { lower: 0, upper: 1 } : { lower: 1.05 ** b, upper: 1.05 ** (b + 1) };
}

/**
 * The median of a histogram of durations (bucket number → count and sum of seconds), as for the
 * list of durations itself: the middle one, or the mean of the two middle ones. Inside a bucket the
 * durations are taken as spread evenly around the bucket's own mean, so a bucket of one case gives
 * that case's exact duration, and a crowded one is off by at most its width, 5 % of the value.
 */
export function histogramMedianHours(
  buckets: { bucket: number; count: number; seconds: number }[],
): number | null {
  const sorted = buckets.filter((b) => b.count > 0).sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return null;
  const valueAt = (rank: number) => {
    let below = 0;
    for (const { bucket, count, seconds } of sorted) {
      if (rank < below + count) {
        const { lower, upper } = bucketBoundsHours(bucket);
        const mean = seconds / count / 3600;
        const step = (upper - lower) / count;
        const value = mean + (rank - below + 0.5 - count / 2) * step;
        return Math.min(upper, Math.max(lower, value));
      }
      below += count;
    }
    return bucketBoundsHours(sorted.at(-1)!.bucket).lower;
  };
  return (valueAt(Math.floor((total - 1) / 2)) + valueAt(Math.ceil((total - 1) / 2))) / 2;
}
