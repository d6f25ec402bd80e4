import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor, intakeEventId } from '@huijie/contracts/ids.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import type { Engine, EngineSubscription, RawMessage } from '@huijie/event-bus/engine.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { connectRedis } from '@huijie/service-kit/redis.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngest12345App } from '../src/app.ts';
import type { Ingest12345Settings } from '../src/config.ts';
import { revisionKey } from '../src/intake.ts';
import { guo, signedHeaders, testSettings } from './fixtures.ts';

const servers = await requireServers('redis', 'kafka');

/** Pushes as a hotline system does: signed now, and pushed again after Retry-After when told 503. */
async function pushUntilAnswered(app: FastifyInstance, body: unknown, url = '/v1/work-orders') {
  const raw = JSON.stringify(body);
  for (let attempt = 1; ; attempt++) {
    const response = await app.inject({ method: 'POST', url, headers: signedHeaders(raw), payload: raw });
    if (response.statusCode !== 503 || attempt === 10) return { response, attempts: attempt };
    await new Promise((resolve) => setTimeout(resolve, Number(response.headers['retry-after'] ?? 1) * 1000));
  }
}

describe.runIf(servers)('ingest-12345 on real Redis and Kafka', () => {
  let redis: Redis;
  let engine: Engine;
  let bus: EventBus;
  let reader: EngineSubscription;
  const seen: RawMessage[] = [];
  const prefix = `${uniqueName('h12345')}:`;
  const apps: FastifyInstance[] = [];

  function app(settings: Ingest12345Settings, name: string) {
    const built = buildIngest12345App(settings, {
      bus,
      idempotency: redisIdempotency(redis, `${prefix}${name}:idem:`),
      rateLimiter: redisRateLimiter(redis, `${prefix}${name}:rate:`),
      logger: createLogger({ service: 'ingest-12345', level: 'silent' }),
      metrics: createMetrics('ingest-12345'),
      storeReady: () => redis.ping(),
    });
    apps.push(built);
    return built;
  }

  /**
   * The intake events of these disputes, all of them: a marker on each key lands on the same
   * partition after anything written before it, so once every marker is read, so is every
   * event of those disputes — no sleeping and hoping.
   */
  async function eventsOf(disputeIds: string[]) {
    const marker = uniqueName('marker');
    await engine.produce(
      disputeIds.map((key) => ({
        topic: topics.intake,
        key,
        value: Buffer.from('{}'),
        headers: { marker },
      })),
    );
    await eventually(
      () => seen.filter((message) => message.headers.marker === marker).length === disputeIds.length,
      { what: 'the markers behind the pushes', timeoutMs: 60_000 },
    );
    const wanted = new Set(disputeIds);
    return seen
      .filter((message) => message.headers.marker === undefined && wanted.has(message.key ?? ''))
      .map((message) => ({
        id: message.headers.ce_id,
        event: DisputeReceivedV1.parse(JSON.parse(message.value.toString())),
      }));
  }

  beforeAll(async () => {
    // The client main.ts makes (auto-pipelined).
    redis = connectRedis(servers!.redisUrl!, { namespace: undefined });
    engine = namespaced(
      createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'ingest-12345-int' }),
      uniqueName('h12345'),
    );
    bus = createEventBus(engine, { source: '/huijie/ingest-12345' });
    await bus.ensureTopics([topics.intake]);
    reader = await engine.consume(uniqueName('count'), [topics.intake], async (message) => {
      seen.push(message);
    });
  });

  afterAll(async () => {
    for (const built of apps) await built.close();
    await reader?.stop();
    await bus?.close();
    redis?.disconnect();
  });

  it('100 concurrent pushes of one order → one dispute event; 100 concurrent pushes of its update → one revision-2 event', async () => {
    const ingest = app(testSettings(), 'concurrent');
    expect((await ingest.inject({ url: '/readyz' })).json()).toEqual({
      status: 'ready',
      checks: { broker: 'ok', store: 'ok' },
    });
    const order = { ...guo, orderNo: uniqueName('GD') };
    const disputeId = disputeIdFor('hotline_12345', order.orderNo);

    const burst = async (body: unknown, label: string) => {
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 100 }, () => pushUntilAnswered(ingest, body)));
      const elapsed = performance.now() - started;
      const retried = answers.filter((answer) => answer.attempts > 1).length;
      console.log(
        `[ingest-12345] ${label}: 100 concurrent pushes answered in ${elapsed.toFixed(0)} ms (${retried} pushed again after 503)`,
      );
      return answers.map((answer) => answer.response);
    };

    const first = await burst(order, 'new order');
    expect(first.map((response) => response.statusCode)).toEqual(Array(100).fill(202));
    expect(new Set(first.map((response) => response.json().disputeId))).toEqual(new Set([disputeId]));
    expect(first.filter((response) => response.json().duplicate === false)).toHaveLength(1);
    expect(new Set(first.map((response) => response.json().revision))).toEqual(new Set([1]));
    expect(await redis.get(`${prefix}concurrent:idem:${revisionKey(order.orderNo, 1)}`)).toMatch(/^v1:/);

    const update = {
      ...order,
      reminder: { count: 1, lastAt: '2024-08-26T09:00:00+08:00', note: '再次催办' },
    };
    const second = await burst(update, 'its update');
    expect(second.map((response) => response.statusCode)).toEqual(Array(100).fill(202));
    expect(second.filter((response) => response.json().duplicate === false)).toHaveLength(1);
    expect(
      new Set(second.map((response) => `${response.json().disputeId}#${response.json().revision}`)),
    ).toEqual(new Set([`${disputeId}#2`]));

    const events = await eventsOf([disputeId]);
    expect(events.map(({ id, event }) => [id, event.revision, event.hotline?.reminder?.count])).toEqual([
      [intakeEventId(disputeId, 1), 1, undefined],
      [intakeEventId(disputeId, 2), 2, 1],
    ]);
    expect(events[1]!.event).toMatchObject({ disputeId, sourceRef: order.orderNo, content: guo.content });
  });

  it('a 催办 delivered late, after a newer one, writes nothing: the reminder count never goes back', async () => {
    const ingest = app(testSettings(), 'late');
    const order = { ...guo, orderNo: uniqueName('LATE') };
    const disputeId = disputeIdFor('hotline_12345', order.orderNo);
    const reminded = (count: number) => ({
      ...order,
      reminder: { count, lastAt: `2024-08-2${5 + count}T09:00:00+08:00` },
    });
    expect((await pushUntilAnswered(ingest, reminded(2))).response.json()).toMatchObject({ revision: 1 });
    const late = await Promise.all([reminded(1), reminded(1)].map((body) => pushUntilAnswered(ingest, body)));
    expect(late.map(({ response }) => response.json())).toEqual(
      Array(2).fill({ disputeId, duplicate: true, revision: 1, superseded: true }),
    );
    expect((await pushUntilAnswered(ingest, reminded(3))).response.json()).toMatchObject({ revision: 2 });
    const events = await eventsOf([disputeId]);
    expect(events.map(({ event }) => [event.revision, event.hotline?.reminder?.count])).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });

  it('a batch of 200 orders, pushed twice at once, is 200 events and 200 duplicates', async () => {
    const ingest = app(testSettings(), 'batch');
    const run = uniqueName('B');
    const orders = Array.from({ length: 200 }, (_, n) => ({
      ...guo,
      orderNo: `${run}-${n}`,
      content: `第${n}号：欠薪`,
    }));
    const [a, b] = await Promise.all([
      pushUntilAnswered(ingest, { orders }, '/v1/work-orders/batch'),
      pushUntilAnswered(ingest, { orders }, '/v1/work-orders/batch'),
    ]);
    const results = [...a.response.json().results, ...b.response.json().results];
    const ok = results.filter((result: { status: number }) => result.status === 202);
    // Items still being written by the other batch past the wait may be 503: push those again.
    const again = results
      .filter((result: { status: number }) => result.status === 503)
      .map((result: { index: number }) => orders[result.index]);
    if (again.length > 0) {
      const retried = await pushUntilAnswered(ingest, { orders: again }, '/v1/work-orders/batch');
      ok.push(
        ...retried.response.json().results.filter((result: { status: number }) => result.status === 202),
      );
    }
    expect(ok.filter((result: { duplicate: boolean }) => !result.duplicate)).toHaveLength(200);
    const ids = orders.map((order) => disputeIdFor('hotline_12345', order.orderNo));
    const events = await eventsOf(ids);
    expect(events).toHaveLength(200);
    expect(new Set(events.map(({ event }) => event.disputeId))).toEqual(new Set(ids));
  });

  it('limits a client through Redis, across replicas', async () => {
    const settings = testSettings({ rateLimitPerMinute: 3 });
    const replicas = [app(settings, 'limits'), app(settings, 'limits')];
    // A fixed window: stay clear of its end, so four quick requests fall in one window.
    await eventually(() => Date.now() % 60_000 < 50_000, {
      what: 'the start of a rate window',
      timeoutMs: 15_000,
    });
    const bad = { ...guo, location: {} };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await pushUntilAnswered(replicas[i % 2]!, bad)).response.statusCode);
    expect(statuses).toEqual([400, 400, 400, 429]);
  });
});
