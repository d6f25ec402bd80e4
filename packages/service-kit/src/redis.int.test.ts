import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisIdempotency } from './idempotency.ts';
import { redisRateLimiter } from './rate-limit.ts';
import { connectRedis } from './redis.ts';

const servers = await requireServers('redis');

describe.runIf(servers)('a service’s Redis client and KAFKA_NAMESPACE', () => {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });
  const raw = () => {
    const client = new Redis(servers!.redisUrl!);
    clients.push(client);
    return client;
  };

  it('puts the namespace before every key it writes: plain commands, MULTI (rate limits), EVAL', async () => {
    const namespace = uniqueName('ns');
    const redis = connectRedis(servers!.redisUrl!, { namespace });
    clients.push(redis);
    const outside = raw();
    const key = uniqueName('key');
    await redisIdempotency(redis, `${key}:idem:`).claim('order-1', 60_000);
    expect(await outside.exists(`${namespace}:${key}:idem:order-1`)).toBe(1);
    expect(await outside.exists(`${key}:idem:order-1`)).toBe(0);

    await redisRateLimiter(redis, `${key}:rate:`).hit('client-a', 10, 60_000);
    const window = Math.floor(Date.now() / 60_000);
    const rateKeys = [window, window - 1].map((at) => `${key}:rate:client-a:${at}`);
    expect(await outside.exists(...rateKeys.map((name) => `${namespace}:${name}`))).toBe(1);
    expect(await outside.exists(...rateKeys)).toBe(0);

    // notify's token store deletes with a script: its KEYS are the namespace's too.
    await redis.set(`${key}:token`, 'v', 'PX', 60_000);
    expect(await outside.exists(`${namespace}:${key}:token`)).toBe(1);
    await redis.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
      1,
      `${key}:token`,
      'v',
    );
    expect(await outside.exists(`${namespace}:${key}:token`)).toBe(0);
  });

  it('keeps the keys as they were without a namespace', async () => {
    const redis = connectRedis(servers!.redisUrl!, { namespace: undefined });
    clients.push(redis);
    const key = uniqueName('key');
    await redisIdempotency(redis, `${key}:idem:`).claim('order-1', 60_000);
    expect(await raw().exists(`${key}:idem:order-1`)).toBe(1);
  });
});
