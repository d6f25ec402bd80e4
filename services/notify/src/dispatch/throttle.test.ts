import { createHash } from 'node:crypto';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { memoryRateLimiter, type RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { describe, expect, it, vi } from 'vitest';
import { createThrottle } from './throttle.ts';

const logger = createLogger({ service: 'notify', level: 'silent' });
const secret = 'test-jwt-secret-0123456789-0123456789';
const limits = {
  sms: { provider: { limit: 3, windowMs: 60_000 }, recipient: { limit: 1, windowMs: 60_000 } },
};

describe('throttle', () => {
  it('admits one message per recipient per window, and a provider total', async () => {
    const throttle = createThrottle(memoryRateLimiter(), limits, logger, secret);
    expect(await throttle.admit('sms', '13800000000')).toEqual({ ok: true });
    expect(await throttle.admit('sms', '13800000000')).toMatchObject({ ok: false, scope: 'recipient' });
    expect(await throttle.admit('sms', '13800000001')).toEqual({ ok: true });
    const over = await throttle.admit('sms', '13800000002');
    expect(over).toMatchObject({ ok: false, scope: 'provider' });
    expect((over as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('a message the provider defers keeps its recipient allowance for the next minute', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-11-30T09:00:00Z'));
      const backlog = {
        sms: { provider: { limit: 1, windowMs: 60_000 }, recipient: { limit: 1, windowMs: 3_600_000 } },
      };
      const throttle = createThrottle(memoryRateLimiter(), backlog, logger, secret);
      const at = (time: string) => vi.setSystemTime(new Date(`2026-11-30T${time}Z`));
      const late = '13800000009';
      for (const [minute, first] of ['13800000000', '13800000001', '13800000002'].entries()) {
        at(`09:0${minute}:00`);
        expect(await throttle.admit('sms', first)).toEqual({ ok: true });
        at(`09:0${minute}:30`);
        expect(await throttle.admit('sms', late)).toMatchObject({ ok: false, scope: 'provider' });
      }
      // Deferred three minutes running, it goes out in the fourth, not in an hour.
      at('09:03:00');
      expect(await throttle.admit('sms', late)).toEqual({ ok: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('keys a recipient so that the number cannot be found again by hashing every mobile number', async () => {
    const keys: string[] = [];
    const recording = (limiter: RateLimiter): RateLimiter => ({
      hit: (key, limit, windowMs) => {
        keys.push(key);
        return limiter.hit(key, limit, windowMs);
      },
    });
    const phone = '13800000000';
    await createThrottle(recording(memoryRateLimiter()), limits, logger, secret).admit('sms', phone);
    await createThrottle(
      recording(memoryRateLimiter()),
      limits,
      logger,
      'another-secret-0123456789-0123456',
    ).admit('sms', phone);
    const [ours, theirs] = keys.filter((key) => key.startsWith('notify:sms:to:'));
    const unkeyed = createHash('sha256').update(phone).digest('base64url');
    expect(ours).not.toContain(phone);
    expect(unkeyed).not.toContain(ours!.slice('notify:sms:to:'.length));
    expect(theirs).not.toBe(ours);
  });

  it('a restarted notify with the same secret still counts what it sent to a recipient in this window', async () => {
    const shared = memoryRateLimiter();
    expect(await createThrottle(shared, limits, logger, secret).admit('sms', '13800000000')).toEqual({
      ok: true,
    });
    const restarted = createThrottle(shared, limits, logger, secret);
    expect(await restarted.admit('sms', '13800000000')).toMatchObject({ ok: false, scope: 'recipient' });
  });

  it('leaves channels without limits alone (the outbox)', async () => {
    const throttle = createThrottle(memoryRateLimiter(), limits, logger, secret);
    for (let i = 0; i < 10; i++) expect(await throttle.admit('outbox', 'x')).toEqual({ ok: true });
  });

  it('lets messages through when the limiter is down', async () => {
    const broken = {
      hit: async () => {
        throw new Error('ECONNREFUSED');
      },
    };
    expect(await createThrottle(broken, limits, logger, secret).admit('sms', '13800000000')).toEqual({
      ok: true,
    });
  });
});
