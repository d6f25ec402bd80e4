import { describe, expect, it } from 'vitest';
import { isoFromEpochMs } from './iso-time.ts';

describe('isoFromEpochMs', () => {
  it('writes the same text as Date#toISOString across leap years, month ends and centuries', () => {
    const samples = [
      0,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2000, 11, 31, 0, 0, 0, 1),
      Date.UTC(1900, 2, 1),
      Date.UTC(2100, 1, 28, 12),
      Date.UTC(1969, 11, 31, 23, 59, 59, 5),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    // A deterministic spread of instants between 1970 and 2100.
    for (let i = 0; i < 5000; i++)
      samples.push(Math.floor(((i * 2_654_435_761) % 4_102_444_800) * 1000 + (i % 1000)));
    for (const ms of samples) expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());
  });
});
