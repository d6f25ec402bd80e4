import { describe, expect, it } from 'vitest';
import { nextDelayMs } from './dispatcher.ts';

describe('retry backoff', () => {
  const schedule = { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 60_000 };

  it('doubles per attempt, with jitter between half and all of the ceiling', () => {
    expect([1, 2, 3, 4].map((attempts) => nextDelayMs(attempts, schedule, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
    expect([1, 2, 3, 4].map((attempts) => nextDelayMs(attempts, schedule, () => 0.999_999))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it('never waits longer than the maximum', () => {
    expect(nextDelayMs(30, schedule, () => 0.999_999)).toBe(60_000);
  });

  it('spreads retries that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => nextDelayMs(5, schedule)));
    expect(delays.size).toBeGreaterThan(40);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(8_000);
      expect(delay).toBeLessThanOrEqual(16_000);
    }
  });
});
