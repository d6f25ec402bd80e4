import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Jurisdiction } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { buildNotifyApp } from '@huijie/notify/app.ts';
import { freshNotifyDb } from '@huijie/notify/db/fresh-notify-db.ts';
import type { NotifyDb } from '@huijie/notify/db/prisma.ts';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { routesOf, startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignment, dispute, statusEvent } from '../../services/notify/test/events.ts';
import {
  emptyObjects,
  expectRefused,
  forgedTokens,
  kafkaBus,
  oversized,
  routeKey,
  timedInject,
} from './support.ts';

const servers = await requireServers('postgres', 'kafka');

const jwtSecret = 'security-review-notify-secret-0123456789';

/** Every route of notify and who may call it. */
const inventory: Record<string, 'anyone' | 'operator'> = {
  'GET /healthz': 'anyone',
  'GET /readyz': 'anyone',
  'GET /metrics': 'anyone',
  'GET /docs': 'anyone',
  'GET /docs/openapi.json': 'anyone',
  'GET /v1/deliveries': 'operator',
  'GET /v1/deliveries/:id': 'operator',
  'POST /v1/deliveries/:id/replay': 'operator',
  'POST /v1/deliveries/replay': 'operator',
  'GET /v1/disputes/:disputeId/deliveries': 'operator',
  'GET /v1/cases/:caseId/deliveries': 'operator',
};

const operator = (scope: string) => ({
  authorization: `Bearer ${signToken({ sub: `operator-${scope}`, role: 'operator', scope }, jwtSecret)}`,
});

