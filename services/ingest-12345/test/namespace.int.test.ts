import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { topics } from '@huijie/contracts/topics.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import { kafkaBus } from '@huijie/event-bus/kafka-bus.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { connectRedis } from '@huijie/service-kit/redis.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngest12345App } from '../src/app.ts';
import { revisionKey } from '../src/intake.ts';
import { guo, push, testSettings } from './fixtures.ts';

const servers = await requireServers('redis', 'kafka');

/**
 * Two environments (KAFKA_NAMESPACE) sharing one Redis, as an operator brings up a second one
 * beside the first: each replica wired as main.ts wires it (the namespaced Redis client, the
 * stores with their default keys, the namespaced Kafka bus).
 */
describe.runIf(servers)('ingest-12345: environments sharing one Redis', () => {
  const closing: (() => unknown)[] = [];
  let raw: Redis;
  const [first, second] = [uniqueName('nsA'), uniqueName('nsB')];
  const buses = new Map<string, EventBus>();

  async function replica(namespace: string): Promise<FastifyInstance> {
    const redis = connectRedis(servers!.redisUrl!, { namespace });
    closing.push(() => redis.disconnect());
    let bus = buses.get(namespace);
    if (!bus) {
      bus = kafkaBus({
        brokers: servers!.kafkaBrokers!,
        service: 'ingest-12345',
        namespace,
        onFatal: (error) => {
          throw error;
        },
      });
      buses.set(namespace, bus);
      await bus.ensureTopics([topics.intake]);
    }
    const app = buildIngest12345App(testSettings(), {
      bus,
      idempotency: redisIdempotency(redis),
      rateLimiter: redisRateLimiter(redis),
      logger: createLogger({ service: 'ingest-12345', level: 'silent' }),
      metrics: createMetrics('ingest-12345'),
      storeReady: () => redis.ping(),
    });
    closing.push(() => app.close());
    return app;
  }

  beforeAll(() => {
    raw = new Redis(servers!.redisUrl!);
  });

  afterAll(async () => {
    for (const close of closing.reverse()) await close();
    for (const bus of buses.values()) await bus.close();
    raw?.disconnect();
  });

  it('each environment takes the same order as new; a second replica of one environment is told duplicate', async () => {
    const order = { ...guo, orderNo: uniqueName('NS') };
    const disputeId = disputeIdFor('hotline_12345', order.orderNo);
    const a = await push(await replica(first), order);
    const b = await push(await replica(second), order);
    expect([a.statusCode, a.json()]).toEqual([202, { disputeId, duplicate: false, revision: 1 }]);
    expect([b.statusCode, b.json()]).toEqual([202, { disputeId, duplicate: false, revision: 1 }]);

    const again = await push(await replica(first), order);
    expect([again.statusCode, again.json()]).toEqual([202, { disputeId, duplicate: true, revision: 1 }]);

    // Each environment's key under its namespace; none where an environment without one keeps its keys.
    const key = `huijie:idem:${revisionKey(order.orderNo, 1)}`;
    expect(await raw.exists(`${first}:${key}`, `${second}:${key}`, key)).toBe(2);
  });
});
