import { parseConfig } from '@huijie/service-kit/config.ts';
import { describe, expect, it } from 'vitest';
import { notifyConfigSchema } from '../config.ts';
import { defaultSchedule, nextDelayMs, type RetrySchedule } from './dispatcher.ts';

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

describe('the default retry policy', () => {
  /** When a delivery that fails every try is dead-lettered: at the soonest (jitter 0), at the latest (jitter 1). */
  const deadAfterMs = (schedule: RetrySchedule, jitter: number) =>
    Array.from({ length: schedule.maxAttempts - 1 }, (_, i) =>
      nextDelayMs(i + 1, schedule, () => jitter),
    ).reduce((sum, delay) => sum + delay, 0);
  const hour = 3_600_000;
  const configured = parseConfig(notifyConfigSchema, {
    KAFKA_BROKERS: '127.0.0.1:9092',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    JWT_SECRET: 'x'.repeat(32),
  });

  it.each([
    ['standalone (the built-in schedule)', defaultSchedule],
    [
      'a service configured by environment',
      {
        maxAttempts: configured.NOTIFY_MAX_ATTEMPTS,
        baseDelayMs: configured.NOTIFY_RETRY_BASE_MS,
        maxDelayMs: configured.NOTIFY_RETRY_MAX_MS,
      },
    ],
  ])(
    '%s: an agency webhook down for an hour (a deploy, a night) still gets every delivery, none waits as a dead letter',
    (_, schedule) => {
      expect(deadAfterMs(schedule, 0)).toBeGreaterThan(hour);
      // Bounded: a dead endpoint's deliveries are dead letters within a few hours, not retried for ever.
      expect(deadAfterMs(schedule, 0.999_999)).toBeLessThan(3 * hour);
    },
  );
});
