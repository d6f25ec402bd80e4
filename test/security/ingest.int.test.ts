import { randomUUID } from 'node:crypto';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { buildIngest12345App } from '@huijie/ingest-12345/app.ts';
import { buildIngestCourtsApp } from '@huijie/ingest-courts/app.ts';
import { courtClients } from '@huijie/ingest-courts/config.ts';
import { buildIngestWechatApp } from '@huijie/ingest-wechat/app.ts';
import { redisApplicationStore } from '@huijie/ingest-wechat/application/store.ts';
import type { Limits } from '@huijie/ingest-wechat/config.ts';
import { WechatCipher, wechatSignature } from '@huijie/ingest-wechat/wechat/crypto.ts';
import { buildRoutingApp } from '@huijie/routing/app.ts';
import { createRouter } from '@huijie/routing/domain/router.ts';
import { routesOf } from '@huijie/service-kit/http-app.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { expectRefused, kafkaBus, oversized, probeRoutes, routeKey, signedHeaders } from './support.ts';

const servers = await requireServers('kafka', 'redis');

const logger = createLogger({ service: 'security-ingest', level: 'silent' });
const hotline = { id: 'hotline-sec', secret: 'hotline-sec-secret' };
const otherHotline = { id: 'hotline-other', secret: 'hotline-other-secret' };
const court = { id: 'yd-court-sec', secret: 'yd-court-sec-secret' };
const wechat = {
  token: 'securitytoken',
  appId: 'wxsecurity00000001',
  encodingAesKey: 'HuijieDemoEncodingAesKey0123456789abcdefghi',
};
const now = () => Math.floor(Date.now() / 1000);
const day = (offset: number) => new Date(Date.now() + offset * 24 * 3600 * 1000).toISOString().slice(0, 10);

const workOrder = () => ({
  orderNo: `SEC-${randomUUID()}`,
  receivedAt: '2024-08-24T09:30:00+08:00',
  content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
  caller: { name: '郭某', phone: '13800000000' },
  location: { address: '福建省龙岩市新罗区江山镇' },
});

const referral = (courtCode = '闽0803') => ({
  caseNumber: `（2024）${courtCode}民诉前调${Math.floor(Math.random() * 90_000) + 10_000}号`,
  court: { code: courtCode },
  causeOfAction: { name: '民间借贷纠纷' },
  parties: [
    { role: 'applicant', kind: 'person', name: '杨某', phone: '13800000001' },
    { role: 'respondent', kind: 'person', name: '胡某' },
  ],
  claims: ['判令被告归还借款人民币50000元'],
  facts: '2023年3月被告向原告借款50000元，至今未还。',
  amount: 50000,
  referralDate: day(0),
  mediationDeadline: day(30),
});

const application = () => ({
  submissionId: randomUUID(),
  townCode: '350802107',
  address: '江山镇某村水库',
  applicant: { name: '郭某', phone: '13800001234' },
  respondent: { kind: 'person', name: '包工头' },
  description: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
  amountClaimed: 3800,
  attachments: [],
  agreed: true,
});

/**
 * Signed-push attacks on one route, each a 401 naming the header at fault. `valid` is a captured,
 * correctly signed request; the attacks replay or alter it.
 */
function signatureAttacks(body: string, client: { id: string; secret: string }, other: typeof client) {
  const fresh = signedHeaders(client, body);
  return [
    [
      'replayed 301 s after it was signed',
      signedHeaders(client, body, now() - 301),
      body,
      'x-huijie-timestamp',
    ],
    // A few seconds past the edge, so that a second ticking between signing and checking cannot matter.
    ['signed 305 s in the future', signedHeaders(client, body, now() + 305), body, 'x-huijie-timestamp'],
    [
      'an old signature under a fresh timestamp',
      { ...signedHeaders(client, body, now() - 301), 'x-huijie-timestamp': String(now()) },
      body,
      'x-huijie-signature',
    ],
    ['a body changed after signing', fresh, body.replace('2024', '2023'), 'x-huijie-signature'],
    [
      "signed with another client's secret",
      { ...signedHeaders(other, body), 'x-huijie-client': client.id },
      body,
      'x-huijie-signature',
    ],
    ['no signature', { ...fresh, 'x-huijie-signature': '' }, body, 'x-huijie-signature'],
    [
      'a timestamp that is not seconds',
      { ...fresh, 'x-huijie-timestamp': '2024-08-24T09:30:00Z' },
      body,
      'x-huijie-timestamp',
    ],
    ['an unknown client', { ...fresh, 'x-huijie-client': 'stranger' }, body, 'x-huijie-client'],
  ] as const;
}

