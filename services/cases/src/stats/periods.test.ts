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

  it('the median of a duration histogram is interpolated inside its bucket', () => {
    // 10 cases: 4 within the first hour, 6 between 5 and 6 days.
    expect(
      histogramMedianHours([
        { lowerHours: 0, count: 4 },
        { lowerHours: 120, count: 6 },
      ]),
    ).toBeCloseTo(120 + 24 / 6, 6);
    expect(histogramMedianHours([])).toBeNull();
  });
});
