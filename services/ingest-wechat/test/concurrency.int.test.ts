import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { openPglite, pgliteClient } from '@huijie/database/sql-client.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestWechatApp } from '../src/app.ts';
import { redisApplicationStore } from '../src/application/store.ts';
import { applicantLinks } from '../src/wechat/applicant-link.ts';
import { testSettings, testWechat } from './support.ts';

const redisServer = await requireServers('redis');
const kafkaServer = redisServer ? await requireServers('kafka') : null;

async function embeddedEngine(): Promise<Engine> {
  const db = await openPglite(join(mkdtempSync(join(tmpdir(), 'huijie-wechat-')), 'pglite'));
  const engine = createEmbeddedEngine(pgliteClient(db, { owned: true }), { pollIntervalMs: 50 });
  return {
    ...engine,
    async close() {
      await engine.close();
      await db.close();
    },
  };
}

function concurrentSubmissions(label: string, openEngine: () => Promise<Engine>) {
  describe(`100 concurrent submissions of one application: ${label} + Redis`, () => {
    let engine: Engine;
    let redis: Redis;
    let app: ReturnType<typeof buildIngestWechatApp>;

    beforeAll(async () => {
      engine = await openEngine();
      redis = new Redis(redisServer!.redisUrl!);
      const prefix = `${uniqueName('wechat-int')}:`;
      const metrics = createMetrics('ingest-wechat');
      const bus = createEventBus(engine, { source: '/huijie/ingest-wechat' });
      await bus.ensureTopics(['dispute.intake.v1']);
      app = buildIngestWechatApp(
        // One phone sending one form from one address: the IP limit is not what is under test here.
        testSettings({ limits: { requestsPerIpPer10Min: 10_000 } }),
        {
          bus,
          idempotency: redisIdempotency(redis, `${prefix}idem:`),
          rateLimiter: redisRateLimiter(redis, `${prefix}rate:`),
          applications: redisApplicationStore(redis, { prefix: `${prefix}app:` }),
          logger: createLogger({ service: 'ingest-wechat', level: 'silent' }),
          metrics,
          storeReady: () => redis.ping(),
          followCaseStatus: false,
        },
      );
      await app.ready();
    });

    afterAll(async () => {
      await app?.close();
      await engine?.close();
      redis?.disconnect();
    });

    it('→ 100 answers with one tracking number, exactly one dispute.intake.v1 on the log', async () => {
      const body = {
        submissionId: crypto.randomUUID(),
        townCode: '350802107',
        applicant: { name: '郭某', phone: '13800001234' },
        respondent: { name: '包工头' },
        description: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
        amountClaimed: 3800,
        agreed: true,
      };
      const started = performance.now();
      const responses = await Promise.all(
        Array.from({ length: 100 }, () =>
          app.inject({ method: 'POST', url: '/v1/applications', payload: body, remoteAddress: '10.1.1.1' }),
        ),
      );
      const elapsed = performance.now() - started;
      expect(responses.map((r) => r.statusCode)).toEqual(Array(100).fill(202));
      const trackingNos = new Set(responses.map((r) => r.json().trackingNo));
      expect(trackingNos.size).toBe(1);
      expect(responses.filter((r) => r.json().duplicate === false)).toHaveLength(1);
      const [trackingNo] = [...trackingNos] as [string];
      const disputeId = disputeIdFor('wechat', trackingNo);

      // A marker with the same key lands on the same partition after everything the burst wrote:
      // once it is read, every intake event of this dispute has been read too.
      const marker = crypto.randomUUID();
      await engine.produce([
        {
          topic: 'dispute.intake.v1',
          key: disputeId,
          value: Buffer.from(JSON.stringify({ marker })),
          headers: {},
        },
      ]);
      const seen: string[] = [];
      let markerSeen = false;
      const reader = await engine.consume(uniqueName('count'), ['dispute.intake.v1'], async (message) => {
        if (message.key !== disputeId) return;
        const value = JSON.parse(message.value.toString());
        if (value.marker === marker) markerSeen = true;
        else seen.push(value.sourceRef);
      });
      await eventually(() => markerSeen, { what: 'the marker behind the burst', timeoutMs: 30_000 });
      await reader.stop();
      expect(seen).toEqual([trackingNo]);

      const lookup = await app.inject({
        method: 'POST',
        url: '/v1/applications/lookup',
        payload: { trackingNo, phoneLast4: '1234' },
      });
      expect(lookup.json()).toMatchObject({ trackingNo, status: 'received' });
      console.log(
        `[wechat concurrency] ${label}: 100 concurrent submissions answered in ${elapsed.toFixed(0)} ms`,
      );
    });

    it('→ 20 applications at once from one forwarded link: one is filed with its OpenID, the others without it, and each says which', async () => {
      const link = applicantLinks(`${testWechat.appId}:${testWechat.token}`).sign('oLinkOwner', new Date());
      const bodies = Array.from({ length: 20 }, (_, index) => ({
        submissionId: crypto.randomUUID(),
        townCode: '350802107',
        // Twenty people (the limit per phone is not what is under test).
        applicant: { name: '某甲', phone: `1390000${String(index).padStart(4, '0')}` },
        respondent: { name: '某乙' },
        description: '转发的链接被多人打开：邻里纠纷，请调解员联系。',
        agreed: true,
        wechatRef: link,
      }));
      const send = (body: (typeof bodies)[number]) =>
        app.inject({ method: 'POST', url: '/v1/applications', payload: body, remoteAddress: '10.1.1.2' });
      const answers = (await Promise.all(bodies.map(send))).map((r) => r.json());
      expect(answers.map((answer) => answer.duplicate)).toEqual(Array(20).fill(false));
      const onWechat = answers.filter((answer) => answer.wechatUpdates === true);
      expect(onWechat).toHaveLength(1);
      expect(onWechat[0]).not.toHaveProperty('notice');
      for (const answer of answers.filter((answer) => answer.wechatUpdates === false))
        expect(answer.notice).toContain('已经提交过一份申请');

      // What was filed: the OpenID with that one application only.
      const filed = new Map<string, string | undefined>();
      const ours = new Set(answers.map((answer) => disputeIdFor('wechat', answer.trackingNo)));
      const reader = await engine.consume(uniqueName('link'), ['dispute.intake.v1'], async (message) => {
        if (!ours.has(message.key ?? '')) return;
        const value = JSON.parse(message.value.toString());
        filed.set(value.sourceRef, value.parties[0].wechatOpenId);
      });
      await eventually(() => filed.size === 20, {
        what: 'the 20 applications on the log',
        timeoutMs: 30_000,
      });
      await reader.stop();
      expect([...filed].filter(([, openId]) => openId !== undefined)).toEqual([
        [onWechat[0].trackingNo, 'oLinkOwner'],
      ]);

      // Each sent again (an answer lost on the way) gets its own answer again.
      const again = await Promise.all(bodies.map(send));
      expect(again.map((r) => [r.json().trackingNo, r.json().duplicate, r.json().wechatUpdates])).toEqual(
        answers.map((answer) => [answer.trackingNo, true, answer.wechatUpdates]),
      );
    });
  });
}

describe.runIf(redisServer && kafkaServer)('on Kafka', () => {
  concurrentSubmissions('Kafka', async () =>
    namespaced(
      createKafkaEngine({ brokers: kafkaServer!.kafkaBrokers!, clientId: 'wechat-int' }),
      uniqueName('wechat'),
    ),
  );
});

describe.runIf(redisServer)('on the embedded engine', () => {
  concurrentSubmissions('embedded log', embeddedEngine);
});
