import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { guoApplication, testApp } from './support.ts';

const servers = await requireServers('redis');

describe.runIf(servers)('Redis keys written by the application form', () => {
  const redis = servers ? new Redis(servers.redisUrl!) : undefined;
  afterAll(() => redis?.disconnect());

  it('never carry the applicant’s phone number (the per-phone daily limit included)', async () => {
    const prefix = `${uniqueName('wechat-rate')}:`;
    const { app } = testApp({ rateLimiter: redisRateLimiter(redis!, prefix) });
    try {
      const answer = await app.inject({
        method: 'POST',
        url: '/v1/applications',
        remoteAddress: '10.0.0.1',
        // Guo's number as he typed it (138 0000 1234): counted as 13800001234.
        payload: guoApplication(),
      });
      expect(answer.statusCode).toBe(202);
      const keys = await redis!.keys(`${prefix}*`);
      // The per-phone limit was counted (so the key exists), but under a name that is not the phone.
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) expect(key).not.toContain('13800001234');
    } finally {
      await app.close();
    }
  });
});
