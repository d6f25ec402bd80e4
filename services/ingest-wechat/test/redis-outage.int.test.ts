import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import type { DeadLetterInfo } from '@huijie/event-bus/runner.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { commandTimeoutMs, connectRedis } from '@huijie/service-kit/redis.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { TcpProxy } from '@huijie/testing/tcp-proxy.ts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestWechatApp } from '../src/app.ts';
import { redisApplicationStore } from '../src/application/store.ts';
import { guoApplication, testSettings } from './support.ts';

const servers = await requireServers('redis', 'kafka');

/**
 * ingest-wechat keeps the applicants' tracking page in Redis, fed by case.status.v1. Its Redis
 * goes away (through a TCP proxy of the test's own: connections cut, new ones refused) while a
 * case's status changes: the status event must wait for Redis, not be dead-lettered, so that the
 * page shows the new status once Redis is back.
 */
describe.runIf(servers)(
  'ingest-wechat while its Redis is away (real Redis behind a proxy, real Kafka)',
  () => {
    let proxy: TcpProxy;
    let redis: Redis;
    let engine: Engine;
    let cases: EventBus;
    let app: ReturnType<typeof buildIngestWechatApp>;
    let lines: string[];
    const retried: string[] = [];
    const deadLettered: DeadLetterInfo[] = [];

    beforeAll(async () => {
      const upstream = new URL(servers!.redisUrl!);
      proxy = new TcpProxy({ host: upstream.hostname, port: Number(upstream.port || 6379) });
      await proxy.start();
      const captured = capturedLogger('ingest-wechat');
      lines = captured.lines;
      // As main.ts builds them: its Redis client (two reconnect attempts per command), its bus.
      redis = connectRedis(proxy.rewrite(servers!.redisUrl!), {
        logger: captured.logger,
        namespace: undefined,
      });
      engine = namespaced(
        createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'wechat-redis-outage' }),
        uniqueName('wechat-redis-outage'),
      );
      const bus = createEventBus(engine, {
        source: '/huijie/ingest-wechat',
        logger: captured.logger,
        observer: {
          retried: (info) => {
            if (info.topic === topics.caseStatus) retried.push(info.error);
          },
          deadLettered: (info) => deadLettered.push(info),
        },
      });
      cases = createEventBus(engine, { source: '/huijie/cases' });
      await bus.ensureTopics([topics.intake]);
      const prefix = `${uniqueName('wechat-redis-outage')}:`;
      app = buildIngestWechatApp(
        // The test looks the application up again and again while it waits: not what is limited here.
        testSettings({ limits: { lookupsPerApplicationPerHour: 10_000, requestsPerIpPer10Min: 10_000 } }),
        {
          bus,
          idempotency: redisIdempotency(redis, `${prefix}idem:`),
          rateLimiter: redisRateLimiter(redis, `${prefix}rate:`),
          applications: redisApplicationStore(redis, { prefix: `${prefix}app:` }),
          logger: captured.logger,
          metrics: createMetrics('ingest-wechat'),
          storeReady: () => redis.ping(),
        },
      );
      await startConsuming(app);
    });

    afterAll(async () => {
      await proxy?.restore().catch(() => {});
      await app?.close();
      await engine?.close();
      redis?.disconnect();
      await proxy?.close();
    });

    /** Guo applies from `address`; then his tracking page, and his case's status as cases publishes it. */
    async function application(address: string) {
      const submitted = await app.inject({
        method: 'POST',
        url: '/v1/applications',
        payload: guoApplication(),
        remoteAddress: address,
      });
      expect(submitted.statusCode).toBe(202);
      const { trackingNo } = submitted.json() as { trackingNo: string };
      const disputeId = disputeIdFor('wechat', trackingNo);
      const caseId = crypto.randomUUID();
      return {
        async lookUp() {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/applications/lookup',
            payload: { trackingNo, phoneLast4: '1234' },
            remoteAddress: address,
          });
          return response.statusCode === 200
            ? (response.json() as { status: string; statusLabel: string })
            : undefined;
        },
        caseNowIs: (
          status: 'accepted' | 'resolved',
          previousStatus: 'assigned' | 'mediating',
          occurredAt: string,
        ) =>
          cases.publish([
            {
              name: 'case.status.v1',
              key: caseId,
              data: {
                caseId,
                disputeIds: [disputeId],
                status,
                previousStatus,
                occurredAt,
                category: 'labor',
                divisionCode: '350802107',
              },
            },
          ]),
      };
    }

    it('holds a case status that comes while Redis is away, and shows it once Redis is back', async () => {
      const { lookUp, caseNowIs } = await application('10.3.0.1');
      await caseNowIs('accepted', 'assigned', '2030-01-01T10:00:00+08:00');
      await eventually(async () => (await lookUp())?.status === 'accepted', {
        what: 'the page to show 调解员已接收',
        timeoutMs: 30_000,
        intervalMs: 200,
      });

      await proxy.cut();
      await caseNowIs('resolved', 'mediating', '2030-01-02T10:00:00+08:00');
      // Longer than a message that fails for itself is retried (5 attempts): it would be parked by now.
      await eventually(() => retried.length >= 6 || deadLettered.length > 0, {
        what: 'the status event to be retried more often than a failing one may be',
        timeoutMs: 40_000,
        intervalMs: 200,
      });
      expect(deadLettered).toEqual([]);
      // Held through the reconnect attempts, or past the command timeout: Redis away, either way.
      expect(retried.at(-1)).toMatch(/MaxRetriesPerRequestError|Command timed out/);

      await proxy.restore();
      expect(
        await eventually(
          async () => {
            const page = await lookUp();
            return page?.status === 'resolved' && page;
          },
          { what: 'the page to show 调解成功 once Redis is back', timeoutMs: 30_000, intervalMs: 200 },
        ),
      ).toMatchObject({ status: 'resolved', statusLabel: '调解成功' });
      expect(deadLettered).toEqual([]);
      expect(lines.filter((line) => line.includes('message dead-lettered'))).toEqual([]);
    });

    it('a Redis that stops answering, its connection open: the form answers 503 in seconds, a status waits and is shown once it answers', async () => {
      const { lookUp, caseNowIs } = await application('10.3.0.2');
      retried.length = 0;

      proxy.stall();
      const started = performance.now();
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/applications',
        payload: guoApplication(),
        remoteAddress: '10.3.0.2',
      });
      // Not held for ever: told within a few of Redis's command timeouts to come back later.
      expect(refused.statusCode).toBe(503);
      expect(performance.now() - started).toBeLessThan(4 * commandTimeoutMs);
      await caseNowIs('accepted', 'assigned', '2030-01-03T10:00:00+08:00');
      await eventually(() => retried.length >= 2, {
        what: 'the status event retried after a command timed out',
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      expect(retried.at(-1)).toMatch(/Command timed out/);

      // A new connection would be answered; the stalled one stays open and silent (half-open):
      // the client must give up on it by itself.
      proxy.resume();
      await eventually(async () => (await lookUp())?.status === 'accepted', {
        what: 'the page to show 调解员已接收 once Redis answers',
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      expect(deadLettered).toEqual([]);
    });
  },
);
