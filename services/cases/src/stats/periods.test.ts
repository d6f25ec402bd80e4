import { describe, expect, it } from 'vitest';
import { bucketsOf, comparisonPeriod, histogramMedianHours, segmentsOf } from './periods.ts';

describe('periods', () => {
  it('reads whole months from month rows, the rest from days or from the month less its other days', () => {
    const day = (from: string, to: string, sign = 1) => ({ grain: 'day', from, to, sign });
    const month = (from: string, to: string) => ({ grain: 'month', from, to, sign: 1 });
    // 15–31 Jan: 17 days, or January less its first 14 days; 1–9 Apr: 9 days.
    expect(segmentsOf({ from: '2024-01-15', to: '2024-04-10' })).toEqual([
      month('2024-01-01', '2024-02-01'),
      day('2024-01-01', '2024-01-15', -1),
      month('2024-02-01', '2024-04-01'),
      day('2024-04-01', '2024-04-10'),
    ]);
    expect(segmentsOf({ from: '2024-03-01', to: '2024-04-01' })).toEqual([month('2024-03-01', '2024-04-01')]);
    expect(segmentsOf({ from: '2024-03-05', to: '2024-03-20' })).toEqual([day('2024-03-05', '2024-03-20')]);
    // Up to today (nothing after it): the month row stands for the month so far.
    expect(segmentsOf({ from: '2024-03-05', to: '2024-03-29' }, { dataEnd: '2024-03-29' })).toEqual([
      month('2024-03-01', '2024-04-01'),
      day('2024-03-01', '2024-03-05', -1),
    ]);
    // The last 30 days on 29 November: 31 October, then November so far.
    expect(segmentsOf({ from: '2026-10-31', to: '2026-11-30' }, { dataEnd: '2026-11-30' })).toEqual([
      day('2026-10-31', '2026-11-01'),
      month('2026-11-01', '2026-12-01'),
    ]);
  });

  it('compares a calendar month with the month before, other periods with as many days before', () => {
    expect(comparisonPeriod({ from: '2024-03-01', to: '2024-04-01' }, 'previous')).toEqual({
      from: '2024-02-01',
      to: '2024-03-01',
    });
    expect(comparisonPeriod({ from: '2024-03-10', to: '2024-03-20' }, 'previous')).toEqual({
      from: '2024-02-29',
      to: '2024-03-10',
    });
    expect(comparisonPeriod({ from: '2024-08-01', to: '2024-09-01' }, 'year')).toEqual({
      from: '2023-08-01',
      to: '2023-09-01',
    });
  });

  it('year on year from 29 February starts on the 28th the year before', () => {
    // 2024-02-29 alone: 2023-02-28 alone, not an empty period from 1 March to 28 February.
    expect(comparisonPeriod({ from: '2024-02-29', to: '2024-03-01' }, 'year')).toEqual({
      from: '2023-02-28',
      to: '2023-03-01',
    });
    expect(comparisonPeriod({ from: '2024-02-29', to: '2024-03-07' }, 'year')).toEqual({
      from: '2023-02-28',
      to: '2023-03-07',
    });
    expect(comparisonPeriod({ from: '2024-02-01', to: '2024-02-29' }, 'year')).toEqual({
      from: '2023-02-01',
      to: '2023-03-01',
    });
  });

  it('weeks start on Monday and the edges are clipped to the period', () => {
    // 2024-08-01 is a Thursday.
    expect(bucketsOf({ from: '2024-08-01', to: '2024-08-13' }, 'week')).toEqual([
      { start: '2024-07-29', from: '2024-08-01', to: '2024-08-05' },
      { start: '2024-08-05', from: '2024-08-05', to: '2024-08-12' },
      { start: '2024-08-12', from: '2024-08-12', to: '2024-08-13' },
    ]);
  });

  it('the median of a duration histogram is the middle duration: exact for lone cases, within 5 % when crowded', () => {
    const bucketOf = (hours: number) => (hours < 1 ? -1 : Math.floor(Math.log(hours) / Math.log(1.05)));
    const histogram = (hours: number[]) => {
      const buckets = new Map<number, { bucket: number; count: number; seconds: number }>();
      for (const h of hours) {
        const b = buckets.get(bucketOf(h)) ?? { bucket: bucketOf(h), count: 0, seconds: 0 };
        b.count++;
        b.seconds += h * 3600;
        buckets.set(b.bucket, b);
      }
      return [...buckets.values()];
    };
    // 1, 3, 10 and 13 days: the median is 6.5 days (156 h), exactly.
    expect(histogramMedianHours(histogram([24, 72, 240, 312]))).toBeCloseTo(156, 6);
    expect(histogramMedianHours(histogram([24, 240, 312]))).toBeCloseTo(240, 6);
    // Many cases: within 5 % of the exact median.
    const durations = Array.from({ length: 999 }, (_, i) => 0.5 + ((i * 7919) % 999) * 0.73);
    const exact = [...durations].sort((a, b) => a - b)[499]!;
    expect(Math.abs(histogramMedianHours(histogram(durations))! / exact - 1)).toBeLessThan(0.05);
    expect(histogramMedianHours([])).toBeNull();
  });
});