describe.runIf(servers)('notify: deliveries and replays by jurisdiction, on PostgreSQL + Kafka', () => {
  let db: NotifyDb;
  let app: FastifyInstance;
  let engine: Engine;
  let bus: EventBus;
  let drop: () => Promise<void>;
  /** A dead letter to Jiangshan town's judicial office (新罗区), and its dispute and case. */
  const jiangshan = { id: '', disputeId: randomUUID(), caseId: randomUUID() };

  beforeAll(async () => {
    ({ db, drop } = await freshNotifyDb(servers!.databaseUrl!));
    const kafka = await kafkaBus(servers!.kafkaBrokers!, 'security-notify');
    engine = kafka.engine;
    bus = kafka.bus;
    const delivery = await db.delivery.create({
      data: {
        dedupeKey: `security:${jiangshan.disputeId}`,
        kind: 'assignment',
        channel: 'outbox',
        recipient: '350802107-judicial_office',
        disputeId: jiangshan.disputeId,
        caseId: jiangshan.caseId,
        version: 1,
        divisionCode: '350802107',
        payload: { role: 'lead' },
        state: 'failed',
        attempts: 8,
        lastError: 'receiver answered 503',
      },
    });
    jiangshan.id = delivery.id;
    await db.caseDispute.create({ data: { disputeId: jiangshan.disputeId, caseId: jiangshan.caseId } });
    app = buildNotifyApp(
      {
        jwtSecret,
        webhooks: new Map(),
        outboxFile: join(mkdtempSync(join(tmpdir(), 'security-notify-')), 'outbox.jsonl'),
      },
      {
        db,
        bus: kafka.bus,
        logger: createLogger({ service: 'security-notify', level: 'silent' }),
        metrics: createMetrics('security-notify'),
      },
    );
    await startConsuming(app);
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
    await drop?.();
  });

  const urls = () => ({
    list: `/v1/deliveries?caseId=${jiangshan.caseId}`,
    one: `/v1/deliveries/${jiangshan.id}`,
    dispute: `/v1/disputes/${jiangshan.disputeId}/deliveries`,
    case: `/v1/cases/${jiangshan.caseId}/deliveries`,
  });

  it('every route is in the inventory, and each one that is not public answers 401 without a token', async () => {
    const routes = routesOf(app);
    const unknown = routes.map(routeKey).filter((key) => !(key in inventory));
    expect(unknown, 'routes nobody has classified: add them to the inventory and to README.md').toEqual([]);
    for (const route of routes) {
      if (inventory[routeKey(route)] === 'anyone') continue;
      const url = route.url
        .replace(':id', jiangshan.id)
        .replace(':disputeId', jiangshan.disputeId)
        .replace(':caseId', jiangshan.caseId);
      expectRefused(await app.inject({ method: route.method as 'GET' | 'POST', url }), 401, 'unauthorized');
    }
  });

  it.each(forgedTokens(jwtSecret))('%s → 401 on reads and on replay', async (_label, authorization) => {
    const headers = authorization === undefined ? {} : { authorization };
    for (const url of Object.values(urls())) {
      const response = await app.inject({ url, headers });
      expectRefused(response, 401, 'unauthorized');
      expect(response.body).not.toContain('judicial_office');
    }
    expectRefused(
      await app.inject({ method: 'POST', url: `/v1/deliveries/${jiangshan.id}/replay`, headers }),
      401,
      'unauthorized',
    );
    expectRefused(
      await app.inject({
        method: 'POST',
        url: '/v1/deliveries/replay',
        headers,
        payload: { recipient: '350802107-judicial_office' },
      }),
      401,
      'unauthorized',
    );
  });

  it.each([
    ['350803', 'another county (永定区)'],
    ['350802101', 'another town of the same county'],
  ])('an operator of %s (%s) sees none of it and cannot replay it', async (scope) => {
    const as = operator(scope);
    const list = await app.inject({ url: urls().list, headers: as });
    expect(list.json().items).toEqual([]);
    const byDispute = await app.inject({
      url: `/v1/deliveries?disputeId=${jiangshan.disputeId}`,
      headers: as,
    });
    expect(byDispute.json().items).toEqual([]);
    for (const url of [urls().one, urls().dispute, urls().case]) {
      const response = await app.inject({ url, headers: as });
      expectRefused(response, 404, 'not_found');
      expect(response.body).not.toContain('judicial_office');
    }
    const replay = await app.inject({
      method: 'POST',
      url: `/v1/deliveries/${jiangshan.id}/replay`,
      headers: as,
    });
    expectRefused(replay, 404, 'not_found');
    // In bulk, by the recipient's code or by the channel: none of it is theirs to send.
    for (const payload of [{ recipient: '350802107-judicial_office' }, { channel: 'outbox' }]) {
      const bulk = await app.inject({ method: 'POST', url: '/v1/deliveries/replay', headers: as, payload });
      expect(bulk.json()).toEqual({ replayed: 0, superseded: 0, remaining: 0 });
    }
    expect(await db.delivery.findUniqueOrThrow({ where: { id: jiangshan.id } })).toMatchObject({
      state: 'failed',
      replays: 0,
      replayedBy: null,
    });
  });

  it('a replay with a forged token is refused before its body is read: malformed is a 401, and a large one costs no parsing', async () => {
    const replay = (headers: Record<string, string>, payload: string) =>
      timedInject(app, {
        method: 'POST',
        url: `/v1/deliveries/${jiangshan.id}/replay`,
        headers: { ...headers, 'content-type': 'application/json' },
        payload,
      });
    // The replay takes no body, but Fastify parses whatever JSON is sent (it used to be a 400).
    expectRefused((await replay({ authorization: 'Bearer x' }, '{"x":')).response, 401, 'unauthorized');
    const flood = emptyObjects(900 * 1024);
    const forged = await replay({ authorization: 'Bearer x' }, flood);
    expectRefused(forged.response, 401, 'unauthorized');
    // Another county's operator: a valid token, so the body is parsed, then the delivery is not theirs.
    const valid = await replay(operator('350803'), flood);
    expectRefused(valid.response, 404, 'not_found');
    expect(forged.ms, `forged ${forged.ms} ms, valid ${valid.ms} ms`).toBeLessThan(valid.ms / 3);
    expect(await db.delivery.findUniqueOrThrow({ where: { id: jiangshan.id } })).toMatchObject({
      state: 'failed',
      replays: 0,
    });
  });

  it("a token whose operator cases has since disabled, moved or changed is refused with the cases API's words once notify has the announcement (operator.access.v1); an operator it has not heard of, by the token alone", async () => {
    const before = new Date(Date.now() - 3600_000).toISOString();
    const tokenOf = (sub: string) => ({
      authorization: `Bearer ${signToken({ sub, role: 'operator', scope: '350802' }, jwtSecret)}`,
    });
    const announced = (
      username: string,
      status: 'active' | 'disabled',
      scope: string,
      validFrom: string,
    ) => ({
      name: 'operator.access.v1' as const,
      key: username,
      data: { username, status, role: 'operator', scope, tokensValidFrom: validFrom, occurredAt: validFrom },
    });
    // Signed in at 350802, before each account changed: a leaver, one moved to 永定区, one whose
    // password was reset (tokens from before it refused) — and one whose account did not change.
    const as = {
      leaver: tokenOf('leaver-350802'),
      mover: tokenOf('mover-350802'),
      reset: tokenOf('reset-350802'),
      stays: tokenOf('stays-350802'),
    };
    // Not heard of yet: the token alone decides, as before notify heard of accounts.
    for (const headers of Object.values(as))
      expect((await app.inject({ url: urls().one, headers })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));
    const changed = new Date().toISOString();
    await bus.publish([
      announced('leaver-350802', 'disabled', '350802', changed),
      announced('mover-350802', 'active', '350803', changed),
      announced('reset-350802', 'active', '350802', changed),
      announced('stays-350802', 'active', '350802', before),
    ]);
    const refusals = {
      leaver: 'the operator has been disabled or removed since this token was issued',
      mover: "the operator's role or jurisdiction has changed since this token was issued: sign in again",
      reset:
        "this token was issued before the operator's account changed (disabled, enabled again, password, role or jurisdiction changed, or removed and added again): sign in again",
    };
    for (const [who, message] of Object.entries(refusals)) {
      const headers = as[who as keyof typeof refusals];
      const refused = await eventually(
        async () => {
          const response = await app.inject({ url: urls().one, headers });
          return response.statusCode === 401 ? response : undefined;
        },
        { what: `notify refusing ${who}'s token`, timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(expectRefused(refused, 401, 'unauthorized')).toEqual({
        code: 'unauthorized',
        message,
        fields: [{ field: 'authorization', reason: message }],
      });
      expect(refused.body).not.toContain('judicial_office');
      for (const url of Object.values(urls()))
        expectRefused(await app.inject({ url, headers }), 401, 'unauthorized');
      expectRefused(
        await app.inject({ method: 'POST', url: `/v1/deliveries/${jiangshan.id}/replay`, headers }),
        401,
        'unauthorized',
      );
    }
    // Heard of, unchanged since before its token: it stands.
    await eventually(() => db.operatorAccess.findUnique({ where: { username: 'stays-350802' } }), {
      what: 'notify hearing of the account that did not change',
    });
    expect((await app.inject({ url: urls().one, headers: as.stays })).statusCode).toBe(200);
    expect(await db.delivery.findUniqueOrThrow({ where: { id: jiangshan.id } })).toMatchObject({
      state: 'failed',
      replays: 0,
    });
  });

  it('a replay body over 1 MiB is a 413 in the error shape', async () => {
    const response = await app.inject({
      method: 'POST',
      url: `/v1/deliveries/${jiangshan.id}/replay`,
      headers: { ...operator('350802'), 'content-type': 'application/json' },
      payload: oversized(1024 * 1024 + 1),
    });
    expectRefused(response, 413);
  });

  it("a case a correction moved from 江山镇 to 西城街道 (routing's decisions and the case's status, on Kafka): 江山镇's operator reads none of it and replays none of it, as for an unknown one; 西城街道's and the county's get all of it", async () => {
    const town = (code: string, name: string): Jurisdiction => ({
      cityCode: '350800',
      countyCode: '350802',
      townCode: code,
      names: ['龙岩市', '新罗区', name],
      resolution: 'exact',
    });
    const office = (code: string, name: string) => ({
      code: `${code}-judicial_office-${randomUUID().slice(0, 8)}`,
      kind: 'judicial_office' as const,
      name,
      divisionCode: code,
    });
    const report = dispute({ location: { divisionCode: '350802107' } });
    const caseId = randomUUID();
    const decided = (version: number, jurisdiction: Jurisdiction, lead: ReturnType<typeof office>) =>
      bus.publish([
        {
          name: 'dispute.assignment.v1',
          key: report.disputeId,
          data: { ...assignment(report, { lead, version }), jurisdiction },
        },
      ]);
    const deliveries = () =>
      db.delivery.findMany({ where: { disputeId: report.disputeId }, orderBy: { createdAt: 'asc' } });
    await decided(1, town('350802107', '江山镇'), office('350802107', '江山镇司法所'));
    await bus.publish([
      {
        name: 'case.status.v1',
        key: caseId,
        data: { ...statusEvent(caseId, [report], 'assigned'), divisionCode: '350802107' },
      },
    ]);
    // The assignment and the citizen's SMS went out (to the outbox file); the SMS is then a dead
    // letter, as after a gateway's outage.
    const sent = await eventually(
      async () => {
        const rows = await deliveries();
        const linked = await db.caseDispute.findUnique({ where: { disputeId: report.disputeId } });
        return rows.length === 2 && rows.every((row) => row.state === 'delivered') && linked && rows;
      },
      { what: "the first decision's deliveries, sent, and the case's status" },
    );
    const sms = sent.find((row) => row.kind === 'citizen_notice')!;
    await db.delivery.update({
      where: { id: sms.id },
      data: { state: 'failed', deliveredAt: null, lastError: 'gateway 503' },
    });
    const jiangshanOperator = operator('350802107');
    expect(
      (await app.inject({ url: `/v1/deliveries/${sms.id}`, headers: jiangshanOperator })).statusCode,
    ).toBe(200);

    await decided(2, town('350802001', '西城街道'), office('350802001', '西城街道司法所'));
    const all = await eventually(
      async () => {
        const rows = await deliveries();
        return rows.length === 4 && rows;
      },
      { what: "the correction's assignment and 江山镇's withdrawal" },
    );

    const caseUrls = [
      `/v1/disputes/${report.disputeId}/deliveries`,
      `/v1/cases/${caseId}/deliveries`,
      ...all.map((row) => `/v1/deliveries/${row.id}`),
    ];
    for (const url of caseUrls) {
      const response = await app.inject({ url, headers: jiangshanOperator });
      expectRefused(response, 404, 'not_found');
    }
    for (const query of [`disputeId=${report.disputeId}`, `caseId=${caseId}`]) {
      const listed = await app.inject({ url: `/v1/deliveries?${query}`, headers: jiangshanOperator });
      expect(listed.json().items).toEqual([]);
    }
    expectRefused(
      await app.inject({
        method: 'POST',
        url: `/v1/deliveries/${sms.id}/replay`,
        headers: jiangshanOperator,
      }),
      404,
      'not_found',
    );
    for (const payload of [{ recipient: sms.recipient }, { channel: 'sms' }]) {
      const bulk = await app.inject({
        method: 'POST',
        url: '/v1/deliveries/replay',
        headers: jiangshanOperator,
        payload,
      });
      expect(bulk.json()).toEqual({ replayed: 0, superseded: 0, remaining: 0 });
    }
    expect(await db.delivery.findUniqueOrThrow({ where: { id: sms.id } })).toMatchObject({
      state: 'failed',
      replays: 0,
    });

    for (const scope of ['350802001', '350802']) {
      for (const url of caseUrls)
        expect((await app.inject({ url, headers: operator(scope) })).statusCode, `${scope} ${url}`).toBe(200);
    }
    const replayed = await app.inject({
      method: 'POST',
      url: `/v1/deliveries/${sms.id}/replay`,
      headers: operator('350802001'),
    });
    expect(replayed.statusCode).toBe(202);
  });

  it("the county's own operator sees and replays it (the control), once", async () => {
    const as = operator('350802');
    expect((await app.inject({ url: urls().one, headers: as })).statusCode).toBe(200);
    const replay = await app.inject({
      method: 'POST',
      url: `/v1/deliveries/${jiangshan.id}/replay`,
      headers: as,
    });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toMatchObject({ id: jiangshan.id, replays: 1 });
  });
});
