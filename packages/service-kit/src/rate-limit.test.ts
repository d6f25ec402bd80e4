import { describe, expect, it } from 'vitest';
import { capturedLogger } from './log-capture.ts';
import { enforceRateLimit, fallbackRateLimiter, memoryRateLimiter, type RateLimiter } from './rate-limit.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A shared store that can be taken away (refusing, or never answering) and brought back; it counts what reaches it. */
function switchable() {
  const counts = memoryRateLimiter();
  const state = { mode: 'up' as 'up' | 'refusing' | 'hanging', hits: 0 };
  const limiter: RateLimiter = {
    hit(key, limit, windowMs) {
      if (state.mode === 'refusing')
        return Promise.reject(new Error('Reached the max retries per request limit'));
      if (state.mode === 'hanging') return new Promise(() => {});
      state.hits += 1;
      return counts.hit(key, limit, windowMs);
    },
  };
  return { limiter, state };
}

describe('fallbackRateLimiter', () => {
  const minute = 60_000;

  it('counts in this process while the shared store is away: the limit still holds, and the log says so once each way', async () => {
    const shared = switchable();
    const { logger, lines } = capturedLogger();
    const limiter = fallbackRateLimiter(shared.limiter, memoryRateLimiter(), {
      logger,
      what: 'sign-in limits',
      probeMs: 20,
    });
    await enforceRateLimit(limiter, 'login:user:chen', 3, minute);
    expect(shared.state.hits).toBe(1);

    shared.state.mode = 'refusing';
    // Without the fallback: 503 "the rate-limit store is unavailable". Counted from here, here.
    for (let i = 0; i < 3; i++) await enforceRateLimit(limiter, 'login:user:chen', 3, minute);
    await expect(enforceRateLimit(limiter, 'login:user:chen', 3, minute)).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
    });
    const messages = () =>
      lines.map((line) => JSON.parse(line) as { level: number; msg: string; reason?: string });
    expect(messages()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'sign-in limits: the shared rate-limit store is unreachable; counting in this process alone until it is back',
        reason: 'Reached the max retries per request limit',
      }),
    ]);

    shared.state.mode = 'up';
    await sleep(30);
    // The next hit is still counted here, and tried on the shared store in the background…
    await enforceRateLimit(limiter, 'login:user:lin', 3, minute);
    await expect.poll(() => messages().length).toBe(2);
    expect(messages().map((line) => [line.level, line.msg])).toEqual([
      [40, expect.stringContaining('unreachable')],
      [30, 'sign-in limits: the shared rate-limit store is reachable again; counting across replicas'],
    ]);
    // …which counts there again from then on.
    const hits = shared.state.hits;
    await enforceRateLimit(limiter, 'login:user:lin', 3, minute);
    expect(shared.state.hits).toBe(hits + 1);
  });

  it('does not wait on a store that does not answer: past the timeout it counts here, and asks the store only now and then', async () => {
    const shared = switchable();
    const { logger } = capturedLogger();
    const limiter = fallbackRateLimiter(shared.limiter, memoryRateLimiter(), {
      logger,
      what: 'sign-in limits',
      timeoutMs: 50,
      probeMs: 60_000,
    });
    shared.state.mode = 'hanging';
    const started = Date.now();
    expect((await limiter.hit('login:address:10.0.0.1', 2, minute)).allowed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const next = Date.now();
    expect((await limiter.hit('login:address:10.0.0.1', 2, minute)).allowed).toBe(true);
    expect((await limiter.hit('login:address:10.0.0.1', 2, minute)).allowed).toBe(false);
    expect(Date.now() - next).toBeLessThan(45);
  });
});
