import { dlqHeaders } from '@huijie/contracts/cloudevents.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { TcpProxy } from '@huijie/testing/tcp-proxy.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  everythingDone,
  expectEachDeliveryMadeOnce,
  expectOneCasePerAcknowledgedPush,
  progress,
} from './checks.ts';
import { type KafkaProbe, kafkaProbe, metric, readiness } from './kafka.ts';
import { Pusher } from './pusher.ts';
import { type Stack, startStack } from './stack.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

/**
 * PostgreSQL goes away for 10 s under load — every connection of cases and notify cut, new ones
 * refused — through a TCP proxy of this test's own (the PostgreSQL server other tests use keeps
 * running). Both services must say so on /readyz, keep running, hold their events until the
 * database is back, and then finish everything: nothing dead-lettered, lost or doubled.
 */
describe.runIf(servers)('PostgreSQL unavailable for 10 s (services in their own processes)', () => {
  let stack: Stack;
  let proxy: TcpProxy;
  let probe: KafkaProbe;

  beforeAll(async () => {
    const upstream = new URL(servers!.databaseUrl!);
    proxy = new TcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    await proxy.start();
    stack = await startStack({
      brokers: servers!.kafkaBrokers!,
      postgresUrl: servers!.databaseUrl!,
      redisUrl: servers!.redisUrl!,
      databaseUrlFor: (url) => proxy.rewrite(url),
    });
    probe = kafkaProbe(servers!.kafkaBrokers!);
  }, 180_000);

  afterAll(async () => {
    await proxy?.restore().catch(() => {});
    await probe?.close();
    await stack?.release();
    await proxy?.close();
  });

  it('cases and notify report not ready, back off, and recover without losing or doubling anything', async () => {
    const { cases, notify } = stack.services;
    const retried: Record<string, number> = {};
    const pusher = new Pusher({
      url: () => stack.services['ingest-12345'].url,
      client: stack.client,
      tag: `db-${stack.namespace.slice(-8)}`,
      perSecond: 4,
    });
    pusher.start();
    try {
      await eventually(async () => (await progress(stack.sql, pusher.disputeIds())).delivered >= 10, {
        what: 'the platform to be working (10 deliveries made)',
        timeoutMs: 60_000,
        intervalMs: 500,
      });
      expect([await readiness(cases.url), await readiness(notify.url)]).toEqual([200, 200]);

      await proxy.cut();
      const cutAt = Date.now();
      // Not ready while the database is away: a load balancer stops sending operators there.
      await eventually(
        async () => (await readiness(cases.url)) === 503 && (await readiness(notify.url)) === 503,
        { what: 'cases and notify to report not ready', timeoutMs: 8_000, intervalMs: 250 },
      );
      const answer = (await (await fetch(`${cases.url}/readyz`)).json()) as {
        checks: Record<string, string>;
      };
      expect(answer).toMatchObject({ status: 'not_ready', checks: { broker: 'ok' } });
      expect(answer.checks.database).not.toBe('ok');
      // The outage lasts 10 s, during which the services stay up (a supervisor would otherwise restart them).
      while (Date.now() - cutAt < 10_000) {
        expect([await readiness(cases.url), await readiness(notify.url)]).toEqual([503, 503]);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      await proxy.restore();

      await eventually(
        async () => (await readiness(cases.url)) === 200 && (await readiness(notify.url)) === 200,
        { what: 'cases and notify to be ready again', timeoutMs: 20_000, intervalMs: 250 },
      );
      // Pushes kept coming during the outage and after it.
      const sentAtRecovery = pusher.sent;
      await eventually(() => pusher.sent >= sentAtRecovery + 12, { what: 'more pushes', timeoutMs: 20_000 });
    } finally {
      await pusher.stop();
    }
    await everythingDone(stack, pusher, 90_000);

    expect(cases.unexpectedExits).toEqual([]);
    expect(notify.unexpectedExits).toEqual([]);
    await expectOneCasePerAcknowledgedPush(stack, pusher);
    await expectEachDeliveryMadeOnce(stack, pusher);
    // Held and retried, not parked: the handlers failed while the database was away and were
    // retried, with backoff (a few tries a second per message in hand, not a busy loop)…
    for (const service of [cases, notify]) {
      const retries = await metric(service.url, 'huijie_event_handler_retries_total');
      expect(retries, `${service.name}'s retries`).toBeGreaterThan(0);
      expect(retries, `${service.name}'s retries`).toBeLessThan(300);
      retried[service.name] = retries;
    }
    // …and nothing went to a dead-letter topic.
    expect(await metric(cases.url, 'huijie_dead_letters_total')).toBe(0);
    expect(await metric(notify.url, 'huijie_dead_letters_total')).toBe(0);
    for (const topic of [topics.intake, topics.assignment, topics.caseStatus, topics.caseEscalation]) {
      const parked = await probe.read(`${stack.namespace}.${topic}.dlq`);
      expect(
        parked.map((record) => record.headers[dlqHeaders.error]),
        `${topic}.dlq`,
      ).toEqual([]);
    }
    console.log(
      `[faults] database outage: ${pusher.acked.size} pushes acknowledged, answers ${JSON.stringify(pusher.answers)}, handler retries ${JSON.stringify(retried)}`,
    );
  }, 240_000);
});
