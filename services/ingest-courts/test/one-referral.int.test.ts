import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor, intakeEventId } from '@huijie/contracts/ids.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import type { Engine, RawMessage } from '@huijie/event-bus/engine.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestCourtsApp, referralKey } from '../src/app.ts';
import { chinaYear } from '../src/case-number.ts';
import type { IngestCourtsConfig } from '../src/config.ts';
import { demoClient, referral, signedHeaders, testConfig } from './fixtures.ts';

const servers = await requireServers('redis', 'kafka');

const chinaDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);

/** A referral made today, with a case number no earlier run used. */
function freshReferral() {
  const year = chinaYear(new Date());
  const sequence = 1 + Math.floor(Math.random() * 9_000_000);
  return {
    canonical: `（${year}）闽0803民诉前调${sequence}号`,
    halfWidth: `(${year})闽0803民诉前调${sequence}号`,
    body: (caseNumber: string) =>
      referral({
        caseNumber,
        referralDate: chinaDay(Date.now()),
        mediationDeadline: chinaDay(Date.now() + 30 * 24 * 3600_000),
      }),
  };
}

/** Pushes as a court system does: signed now, and retried after Retry-After when told 503. */
async function pushUntilAnswered(app: FastifyInstance, body: unknown) {
  const raw = JSON.stringify(body);
  for (let attempt = 1; ; attempt++) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: signedHeaders(raw, demoClient, Math.floor(Date.now() / 1000)),
      payload: raw,
    });
    if (response.statusCode !== 503 || attempt === 10) return { response, attempts: attempt };
    await new Promise((resolve) => setTimeout(resolve, Number(response.headers['retry-after'] ?? 1) * 1000));
  }
}

describe.runIf(servers)('ingest-courts on real Redis and Kafka', () => {
  let redis: Redis;
  let engine: Engine;
  let bus: EventBus;
  const prefix = `${uniqueName('courts')}:`;
  const apps: FastifyInstance[] = [];

  function app(config: IngestCourtsConfig, name: string) {
    const built = buildIngestCourtsApp(config, {
      bus,
      idempotency: redisIdempotency(redis, `${prefix}${name}:idem:`),
      rateLimiter: redisRateLimiter(redis, `${prefix}${name}:rate:`),
      logger: createLogger({ service: 'ingest-courts', level: 'silent' }),
      metrics: createMetrics('ingest-courts'),
      storeReady: () => redis.ping(),
    });
    apps.push(built);
    return built;
  }

  beforeAll(async () => {
    redis = new Redis(servers!.redisUrl!);
    engine = namespaced(
      createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'ingest-courts-int' }),
      uniqueName('courts'),
    );
    bus = createEventBus(engine, { source: '/huijie/ingest-courts' });
    await bus.ensureTopics([topics.intake]);
  });

  afterAll(async () => {
    for (const built of apps) await built.close();
    await bus?.close();
    redis?.disconnect();
  });

  it('100 concurrent pushes of the same referral, in two spellings, make exactly one dispute event', async () => {
    const ingest = app(testConfig({ rateLimitPerMinute: 1_000 }), 'concurrent');
    expect((await ingest.inject({ url: '/readyz' })).json()).toEqual({
      status: 'ready',
      checks: { broker: 'ok', store: 'ok' },
    });
    const fresh = freshReferral();
    const disputeId = disputeIdFor('court', fresh.canonical);

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        pushUntilAnswered(ingest, fresh.body(index % 2 === 0 ? fresh.canonical : fresh.halfWidth)),
      ),
    );
    const elapsed = performance.now() - started;
    const retried = answers.filter((answer) => answer.attempts > 1).length;
    console.log(
      `[ingest-courts] 100 concurrent pushes answered in ${elapsed.toFixed(0)} ms (${retried} retried after 503)`,
    );

    const responses = answers.map((answer) => answer.response);
    expect(responses.map((response) => response.statusCode)).toEqual(Array(100).fill(202));
    expect(new Set(responses.map((response) => response.json().disputeId))).toEqual(new Set([disputeId]));
    expect(responses.filter((response) => response.json().duplicate === false)).toHaveLength(1);
    // Revision 1 holds the fingerprint of what was written; no push of the same referral made a revision 2.
    expect(await redis.get(`${prefix}concurrent:idem:${referralKey(fresh.canonical, 1)}`)).toMatch(/^v1:/);
    expect(await redis.get(`${prefix}concurrent:idem:${referralKey(fresh.canonical, 2)}`)).toBeNull();

    // Count by consuming the topic from the beginning (this run's own namespace holds nothing else).
    const seen: RawMessage[] = [];
    const reader = await engine.consume(uniqueName('count'), [topics.intake], async (message) => {
      seen.push(message);
    });
    try {
      const [first] = await eventually(() => (seen.length > 0 ? seen : undefined), {
        what: 'the intake event',
        timeoutMs: 30_000,
      });
      const event = DisputeReceivedV1.parse(JSON.parse(first!.value.toString()));
      expect(event).toMatchObject({ disputeId, channel: 'court', sourceRef: fresh.canonical, revision: 1 });
      // A sentinel on the same key lands on the same partition after anything written before it:
      // once it is read, every intake event of this dispute has been read too — no sleeping and hoping.
      const sentinelId = uniqueName('sentinel');
      await bus.publish([
        { name: 'dispute.intake.v1', key: disputeId, id: sentinelId, data: { ...event, revision: 2 } },
      ]);
      await eventually(() => seen.some((message) => message.headers.ce_id === sentinelId), {
        what: 'the sentinel',
        timeoutMs: 30_000,
      });
      const ofDispute = seen.filter(
        (message) => message.key === disputeId && message.headers.ce_id !== sentinelId,
      );
      expect(ofDispute).toHaveLength(1);
      expect(ofDispute[0]!.headers.ce_id).toBe(intakeEventId(disputeId, 1));
      expect(seen).toHaveLength(2);
    } finally {
      await reader.stop();
    }
  });

  it('limits a client through Redis, across app instances (replicas)', async () => {
    const config = testConfig({ rateLimitPerMinute: 3 });
    // Two replicas share one Redis: the limit is per client, not per process.
    const replicas = [app(config, 'limits'), app(config, 'limits')];
    // A fixed window: stay clear of its end, so four quick requests fall in one window.
    await eventually(() => Date.now() % 60_000 < 50_000, {
      what: 'the start of a rate window',
      timeoutMs: 15_000,
    });
    const bad = referral({ claims: [] });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await pushUntilAnswered(replicas[i % 2]!, bad)).response.statusCode);
    expect(statuses).toEqual([400, 400, 400, 429]);
  });
});
