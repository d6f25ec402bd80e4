import { describe, expect, it } from 'vitest';
import { bucketsOf, comparisonPeriod, histogramMedianHours, segmentsOf } from './periods.ts';

describe('periods', () => {
  it('reads whole months from month rows and the edges from day rows', () => {
    expect(segmentsOf({ from: '2024-01-15', to: '2024-04-10' })).toEqual([
      { grain: 'day', from: '2024-01-15', to: '2024-02-01' },
      { grain: 'month', from: '2024-02-01', to: '2024-04-01' },
      { grain: 'day', from: '2024-04-01', to: '2024-04-10' },
    ]);
    expect(segmentsOf({ from: '2024-03-01', to: '2024-04-01' })).toEqual([
      { grain: 'month', from: '2024-03-01', to: '2024-04-01' },
    ]);
    expect(segmentsOf({ from: '2024-03-05', to: '2024-03-20' })).toEqual([
      { grain: 'day', from: '2024-03-05', to: '2024-03-20' },
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

  it('weeks start on Monday and the edges are clipped to the period', () => {
    // 2024-08-01 is a Thursday.
    expect(bucketsOf({ from: '2024-08-01', to: '2024-08-13' }, 'week')).toEqual([
      { start: '2024-07-29', from: '2024-08-01', to: '2024-08-05' },
      { start: '2024-08-05', from: '2024-08-05', to: '2024-08-12' },
      { start: '2024-08-12', from: '2024-08-12', to: '2024-08-13' },
    ]);
  });

  it('the median of a duration histogram is the middle duration, to within its bucket', () => {
    // Durations of 1, 3, 10 and 13 days: the median is 6.5 days (156 h), here ± half an hour.
    const hours = [24, 72, 240, 312];
    const median = histogramMedianHours(hours.map((lowerHours) => ({ lowerHours, count: 1 })));
    expect(Math.abs(median! - 156)).toBeLessThanOrEqual(0.5);
    // 5 cases within one hour bucket and 4 in a day bucket beyond 30 days: the 5th case's hour.
    expect(
      histogramMedianHours([
        { lowerHours: 5, count: 5 },
        { lowerHours: 744, count: 4 },
      ]),
    ).toBeCloseTo(5.9, 6);
    expect(histogramMedianHours([])).toBeNull();
  });
});