describe.runIf(servers)('ingest services and routing: signatures, limits and sizes, on Kafka + Redis', () => {
  let redis: Redis;
  let bus: EventBus;
  let engine: Engine;
  const apps: FastifyInstance[] = [];
  const keep = <T extends FastifyInstance>(app: T) => {
    apps.push(app);
    return app;
  };
  const limiter = (prefix = uniqueName('security-rate')) => redisRateLimiter(redis, `${prefix}:`);

  beforeAll(async () => {
    redis = new Redis(servers!.redisUrl!);
    ({ bus, engine } = await kafkaBus(servers!.kafkaBrokers!, 'security-ingest'));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await engine?.close();
    redis?.disconnect();
  });

  const hotlineApp = (rateLimitPerMinute = 1_000, rate = limiter()) =>
    keep(
      buildIngest12345App(
        {
          clients: new Map([
            [hotline.id, hotline.secret],
            [otherHotline.id, otherHotline.secret],
          ]),
          rateLimitPerMinute,
        },
        {
          bus,
          idempotency: redisIdempotency(redis, `${uniqueName('security-idem')}:`),
          rateLimiter: rate,
          logger,
          metrics: createMetrics('ingest-12345'),
        },
      ),
    );
  const courtsApp = (rateLimitPerMinute = 1_000) =>
    keep(
      buildIngestCourtsApp(
        {
          clients: courtClients([
            { ...court, courts: ['闽0803'] },
            { id: 'xl-court-sec', secret: 'xl-court-sec-secret', courts: ['闽0802'] },
          ]),
          rateLimitPerMinute,
        },
        {
          bus,
          idempotency: redisIdempotency(redis, `${uniqueName('security-idem')}:`),
          rateLimiter: limiter(),
          logger,
          metrics: createMetrics('ingest-courts'),
        },
      ),
    );
  const wechatApp = (limits: Partial<Limits> = {}) =>
    keep(
      buildIngestWechatApp(
        {
          wechat: { ...wechat, mode: 'compatible' },
          publicBaseUrl: 'https://tiaojie.example.cn',
          limits,
        },
        {
          bus,
          idempotency: redisIdempotency(redis, `${uniqueName('security-idem')}:`),
          rateLimiter: limiter(),
          applications: redisApplicationStore(redis, { prefix: `${uniqueName('security-apps')}:` }),
          logger,
          metrics: createMetrics('ingest-wechat'),
          followCaseStatus: false,
        },
      ),
    );

  /** Every non-probe route of an app must be classified, and each signed one refuses an unsigned request. */
  async function checkInventory(app: FastifyInstance, inventory: Record<string, string>, sample: string) {
    // Plugins (the WeChat endpoint, pages, QR codes) declare their routes when the app loads.
    await app.ready();
    const routes = routesOf(app).map(routeKey);
    expect(routes.filter((key) => !(key in inventory) && !probeRoutes.has(key))).toEqual([]);
    for (const key of Object.keys(inventory)) expect(routes).toContain(key);
    for (const key of routes.filter((each) => inventory[each] === 'signed')) {
      const [method, url] = key.split(' ') as ['POST', string];
      const response = await app.inject({
        method,
        url,
        headers: { 'content-type': 'application/json' },
        payload: sample,
      });
      expectRefused(response, 401, 'unauthorized');
    }
  }

  it('routing answers nothing but its probes', async () => {
    const app = keep(
      buildRoutingApp({ bus, router: createRouter(), logger, metrics: createMetrics('routing') }),
    );
    expect(routesOf(app).map(routeKey).sort()).toEqual([...probeRoutes].sort());
  });

  it('/readyz says which dependency is down, never its address or the driver error (anyone may ask)', async () => {
    // A real client of a port where nothing listens: its error names the host and port.
    const away = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    away.on('error', () => {});
    const app = keep(
      buildIngest12345App(
        { clients: new Map([[hotline.id, hotline.secret]]) },
        {
          bus,
          idempotency: redisIdempotency(away),
          logger,
          metrics: createMetrics('ingest-12345'),
          storeReady: () => away.ping(),
        },
      ),
    );
    const answer = await app.inject({ url: '/readyz' });
    away.disconnect();
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toEqual({ status: 'not_ready', checks: { broker: 'ok', store: 'unreachable' } });
  });

  describe('12345 hotline pushes (signed)', () => {
    const inventory = { 'POST /v1/work-orders': 'signed', 'POST /v1/work-orders/batch': 'signed' };

    it('every route is classified; each refuses an unsigned push with 401', async () => {
      await checkInventory(hotlineApp(), inventory, JSON.stringify(workOrder()));
    });

    it.each([
      ['/v1/work-orders', () => JSON.stringify(workOrder())],
      ['/v1/work-orders/batch', () => JSON.stringify({ orders: [workOrder()] })],
    ])(
      '%s refuses every replayed or altered signature with 401; the captured request itself passes',
      async (url, body) => {
        const app = hotlineApp();
        const raw = body();
        for (const [label, headers, payload, field] of signatureAttacks(raw, hotline, otherHotline)) {
          const response = await app.inject({ method: 'POST', url, headers, payload });
          const error = expectRefused(response, 401, 'unauthorized');
          expect(
            error.fields.map((each) => each.field),
            label,
          ).toEqual([field]);
        }
        const accepted = await app.inject({
          method: 'POST',
          url,
          headers: signedHeaders(hotline, raw),
          payload: raw,
        });
        expect([200, 202]).toContain(accepted.statusCode);
      },
    );

    it('a captured push replayed inside the window writes nothing new: the same dispute, duplicate', async () => {
      const app = hotlineApp();
      const raw = JSON.stringify(workOrder());
      const headers = signedHeaders(hotline, raw);
      const first = await app.inject({ method: 'POST', url: '/v1/work-orders', headers, payload: raw });
      const replayed = await app.inject({ method: 'POST', url: '/v1/work-orders', headers, payload: raw });
      expect(first.json()).toMatchObject({ duplicate: false });
      expect(replayed.json()).toEqual({ ...first.json(), duplicate: true });
    });

    it('limits each client across replicas (Redis): 429 with Retry-After, single and batch pushes counted together', async () => {
      const shared = limiter();
      const [a, b] = [hotlineApp(3, shared), hotlineApp(3, shared)];
      const push = (app: FastifyInstance, url: string, body: unknown) => {
        const raw = JSON.stringify(body);
        return app.inject({ method: 'POST', url, headers: signedHeaders(hotline, raw), payload: raw });
      };
      expect((await push(a, '/v1/work-orders', workOrder())).statusCode).toBe(202);
      expect((await push(b, '/v1/work-orders/batch', { orders: [workOrder()] })).statusCode).toBe(200);
      expect((await push(a, '/v1/work-orders', workOrder())).statusCode).toBe(202);
      const limited = await push(b, '/v1/work-orders/batch', { orders: [workOrder()] });
      expectRefused(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    });

    it('an unsigned push is refused before its body is parsed: anyone who knows a client id (it travels in the clear) cannot make the service parse megabytes', async () => {
      const app = hotlineApp();
      const forged = (raw: string) => ({
        ...signedHeaders(hotline, raw),
        'x-huijie-signature': '0'.repeat(64),
      });
      // Nothing about the body is said to an unsigned caller: not even that it is not JSON.
      const malformed = '{"orderNo":';
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/work-orders',
        headers: forged(malformed),
        payload: malformed,
      });
      expect(expectRefused(refused, 401, 'unauthorized').fields.map((each) => each.field)).toEqual([
        'x-huijie-signature',
      ]);
      // Tiny objects are the costliest JSON to parse: a batch's 16 MiB of them blocked the service for
      // seconds (12 s on a 2-core machine). Here 2 MiB: unsigned, it costs what reading it and checking
      // its signature cost; signed, the same body is parsed (then refused: over 500 orders).
      const flood = `{"orders":[${'{},'.repeat(700_000).slice(0, -1)}]}`;
      const timed = async (headers: Record<string, string>) => {
        const started = performance.now();
        const response = await app.inject({
          method: 'POST',
          url: '/v1/work-orders/batch',
          headers,
          payload: flood,
        });
        return { response, ms: performance.now() - started };
      };
      const unsigned = await timed(forged(flood));
      expectRefused(unsigned.response, 401, 'unauthorized');
      const signed = await timed(signedHeaders(hotline, flood));
      expectRefused(signed.response, 400, 'invalid_request');
      expect(unsigned.ms, `unsigned ${unsigned.ms} ms, signed ${signed.ms} ms`).toBeLessThan(signed.ms / 3);
    });

    it('a batch over 16 MiB is a 413 in the error shape', async () => {
      const raw = oversized(16 * 1024 * 1024 + 1, { orders: [] });
      const response = await hotlineApp().inject({
        method: 'POST',
        url: '/v1/work-orders/batch',
        headers: signedHeaders(hotline, raw),
        payload: raw,
      });
      expectRefused(response, 413);
    });
  });

  describe('court referrals (signed, per-court allow-list)', () => {
    it('every route is classified; each refuses an unsigned referral with 401', async () => {
      await checkInventory(courtsApp(), { 'POST /v1/referrals': 'signed' }, JSON.stringify(referral()));
    });

    it('refuses every replayed or altered signature with 401; the captured request itself passes', async () => {
      const app = courtsApp();
      const raw = JSON.stringify(referral());
      const other = { id: 'xl-court-sec', secret: 'xl-court-sec-secret' };
      for (const [label, headers, payload, field] of signatureAttacks(raw, court, other)) {
        const response = await app.inject({ method: 'POST', url: '/v1/referrals', headers, payload });
        const error = expectRefused(response, 401, 'unauthorized');
        expect(
          error.fields.map((each) => each.field),
          label,
        ).toEqual([field]);
      }
      const accepted = await app.inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: signedHeaders(court, raw),
        payload: raw,
      });
      expect(accepted.statusCode, accepted.body).toBe(202);
    });

    it("a client referring another court's case is refused with 403, and the case stays free for its own court", async () => {
      const app = courtsApp();
      const body = referral('闽0802');
      const raw = JSON.stringify(body);
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: signedHeaders(court, raw),
        payload: raw,
      });
      expectRefused(refused, 403, 'forbidden');
      const own = { id: 'xl-court-sec', secret: 'xl-court-sec-secret' };
      const accepted = await app.inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: signedHeaders(own, raw),
        payload: raw,
      });
      expect(accepted.json()).toMatchObject({ duplicate: false });
    });

    it('limits each client: 429 with Retry-After', async () => {
      const app = courtsApp(2);
      const statuses = [];
      let last: Awaited<ReturnType<FastifyInstance['inject']>> | undefined;
      for (let i = 0; i < 3; i++) {
        const raw = JSON.stringify(referral());
        last = await app.inject({
          method: 'POST',
          url: '/v1/referrals',
          headers: signedHeaders(court, raw),
          payload: raw,
        });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([202, 202, 429]);
      expectRefused(last!, 429, 'rate_limited');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    });

    it('a referral over 1 MiB is a 413 in the error shape', async () => {
      const raw = oversized(1024 * 1024 + 1, referral());
      const response = await courtsApp().inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: signedHeaders(court, raw),
        payload: raw,
      });
      expectRefused(response, 413);
    });

    it('an unsigned referral is refused before its body is parsed: malformed JSON is a 401, not a 400', async () => {
      const malformed = '{"caseNumber":';
      const response = await courtsApp().inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: { ...signedHeaders(court, malformed), 'x-huijie-signature': '0'.repeat(64) },
        payload: malformed,
      });
      expect(expectRefused(response, 401, 'unauthorized').fields.map((each) => each.field)).toEqual([
        'x-huijie-signature',
      ]);
    });

    it("an unknown client's body is not read: 401 before the size is even looked at", async () => {
      const raw = oversized(1024 * 1024 + 1, referral());
      const response = await courtsApp().inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: { ...signedHeaders(court, raw), 'x-huijie-client': 'stranger' },
        payload: raw,
      });
      expectRefused(response, 401);
      expect(response.json().error.fields).toEqual([{ field: 'x-huijie-client', reason: 'unknown client' }]);
    });
  });

  describe('WeChat: the official account endpoint (signed by WeChat) and the public form, lookup, pages', () => {
    const inventory = {
      'GET /wechat': 'wechat-signed',
      'POST /wechat': 'wechat-signed',
      'POST /v1/applications': 'public, per address and per phone',
      'POST /v1/applications/lookup': 'public, per address and per application',
      // The lookup's former URL, which carried the digits: answers 410 naming the POST, reads nothing.
      'GET /v1/applications/:trackingNo': 'public, per address',
      'GET /v1/qrcodes/:file': 'public, per address',
      'GET /apply': 'public, per address',
      'GET /track': 'public, per address',
      // A form sent without JavaScript: answered with a fixed page, its body never read.
      'POST /apply': 'public, per address',
      'POST /track': 'public, per address',
    };
    const signedQuery = (timestamp = String(now()), nonce = 'n0nce', extra: Record<string, string> = {}) =>
      new URLSearchParams({
        timestamp,
        nonce,
        signature: wechatSignature(wechat.token, timestamp, nonce),
        ...extra,
      });
    const text = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser1]]></FromUserName><CreateTime>${now()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[调解]]></Content><MsgId>1</MsgId></xml>`;

    it('every route is classified', async () => {
      await checkInventory(wechatApp(), inventory, '{}');
    });

    it.each([
      [
        'a wrong signature',
        () => new URLSearchParams({ ...Object.fromEntries(signedQuery()), signature: 'f'.repeat(40) }),
      ],
      ['no signature', () => new URLSearchParams({ timestamp: String(now()), nonce: 'n0nce' })],
      ['a captured URL replayed 301 s later', () => signedQuery(String(now() - 301))],
      ['a timestamp 305 s ahead', () => signedQuery(String(now() + 305))],
      [
        "another account's token",
        () =>
          new URLSearchParams({
            timestamp: String(now()),
            nonce: 'n0nce',
            signature: wechatSignature('anothertoken', String(now()), 'n0nce'),
          }),
      ],
    ])('%s: URL verification and messages answer 401', async (_label, query) => {
      const app = wechatApp();
      const verify = await app.inject({ url: `/wechat?${query()}&echostr=abc` });
      expectRefused(verify, 401, 'unauthorized');
      expect(verify.body).not.toContain('"abc"');
      const message = await app.inject({
        method: 'POST',
        url: `/wechat?${query()}`,
        headers: { 'content-type': 'text/xml' },
        payload: text,
      });
      expectRefused(message, 401, 'unauthorized');
    });

    it('safe mode: a wrong msg_signature, or an envelope for another AppID, is 401; the right one is answered', async () => {
      const app = wechatApp();
      const envelope = (appId: string) => new WechatCipher(wechat.encodingAesKey, appId).encrypt(text);
      const post = (encrypt: string, msgSignature: string) => {
        const query = signedQuery();
        query.set('encrypt_type', 'aes');
        query.set('msg_signature', msgSignature);
        return app.inject({
          method: 'POST',
          url: `/wechat?${query}`,
          headers: { 'content-type': 'text/xml' },
          payload: `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
        });
      };
      const ours = envelope(wechat.appId);
      const sign = (encrypt: string) =>
        wechatSignature(wechat.token, signedQuery().get('timestamp')!, 'n0nce', encrypt);
      const badMsg = await post(ours, 'f'.repeat(40));
      expect(expectRefused(badMsg, 401, 'unauthorized').fields[0]?.field).toBe('msg_signature');
      const theirs = envelope('wxanotheraccount01');
      expectRefused(await post(theirs, sign(theirs)), 401, 'unauthorized');
      expect((await post(ours, sign(ours))).statusCode).toBe(200);
    });

    it('bodies over the limits are 413 in the error shape: messages 64 KiB, applications 256 KiB, lookups 1 KiB', async () => {
      const app = wechatApp();
      const message = await app.inject({
        method: 'POST',
        url: `/wechat?${signedQuery()}`,
        headers: { 'content-type': 'text/xml' },
        payload: `<xml>${'x'.repeat(64 * 1024)}</xml>`,
      });
      expectRefused(message, 413);
      const applied = await app.inject({
        method: 'POST',
        url: '/v1/applications',
        headers: { 'content-type': 'application/json' },
        payload: oversized(256 * 1024, application()),
      });
      expectRefused(applied, 413);
      const looked = await app.inject({
        method: 'POST',
        url: '/v1/applications/lookup',
        headers: { 'content-type': 'application/json' },
        payload: oversized(1024, { trackingNo: 'WX23456789ABCD', phoneLast4: '1234' }),
      });
      expectRefused(looked, 413);
    });

    it('a lookup with the wrong last four digits gives no data, like an unknown number, and each application answers only a few lookups an hour', async () => {
      // The limit's hour is a fixed window of the clock: run near its end, the lookups would
      // straddle two windows, or the Retry-After be under a minute. The clock is set mid-hour.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(`${new Date().toISOString().slice(0, 13)}:20:00Z`));
      onTestFinished(() => {
        vi.useRealTimers();
      });
      const app = wechatApp({ lookupsPerApplicationPerHour: 3 });
      const applied = await app.inject({ method: 'POST', url: '/v1/applications', payload: application() });
      expect(applied.statusCode, applied.body).toBe(202);
      const { trackingNo } = applied.json();
      const lookup = (no: string, last4: string) =>
        app.inject({
          method: 'POST',
          url: '/v1/applications/lookup',
          payload: { trackingNo: no, phoneLast4: last4 },
          remoteAddress: '10.9.0.1',
        });
      const right = await lookup(trackingNo, '1234');
      expect(right.json()).toMatchObject({ trackingNo, town: { code: '350802107' } });
      const wrong = await lookup(trackingNo, '0000');
      const unknown = await lookup(
        trackingNo.replace(/.$/, (c: string) => (c === '2' ? '3' : '2')),
        '1234',
      );
      expectRefused(wrong, 404, 'not_found');
      expect(wrong.body).not.toContain('350802107');
      expect(wrong.json()).toEqual(unknown.json());
      expectRefused(await lookup(trackingNo, '9999'), 404, 'not_found');
      // The fourth lookup of the hour is refused even with the right digits: they cannot be walked.
      const limited = await lookup(trackingNo, '1234');
      expectRefused(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(60);
      expect(limited.body).not.toContain('350802107');
      // The former URL, digits in its query, answers nothing about the application.
      const former = await app.inject({ url: `/v1/applications/${trackingNo}?phoneLast4=1234` });
      expect(expectRefused(former, 410, 'gone').message).toContain('POST /v1/applications/lookup');
      expect(former.body).not.toContain('350802107');
    });

    it('the application API is limited per address: 429 with Retry-After, and a forged X-Forwarded-For does not reset it', async () => {
      const app = wechatApp({ requestsPerIpPer10Min: 3 });
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const response = await app.inject({
          method: 'POST',
          url: '/v1/applications',
          payload: {},
          remoteAddress: '10.8.0.1',
          headers: { 'x-forwarded-for': `203.0.113.${i}` },
        });
        statuses.push(response.statusCode);
        if (response.statusCode === 429) {
          expectRefused(response, 429, 'rate_limited');
          expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        }
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
      const lookup = await app.inject({
        method: 'POST',
        url: '/v1/applications/lookup',
        payload: { trackingNo: 'WX00000000', phoneLast4: '1234' },
        remoteAddress: '10.8.0.1',
      });
      expectRefused(lookup, 429, 'rate_limited');
      const elsewhere = await app.inject({
        method: 'POST',
        url: '/v1/applications',
        payload: {},
        remoteAddress: '10.8.0.2',
      });
      expect(elsewhere.statusCode).toBe(400);
    });

    it('the per-address limit is judged before the body is read: bodies refused as malformed count, and past the limit none is parsed', async () => {
      const app = wechatApp({ requestsPerIpPer10Min: 2 });
      const post = (payload: string) =>
        app.inject({
          method: 'POST',
          url: '/v1/applications',
          headers: { 'content-type': 'application/json' },
          payload,
          remoteAddress: '10.9.0.1',
        });
      // Each of these used to be parsed and refused (400) without ever being counted: 256 KiB of
      // `{}` costs a parse of ~87,000 objects, as often as anyone cared to send it.
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post('{"submissionId":')).statusCode);
      expect(statuses).toEqual([400, 400, 429]);
      const flood = await post(`[${'{},'.repeat(80_000).slice(0, -1)}]`);
      expectRefused(flood, 429, 'rate_limited');
      expect(Number(flood.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    });

    it('the form, the tracking page and the QR codes are limited per address: 429 with Retry-After', async () => {
      const app = wechatApp({ pagesPerIpPer10Min: 3 });
      const get = (url: string, remoteAddress = '10.7.0.1') =>
        app.inject({
          url,
          remoteAddress,
          headers: { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250)}` },
        });
      expect((await get('/apply?town=350802107')).statusCode).toBe(200);
      expect((await get('/track')).statusCode).toBe(200);
      expect((await get('/v1/qrcodes/350802107.svg')).statusCode).toBe(200);
      const limited = await get('/v1/qrcodes/350802107.png?size=2000');
      expectRefused(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expectRefused(await get('/apply'), 429, 'rate_limited');
      expect((await get('/apply', '10.7.0.2')).statusCode).toBe(200);
    });
  });
});
