import { createLogger } from '@huijie/service-kit/logger.ts';
import { memoryRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { describe, expect, it } from 'vitest';
import { createThrottle } from './throttle.ts';

const logger = createLogger({ service: 'notify', level: 'silent' });
const limits = {
  sms: { provider: { limit: 3, windowMs: 60_000 }, recipient: { limit: 1, windowMs: 60_000 } },
};

describe('throttle', () => {
  it('admits one message per recipient per window, and a provider total', async () => {
    const throttle = createThrottle(memoryRateLimiter(), limits, logger);
    expect(await throttle.admit('sms', '13800000000')).toEqual({ ok: true });
    expect(await throttle.admit('sms', '13800000000')).toMatchObject({ ok: false, scope: 'recipient' });
    expect(await throttle.admit('sms', '13800000001')).toEqual({ ok: true });
    expect(await throttle.admit('sms', '13800000002')).toEqual({ ok: true });
    const over = await throttle.admit('sms', '13800000003');
    expect(over).toMatchObject({ ok: false, scope: 'provider' });
    expect((over as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('leaves channels without limits alone (the outbox)', async () => {
    const throttle = createThrottle(memoryRateLimiter(), limits, logger);
    for (let i = 0; i < 10; i++) expect(await throttle.admit('outbox', 'x')).toEqual({ ok: true });
  });

  it('lets messages through when the limiter is down', async () => {
    const broken = {
      hit: async () => {
        throw new Error('ECONNREFUSED');
      },
    };
    expect(await createThrottle(broken, limits, logger).admit('sms', '13800000000')).toEqual({ ok: true });
  });
});
