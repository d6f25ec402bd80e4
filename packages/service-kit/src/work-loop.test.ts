import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.ts';
import { backoffDelay, maxBackoffMs, startWorkLoop } from './work-loop.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = createLogger({ service: 'work-loop-test', level: 'silent' });

/** A loop whose runs are counted, each answering with the next of `answers` (then false). */
function counted(answers: (boolean | Error)[], intervalMs = 60_000) {
  const runs: number[] = [];
  const warnings: string[] = [];
  const logger = createLogger(
    { service: 'work-loop-test' },
    { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) },
  );
  const loop = startWorkLoop({
    name: 'test work',
    logger,
    intervalMs,
    work: async () => {
      runs.push(runs.length + 1);
      const answer = answers.shift() ?? false;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  return { loop, runs, warnings };
}

describe('startWorkLoop', () => {
  it('runs at once, again at once while there is more, then waits for the interval', async () => {
    const { loop, runs } = counted([true, true, false]);
    await sleep(50);
    expect(runs).toHaveLength(3);
    await loop.stop();
    expect(runs).toHaveLength(3);
  });

  it('runs again on the interval when idle', async () => {
    const { loop, runs } = counted([], 10);
    await expect.poll(() => runs.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    await loop.stop();
  });

  it('a poke while idle runs at once; a poke during a run runs again right after it', async () => {
    let release: () => void = () => {};
    const runs: string[] = [];
    const loop = startWorkLoop({
      name: 'test work',
      logger: quiet,
      intervalMs: 60_000,
      work: async () => {
        runs.push('run');
        if (runs.length === 2) await new Promise<void>((resolve) => (release = resolve));
        return false;
      },
    });
    await sleep(20);
    expect(runs).toHaveLength(1);
    loop.poke();
    await sleep(20);
    expect(runs).toHaveLength(2);
    // Poked while run 2 is under way: its work may have missed what the poke announced.
    loop.poke();
    release();
    await sleep(20);
    expect(runs).toHaveLength(3);
    await loop.stop();
  });

  it('logs a failed run by name and retries after the interval', async () => {
    const { loop, runs, warnings } = counted([new Error('database away')], 30);
    await sleep(10);
    expect(warnings).toEqual(['test work failed; retrying with backoff (up to every 3s)']);
    expect(runs).toHaveLength(1);
    await expect.poll(() => runs.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    await loop.stop();
  });

  it('stop waits for the run under way and starts no other', async () => {
    let release: () => void = () => {};
    let runs = 0;
    const loop = startWorkLoop({
      name: 'test work',
      logger: quiet,
      intervalMs: 60_000,
      work: async () => {
        runs++;
        await new Promise<void>((resolve) => (release = resolve));
        return true;
      },
    });
    await sleep(20);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(runs).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('doubles from the interval up to the cap, and keeps an interval longer than the cap', () => {
    const delays = (intervalMs: number) => [0, 1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelay(intervalMs, n));
    expect(delays(200)).toEqual([200, 200, 400, 800, 1600, 3000, 3000, 3000]);
    expect(delays(1_000)).toEqual([1_000, 1_000, 2_000, 3_000, 3_000, 3_000, 3_000, 3_000]);
    expect(delays(60_000)).toEqual(Array(8).fill(60_000));
    expect(maxBackoffMs).toBe(3_000);
  });
});

describe('startWorkLoop while its work keeps failing (fake clock)', () => {
  /** What Prisma over its pg adapter throws when the pool cannot connect (its code and words). */
  const databaseAway = () =>
    Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: 'P1001' });

  interface Line {
    level: number;
    msg: string;
    reason?: string;
    err?: { reason: string; stack?: string };
    attempts?: number;
  }

  /** A loop with the outbox relay's interval whose work does what `outcome` says at each run. */
  function failing(outcome: () => Error | boolean, intervalMs = 200) {
    const lines: Line[] = [];
    const runs: number[] = [];
    const logger = createLogger(
      { service: 'work-loop-test' },
      { write: (line: string) => lines.push(JSON.parse(line) as Line) },
    );
    const started = Date.now();
    const loop = startWorkLoop({
      name: 'outbox relay',
      logger,
      intervalMs,
      work: async () => {
        runs.push(Date.now() - started);
        const answer = outcome();
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    return { loop, lines, runs };
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-03-01T08:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('backs off (200 ms doubling up to 3 s) instead of retrying every 200 ms', async () => {
    const { loop, runs } = failing(databaseAway);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(runs.slice(0, 8)).toEqual([0, 200, 600, 1_400, 3_000, 6_000, 9_000, 12_000]);
    expect(runs).toHaveLength(9);
    // A stop does not wait out the backoff.
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(true);
    await stopping;
    expect(runs).toHaveLength(9);
  });

  it('says once that it fails, with the reason and no stack for an unreachable database; then once a minute; then once that it recovered', async () => {
    let away = true;
    const { loop, lines, runs } = failing(() => (away ? databaseAway() : false));
    // As the ops engineer's outage: 32 s without the database (151 warnings from the relay before).
    await vi.advanceTimersByTimeAsync(32_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'outbox relay failed; retrying with backoff (up to every 3s)',
      reason: "P1001: Can't reach database server at 127.0.0.1:5432",
    });
    expect(lines[0]).not.toHaveProperty('err');
    expect(JSON.stringify(lines[0])).not.toContain('work-loop.test.ts');
    // Still away a minute after it started: one reminder with the count of attempts so far.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(lines.map((line) => line.msg)).toEqual([
      'outbox relay failed; retrying with backoff (up to every 3s)',
      'outbox relay still failing after 24 attempts, 60s; retrying',
    ]);
    expect(lines[1]).toMatchObject({ level: 40, attempts: 24 });
    const failedAttempts = runs.length;
    away = false;
    // Tried again at 63 s, within the cap of the last attempt (60 s).
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toHaveLength(failedAttempts + 1);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({
      level: 30,
      msg: `outbox relay recovered after ${failedAttempts} failed attempts, 63s`,
      attempts: failedAttempts,
    });
    // And on its interval again, quiet.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toHaveLength(failedAttempts + 6);
    expect(lines).toHaveLength(3);
    await loop.stop();
  });

  it('logs an unexpected error with its stack, and a different failure when it starts', async () => {
    let error: Error = new TypeError("Cannot read properties of undefined (reading 'id')");
    const { loop, lines } = failing(() => error);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.err?.reason).toBe("Cannot read properties of undefined (reading 'id')");
    expect(lines[0]?.err?.stack).toMatch(/work-loop\.test\.ts/);
    error = databaseAway();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ reason: "P1001: Can't reach database server at 127.0.0.1:5432" });
    await loop.stop();
  });

  it('a poke while failing does not cut the backoff short; once working, a poke runs at once again', async () => {
    let away = true;
    const { loop, runs } = failing(() => (away ? databaseAway() : false), 1_000);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(runs).toEqual([0, 1_000, 3_000]);
    // Commits keep poking (an action answered, an event recorded): no extra attempt.
    for (let i = 0; i < 10; i++) {
      loop.poke();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(runs).toEqual([0, 1_000, 3_000]);
    away = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toEqual([0, 1_000, 3_000, 6_000]);
    loop.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([0, 1_000, 3_000, 6_000, 6_500]);
    await loop.stop();
  });
});
