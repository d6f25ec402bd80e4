import { CategoryCode } from '@huijie/contracts/vocabulary.ts';
import { describe, expect, it } from 'vitest';
import { createRouter } from '../../src/domain/router.ts';
import { loadLabelledReports, measureAccuracy } from './labelled-set.ts';

const reports = loadLabelledReports();

describe('the labelled reports', () => {
  it('cover every county, every category and every address style, with 150 or more reports', () => {
    expect(reports.length).toBeGreaterThanOrEqual(150);
    expect(new Set(reports.map((r) => r.expect.county).filter(Boolean)).size).toBe(7);
    expect(new Set(reports.map((r) => r.expect.category))).toEqual(new Set(CategoryCode.options));
    expect(new Set(reports.map((r) => r.style))).toEqual(
      new Set(['code', 'full', 'partial', 'county', 'town', 'village', 'text', 'ambiguous', 'none']),
    );
    expect(new Set(reports.map((r) => r.id)).size).toBe(reports.length);
  });
});

describe('routing accuracy on the labelled reports', () => {
  // Measured with rules 1.0.0: county 100%, town 100%, category 95.6%, lead 96.7%.
  // The thresholds sit a little below, so a change that makes routing worse fails here.
  it('stays above the measured accuracy by field', () => {
    const { accuracy } = measureAccuracy(createRouter(), reports);
    expect(accuracy.county).toBeGreaterThanOrEqual(0.97);
    expect(accuracy.town).toBeGreaterThanOrEqual(0.97);
    expect(accuracy.category).toBeGreaterThanOrEqual(0.93);
    expect(accuracy.lead).toBeGreaterThanOrEqual(0.94);
  });
});
