import { createHmac, randomUUID } from 'node:crypto';
import {
  addOperator,
  disableOperator,
  enableOperator,
  removeOperator,
  updateOperator,
} from '@huijie/cases/accounts/accounts.ts';
import { buildCasesApp } from '@huijie/cases/app.ts';
import { seedRoutedCase, towns } from '@huijie/cases/consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '@huijie/cases/db/fresh-cases-db.ts';
import type { CasesDb } from '@huijie/cases/db/prisma.ts';
import { hashApiKey } from '@huijie/cases/http/actor.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { hashPassword } from '@huijie/service-kit/auth-token.ts';
import { routesOf, startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { type RateLimiter, redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyObjects, expectRefused, forgedTokens, kafkaBus, oversized, routeKey } from './support.ts';

const servers = await requireServers('postgres', 'kafka', 'redis');

const jwtSecret = 'security-review-jwt-secret-0123456789';

/** Every route of the cases service and who may call it. A route missing here fails the inventory test. */
const inventory: Record<string, 'anyone' | 'operator' | 'operator or agency'> = {
  'GET /healthz': 'anyone',
  'GET /readyz': 'anyone',
  'GET /metrics': 'anyone',
  'GET /docs': 'anyone',
  'GET /docs/openapi.json': 'anyone',
  'GET /overview': 'anyone',
  'GET /overview/assets/:name': 'anyone',
  'POST /v1/auth/token': 'anyone',
  'GET /v1/disputes/:disputeId': 'operator or agency',
  'GET /v1/cases/:caseId': 'operator or agency',
  'GET /v1/cases': 'operator or agency',
  'GET /v1/cases/export.csv': 'operator',
  'GET /v1/stats/overview': 'operator',
  'GET /v1/stats/breakdown': 'operator',
  'GET /v1/stats/trend': 'operator',
  'POST /v1/cases/:caseId/accept': 'operator or agency',
  'POST /v1/cases/:caseId/progress': 'operator or agency',
  'POST /v1/cases/:caseId/outcome': 'operator or agency',
  'POST /v1/cases/:caseId/escalate': 'operator',
  'POST /v1/cases/:caseId/close': 'operator',
  'POST /v1/cases/:caseId/notes': 'operator or agency',
  'POST /v1/cases/:caseId/merge': 'operator',
  'POST /v1/cases/:caseId/detach': 'operator',
  'POST /v1/cases/:caseId/correct': 'operator',
};

/** A valid body for each action, so that a refusal is about who asks, never about what. */
const actionBodies = (other: { caseId: string; disputeId: string }): Record<string, object> => ({
  accept: {},
  progress: { note: '联系了双方' },
  outcome: { kind: 'mediated', summary: '达成协议', amount: 1 },
  escalate: { level: 'county', reason: '拖延' },
  close: {},
  notes: { note: '备注' },
  merge: { intoCaseId: other.caseId, reason: '同一事项' },
  detach: { disputeId: other.disputeId, reason: '误合并' },
  correct: { divisionCode: '350803104', reason: '地点有误' },
});

const { jiangshan, xiayang } = towns;

describe.runIf(servers)('cases: who may read and act, on PostgreSQL + Kafka + Redis', () => {
  let db: CasesDb;
  let app: FastifyInstance;
  let engine: Engine;
  let redis: Redis;
  let drop: () => Promise<void>;
  const built: FastifyInstance[] = [];
  const tokens: Record<string, string> = {};
  let guo: { caseId: string; disputeId: string };
  let yang: { caseId: string; disputeId: string };

  let bus: EventBus;
  const logger = createLogger({ service: 'security-cases', level: 'silent' });
  const build = (
    settings: Parameters<typeof buildCasesApp>[0],
    extra: { rateLimiter?: RateLimiter } = {},
  ) => {
    const made = buildCasesApp(settings, {
      db,
      bus,
      logger,
      metrics: createMetrics('security-cases'),
      ...extra,
    });
    built.push(made);
    return made;
  };

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
    redis = new Redis(servers!.redisUrl!);
    ({ bus, engine } = await kafkaBus(servers!.kafkaBrokers!, 'security-cases'));
    const operators = {
      city: '350800',
      xinluo: '350802',
      yongding: '350803',
      jiangshan: '350802107',
      neighbour: '350802101',
      timing: '350803',
      replicas: '350803',
      disabled: '350803',
    };
    for (const [username, scope] of Object.entries(operators)) {
      await db.operator.create({
        data: { username, passwordHash: await hashPassword('pw'), role: 'operator', scopeCode: scope },
      });
    }
    await disableOperator(db, 'disabled');
    for (const [key, place] of [
      ['key-jiangshan', jiangshan],
      ['key-xiayang', xiayang],
    ] as const) {
      await db.agencyKey.create({
        data: { keyHash: hashApiKey(key), departmentCode: `${place.town}-judicial_office`, label: key },
      });
    }
    guo = await seedRoutedCase(db, { place: jiangshan, applicant: { name: '郭某', phone: '13800001111' } });
    yang = await seedRoutedCase(db, { place: xiayang, applicant: { name: '杨某', phone: '13900002222' } });
    app = build({ jwtSecret });
    await startConsuming(app);
    for (const username of ['city', 'xinluo', 'yongding', 'jiangshan', 'neighbour']) {
      const login = await app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { username, password: 'pw' },
      });
      tokens[username] = login.json().token;
    }
  });
  afterAll(async () => {
    for (const each of built) await each.close();
    await engine?.close();
    redis?.disconnect();
    await drop?.();
  });

  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
  const agency = (key: string) => ({ 'x-api-key': key });
  /** The case as the city sees it: what an attacker must not have changed. */
  const snapshot = async (caseId: string) => {
    const found = await app.inject({ url: `/v1/cases/${caseId}`, headers: as('city') });
    expect(found.statusCode).toBe(200);
    const { status, history, assignments, jurisdiction, expressLane } = found.json();
    return { status, history, assignments, jurisdiction, expressLane };
  };

  describe('every endpoint', () => {
    it('is in the inventory, and each one that is not public answers 401 in the error shape without credentials', async () => {
      const routes = routesOf(app);
      const unknown = routes.map(routeKey).filter((key) => !(key in inventory));
      expect(unknown, 'routes nobody has classified: add them to the inventory and to README.md').toEqual([]);
      const bodies = actionBodies(yang);
      const queries: Record<string, string> = { 'GET /v1/stats/breakdown': '?by=status' };
      let checked = 0;
      for (const route of routes) {
        if (inventory[routeKey(route)] === 'anyone') continue;
        const action = route.url.split('/').at(-1)!;
        const response = await app.inject({
          method: route.method as 'GET' | 'POST',
          url:
            route.url.replace(':caseId', guo.caseId).replace(':disputeId', guo.disputeId) +
            (queries[routeKey(route)] ?? ''),
          ...(route.method === 'POST' && { payload: bodies[action] ?? {} }),
        });
        expectRefused(response, 401, 'unauthorized');
        expect(response.body).not.toContain('郭某');
        checked++;
      }
      expect(checked).toBe(Object.values(inventory).filter((who) => who !== 'anyone').length);
    });

    it('without credentials, a malformed request is still a 401: nothing is said about what is wrong with it', async () => {
      for (const request of [
        { method: 'GET' as const, url: '/v1/cases?limit=abc&status=nonsense' },
        { method: 'POST' as const, url: '/v1/cases/not-a-uuid/outcome', payload: { kind: 'bribed' } },
        { method: 'GET' as const, url: '/v1/stats/overview?place=x' },
      ]) {
        const response = await app.inject(request);
        expectRefused(response, 401);
        expect(JSON.stringify(response.json())).not.toMatch(/limit|status|kind|place/);
      }
    });

    it('the public ones hold no case data', async () => {
      for (const key of Object.keys(inventory).filter((k) => inventory[k] === 'anyone')) {
        if (key === 'POST /v1/auth/token' || key.includes(':name')) continue;
        const [, url] = key.split(' ') as [string, string];
        const response = await app.inject({ url });
        expect(response.statusCode, key).toBeLessThan(500);
        expect(response.body, key).not.toContain(guo.caseId);
        expect(response.body, key).not.toContain('郭某');
      }
    });
  });

  describe('bearer tokens', () => {
    it.each(forgedTokens(jwtSecret))('%s → 401 everywhere, no data', async (_label, authorization) => {
      const headers = authorization === undefined ? {} : { authorization };
      for (const url of [
        `/v1/cases/${guo.caseId}`,
        `/v1/disputes/${guo.disputeId}`,
        '/v1/cases?place=350802',
        '/v1/cases/export.csv',
        '/v1/stats/overview',
      ]) {
        const response = await app.inject({ url, headers });
        expectRefused(response, 401, 'unauthorized');
        expect(response.body).not.toContain('郭某');
      }
      const acted = await app.inject({
        method: 'POST',
        url: `/v1/cases/${guo.caseId}/notes`,
        headers,
        payload: { note: '越权' },
      });
      expectRefused(acted, 401, 'unauthorized');
    });

    it("stop working as soon as their operator is disabled, removed or given another role or jurisdiction: a leaver's 8-hour token reads nothing more", async () => {
      await db.operator.create({
        data: {
          username: 'leaver',
          passwordHash: await hashPassword('pw'),
          role: 'operator',
          scopeCode: '350802',
        },
      });
      const signIn = async () =>
        ({
          authorization: `Bearer ${(await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username: 'leaver', password: 'pw' } })).json().token}`,
        }) as Record<string, string>;
      const reads = (headers: Record<string, string>) =>
        Promise.all(
          [`/v1/cases/${guo.caseId}`, '/v1/cases?place=350802', '/v1/stats/overview'].map((url) =>
            app.inject({ url, headers }),
          ),
        );
      const token = await signIn();
      expect((await reads(token)).map((response) => response.statusCode)).toEqual([200, 200, 200]);
      await disableOperator(db, 'leaver');
      for (const response of await reads(token)) {
        expect(expectRefused(response, 401, 'unauthorized').message).toBe(
          'the operator has been disabled or removed since this token was issued',
        );
        expect(response.body).not.toContain('郭某');
      }
      await enableOperator(db, 'leaver');
      const again = await signIn();
      await db.operator.update({ where: { username: 'leaver' }, data: { scopeCode: '350803' } });
      for (const response of await reads(again))
        expect(expectRefused(response, 401, 'unauthorized').message).toMatch(
          /role or jurisdiction has changed/,
        );
      const moved = await signIn();
      expect((await app.inject({ url: '/v1/cases?place=350803', headers: moved })).statusCode).toBe(200);
      await db.operator.delete({ where: { username: 'leaver' } });
      expectRefused(await app.inject({ url: '/v1/cases?place=350803', headers: moved }), 401, 'unauthorized');
    });

    describe("do not come back with their operator: a token issued before the operator's account changed stays refused", () => {
      const issuedBefore =
        "this token was issued before the operator's account changed (disabled, enabled again, password, role or jurisdiction changed, or removed and added again): sign in again";
      const password = 'a-long-password-1';
      const signIn = async (username: string, secret = password) => {
        const login = await app.inject({
          method: 'POST',
          url: '/v1/auth/token',
          payload: { username, password: secret },
        });
        return { status: login.statusCode, headers: { authorization: `Bearer ${login.json().token}` } };
      };
      const reads = (headers: Record<string, string>) =>
        Promise.all(
          [`/v1/cases/${guo.caseId}`, '/v1/cases?place=350802', '/v1/stats/overview'].map((url) =>
            app.inject({ url, headers }),
          ),
        );
      const expectIssuedBefore = async (headers: Record<string, string>) => {
        for (const response of await reads(headers)) {
          expect(expectRefused(response, 401, 'unauthorized').message).toBe(issuedBefore);
          expect(response.body).not.toContain('郭某');
        }
      };
      const expectReads = async (headers: Record<string, string>) =>
        expect((await reads(headers)).map((response) => response.statusCode)).toEqual([200, 200, 200]);
      /**
       * A token's `iat` is in whole seconds, and one issued in the second of a change is kept (a
       * sign-in just after the change must work): the change waits for the next second, as one made
       * by an administrator after a token was taken would come.
       */
      const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));
      const add = (username: string) =>
        addOperator(db, { username, role: 'operator', scope: '350802', password });

      it('disabled then enabled again: the old token is refused, a fresh sign-in reads', async () => {
        await add('returner');
        const before = await signIn('returner');
        await expectReads(before.headers);
        await nextSecond();
        await disableOperator(db, 'returner');
        await enableOperator(db, 'returner');
        await expectIssuedBefore(before.headers);
        // Signed in the same second as the enable, most likely: not refused by rounding.
        const fresh = await signIn('returner');
        expect(fresh.status).toBe(200);
        await expectReads(fresh.headers);
      });

      it('a new password (a reset after a compromise), or a scope moved and moved back: the old token is refused, the new password signs in', async () => {
        await add('reset');
        const stolen = await signIn('reset');
        await expectReads(stolen.headers);
        await nextSecond();
        await updateOperator(db, 'reset', { password: 'another-long-password' });
        await expectIssuedBefore(stolen.headers);
        expect((await signIn('reset')).status).toBe(401);
        const fresh = await signIn('reset', 'another-long-password');
        expect(fresh.status).toBe(200);
        await expectReads(fresh.headers);
        await nextSecond();
        await updateOperator(db, 'reset', { scope: '350803' });
        await updateOperator(db, 'reset', { scope: '350802' });
        await expectIssuedBefore(fresh.headers);
      });

      it('removed, then added again with the same username, role and scope: the old token does not come back', async () => {
        await add('rehired');
        const old = await signIn('rehired');
        await expectReads(old.headers);
        await nextSecond();
        await removeOperator(db, 'rehired');
        await add('rehired');
        await expectIssuedBefore(old.headers);
        const fresh = await signIn('rehired');
        expect(fresh.status).toBe(200);
        await expectReads(fresh.headers);
      });

      it('a token without an issue time (signed before tokens carried one) is refused, though its operator is as it says', async () => {
        await add('old-release');
        const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
        const payload = Buffer.from(
          JSON.stringify({
            sub: 'old-release',
            role: 'operator',
            scope: '350802',
            exp: Math.floor(Date.now() / 1000) + 3600,
          }),
        ).toString('base64url');
        const signature = createHmac('sha256', jwtSecret).update(`${header}.${payload}`).digest('base64url');
        for (const response of await reads({ authorization: `Bearer ${header}.${payload}.${signature}` }))
          expect(expectRefused(response, 401, 'unauthorized').message).toMatch(
            /no issue time.*sign in again/,
          );
        await expectReads((await signIn('old-release')).headers);
      });
    });

    it('are verified before the body is read: a forged token or key learns nothing of its body and costs no parsing', async () => {
      const post = (headers: Record<string, string>, payload: string) =>
        app.inject({
          method: 'POST',
          url: `/v1/cases/${guo.caseId}/notes`,
          headers: { ...headers, 'content-type': 'application/json' },
          payload,
        });
      const before = await snapshot(guo.caseId);
      // Not even that the body is not JSON (it used to be a 400: the body was parsed first).
      for (const forged of [{ authorization: 'Bearer x' }, agency('key-guessed')]) {
        const malformed = await post(forged, '{"note":');
        expect(expectRefused(malformed, 401, 'unauthorized').fields[0]?.field).toBe(Object.keys(forged)[0]);
      }
      // 900 KiB of `{}`, over the action limit: with a forged token it is never read (401, not the
      // 413 that reading it gives); with a valid one it is refused as soon as it is too long.
      const flood = emptyObjects(900 * 1024);
      expectRefused(await post({ authorization: 'Bearer x' }, flood), 401, 'unauthorized');
      expectRefused(await post(as('xinluo'), flood), 413);
      expect(await snapshot(guo.caseId)).toEqual(before);
    });
  });

  describe("another county's or town's operator", () => {
    it('can read the case of their own jurisdiction (the control)', async () => {
      expect((await app.inject({ url: `/v1/cases/${guo.caseId}`, headers: as('xinluo') })).statusCode).toBe(
        200,
      );
      expect(
        (await app.inject({ url: `/v1/cases/${guo.caseId}`, headers: as('jiangshan') })).statusCode,
      ).toBe(200);
    });

    it.each([
      ['yongding', 'another county'],
      ['neighbour', 'another town of the same county'],
    ])('%s (%s) cannot read it: the dispute and the case answer 404, like a missing one', async (who) => {
      for (const url of [`/v1/cases/${guo.caseId}`, `/v1/disputes/${guo.disputeId}`]) {
        const response = await app.inject({ url, headers: as(who) });
        const missing = await app.inject({
          url: url.replace(/[0-9a-f-]{36}$/, randomUUID()),
          headers: as(who),
        });
        expectRefused(response, 404, 'not_found');
        expect(response.json().error.message).toBe(missing.json().error.message);
      }
    });

    it.each([
      ['yongding', '?q=水库大坝'],
      ['yongding', '?department=350802107-judicial_office'],
      ['neighbour', ''],
    ])('%s cannot find it by searching %s, nor export it', async (who, query) => {
      const search = await app.inject({ url: `/v1/cases${query}`, headers: as(who) });
      expect(search.statusCode).toBe(200);
      expect(search.json().items.map((item: { caseId: string }) => item.caseId)).not.toContain(guo.caseId);
      expect(search.body).not.toContain('郭某');
      const exported = await app.inject({ url: `/v1/cases/export.csv${query}`, headers: as(who) });
      expect(exported.statusCode).toBe(200);
      expect(exported.body).not.toContain(guo.caseId);
      expect(exported.body).not.toContain('江山镇水库');
    });

    it.each([
      ['yongding', '350802'],
      ['yongding', '350802107'],
      ['yongding', '350800'],
      ['neighbour', '350802107'],
      ['neighbour', '350802'],
    ])(
      '%s searching or exporting a place outside its jurisdiction (%s) is told so, as by the statistics: 403',
      async (who, place) => {
        const statistics = expectRefused(
          await app.inject({ url: `/v1/stats/overview?place=${place}`, headers: as(who) }),
          403,
          'forbidden',
        );
        for (const url of [
          `/v1/cases?place=${place}`,
          `/v1/cases/export.csv?place=${place}&status=assigned`,
        ]) {
          const response = await app.inject({ url, headers: as(who) });
          expect(expectRefused(response, 403, 'forbidden')).toEqual(statistics);
          expect(statistics.fields).toEqual([{ field: 'place', reason: statistics.message }]);
          expect(response.body).not.toContain(guo.caseId);
        }
      },
    );

    it.each([
      ['yongding', 'overview?place=350802'],
      ['yongding', 'overview?place=350800'],
      ['yongding', 'breakdown?by=status&place=350802'],
      ['yongding', 'trend?place=350802107'],
      ['neighbour', 'overview?place=350802107'],
      ['neighbour', 'breakdown?by=place&place=350802'],
    ])('%s gets no statistics of a place outside its jurisdiction (%s): 403', async (who, query) => {
      const response = await app.inject({ url: `/v1/stats/${query}`, headers: as(who) });
      expectRefused(response, 403, 'forbidden');
    });

    it('cannot act on it in any way: every action answers 404 and the case is unchanged', async () => {
      const before = await snapshot(guo.caseId);
      const beforeYang = await snapshot(yang.caseId);
      const bodies = actionBodies(yang);
      for (const [action, payload] of Object.entries(bodies)) {
        const response = await app.inject({
          method: 'POST',
          url: `/v1/cases/${guo.caseId}/${action}`,
          headers: as('yongding'),
          payload,
        });
        expectRefused(response, 404, 'not_found');
      }
      // Nor by merging a case it can see into this one.
      const merged = await app.inject({
        method: 'POST',
        url: `/v1/cases/${yang.caseId}/merge`,
        headers: as('yongding'),
        payload: { intoCaseId: guo.caseId, reason: '同一事项' },
      });
      expectRefused(merged, 404, 'not_found');
      expect(await snapshot(guo.caseId)).toEqual(before);
      expect(await snapshot(yang.caseId)).toEqual(beforeYang);
    });
  });

  describe("an operator's correction of a case's place", () => {
    it.each([
      ['jiangshan', xiayang.town, 'a town of another county'],
      ['jiangshan', '350802101', 'another town of its county'],
      ['jiangshan', jiangshan.county, 'its own county, above the town'],
      ['xinluo', xiayang.town, 'a town of another county'],
      // (The city's own code names no place at all: a 400 for everyone, actions.int.test.ts.)
      ['xinluo', '350803', 'another county'],
    ])(
      '%s cannot move its case to %s (%s): 403 naming divisionCode, nothing asked of routing',
      async (who, divisionCode) => {
        const own = await seedRoutedCase(db, { place: jiangshan });
        const before = await snapshot(own.caseId);
        const response = await app.inject({
          method: 'POST',
          url: `/v1/cases/${own.caseId}/correct`,
          headers: as(who),
          payload: { divisionCode, reason: '地点有误' },
        });
        const error = expectRefused(response, 403, 'forbidden');
        expect(error.fields).toEqual([
          { field: 'divisionCode', reason: expect.stringContaining(divisionCode) },
        ]);
        expect(await snapshot(own.caseId)).toEqual(before);
        expect(
          await db.outboxEvent.count({ where: { eventName: 'case.correction.v1', key: own.disputeId } }),
        ).toBe(0);
      },
    );

    it('may correct within its jurisdiction, its category anywhere, and escalate straight to the county (the control)', async () => {
      const own = await seedRoutedCase(db, { place: jiangshan });
      const act = (who: string, action: string, payload: object) =>
        app.inject({ method: 'POST', url: `/v1/cases/${own.caseId}/${action}`, headers: as(who), payload });
      // A village of its own town; the category alone; the city anywhere in it.
      expect(
        (await act('jiangshan', 'correct', { divisionCode: `${jiangshan.town}201`, reason: '核实' }))
          .statusCode,
      ).toBe(202);
      expect((await act('jiangshan', 'correct', { category: 'contract', reason: '核实' })).statusCode).toBe(
        202,
      );
      expect((await act('xinluo', 'correct', { divisionCode: '350802101', reason: '核实' })).statusCode).toBe(
        202,
      );
      const escalated = await act('jiangshan', 'escalate', { level: 'county', reason: '拖延' });
      expect(escalated.statusCode, escalated.body).toBe(200);
      expect(escalated.json().expressLane).toBe('county');
      expect((await act('city', 'correct', { divisionCode: xiayang.town, reason: '核实' })).statusCode).toBe(
        202,
      );
    });
  });

  describe("an agency's API key", () => {
    it('reads the case assigned to it (the control)', async () => {
      expect(
        (await app.inject({ url: `/v1/cases/${guo.caseId}`, headers: agency('key-jiangshan') })).statusCode,
      ).toBe(200);
    });

    it('an unknown key is a 401, not a fall-back to anonymous', async () => {
      expectRefused(
        await app.inject({ url: `/v1/cases/${guo.caseId}`, headers: agency('key-guessed') }),
        401,
        'unauthorized',
      );
      expectRefused(
        await app.inject({
          method: 'POST',
          url: `/v1/cases/${guo.caseId}/accept`,
          headers: agency('key-guessed'),
          payload: {},
        }),
        401,
        'unauthorized',
      );
    });

    it('cannot read or act on a case not assigned to it: 404, and the case is unchanged', async () => {
      const before = await snapshot(yang.caseId);
      expectRefused(
        await app.inject({ url: `/v1/cases/${yang.caseId}`, headers: agency('key-jiangshan') }),
        404,
        'not_found',
      );
      for (const action of ['accept', 'progress', 'outcome', 'notes']) {
        const response = await app.inject({
          method: 'POST',
          url: `/v1/cases/${yang.caseId}/${action}`,
          headers: agency('key-jiangshan'),
          payload: actionBodies(guo)[action],
        });
        expectRefused(response, 404, 'not_found');
      }
      // The operators' actions are refused for who asks, before any case is looked at: the same
      // 403 as on its own case, which says nothing of this one.
      for (const action of ['close', 'escalate']) {
        const refused = async (caseId: string) =>
          (
            await app.inject({
              method: 'POST',
              url: `/v1/cases/${caseId}/${action}`,
              headers: agency('key-jiangshan'),
              payload: actionBodies(guo)[action],
            })
          ).json();
        expect(await refused(yang.caseId)).toEqual(await refused(guo.caseId));
      }
      expect(await snapshot(yang.caseId)).toEqual(before);
    });

    it("cannot take an operators' action even on its own case (escalate, close, merge, detach, correct): 403 before the body is read, whatever it holds", async () => {
      const before = await snapshot(guo.caseId);
      const bodies = actionBodies(yang);
      for (const action of ['escalate', 'close', 'merge', 'detach', 'correct']) {
        for (const payload of [
          JSON.stringify(
            action === 'detach' ? { disputeId: guo.disputeId, reason: '误合并' } : bodies[action],
          ),
          '{}',
          '{"reason":',
          emptyObjects(32 * 1024),
        ]) {
          const response = await app.inject({
            method: 'POST',
            url: `/v1/cases/${guo.caseId}/${action}`,
            headers: { ...agency('key-jiangshan'), 'content-type': 'application/json' },
            payload,
          });
          expect(expectRefused(response, 403, 'forbidden').message).toMatch(
            /^an agency cannot .+; ask an operator$/,
          );
        }
      }
      expect(await snapshot(guo.caseId)).toEqual(before);
    });

    it('searches its own worklist only: never a case it is not assigned, whatever the filters say', async () => {
      for (const [key, own, other] of [
        ['key-jiangshan', guo, yang],
        ['key-xiayang', yang, guo],
      ] as const) {
        for (const query of [
          '',
          '?place=350800',
          `?department=${other === yang ? xiayang.town : jiangshan.town}-judicial_office`,
        ]) {
          const search = await app.inject({ url: `/v1/cases${query}`, headers: agency(key) });
          expect(search.statusCode).toBe(200);
          const ids = search.json().items.map((item: { caseId: string }) => item.caseId);
          expect(ids).not.toContain(other.caseId);
          if (query === '') expect(ids).toContain(own.caseId);
        }
      }
    });

    it("is no key to the operators' endpoints: export and statistics answer 401", async () => {
      for (const url of ['/v1/cases/export.csv', '/v1/stats/overview']) {
        expectRefused(await app.inject({ url, headers: agency('key-jiangshan') }), 401, 'unauthorized');
      }
    });

    it("looks up only the disputes it holds: another's answers 404, exactly like an unknown one", async () => {
      const own = await app.inject({
        url: `/v1/disputes/${guo.disputeId}`,
        headers: agency('key-jiangshan'),
      });
      expect(own.json()).toEqual({ disputeId: guo.disputeId, caseId: guo.caseId });
      const other = await app.inject({
        url: `/v1/disputes/${yang.disputeId}`,
        headers: agency('key-jiangshan'),
      });
      const missing = await app.inject({
        url: `/v1/disputes/${randomUUID()}`,
        headers: agency('key-jiangshan'),
      });
      expectRefused(other, 404, 'not_found');
      expect(other.json().error.message).toBe(missing.json().error.message);
    });
  });

  describe('the token endpoint (public)', () => {
    const attempt = (on: FastifyInstance, username: string, password: string, remoteAddress = '10.1.0.1') =>
      on.inject({ method: 'POST', url: '/v1/auth/token', payload: { username, password }, remoteAddress });
    /**
     * The limits count in fixed windows of the clock (rate-limit.ts): a test whose attempts
     * straddled a window's end would see the count start again. Such a test starts in a fresh window.
     */
    const windowMs = 10 * 60_000;
    const freshWindow = async () => {
      const left = windowMs - (Date.now() % windowMs);
      if (left < 30_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
    };

    it('limits attempts per username across replicas (shared Redis): 429 with Retry-After, even for the right password', async () => {
      const limiter = redisRateLimiter(redis, `${uniqueName('security-login')}:`);
      const settings = {
        jwtSecret,
        loginLimits: { perUsernameFromAddress: 1000, perUsername: 3, perAddress: 1000, windowMs },
      };
      await freshWindow();
      const [a, b] = [
        build(settings, { rateLimiter: limiter }),
        build(settings, { rateLimiter: limiter }),
      ] as [FastifyInstance, FastifyInstance];
      const statuses = [
        (await attempt(a, 'replicas', 'guess-1')).statusCode,
        (await attempt(b, 'replicas', 'guess-2')).statusCode,
        (await attempt(a, 'replicas', 'guess-3')).statusCode,
      ];
      expect(statuses).toEqual([401, 401, 401]);
      const limited = await attempt(b, 'replicas', 'pw', '10.1.0.2');
      expectRefused(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(windowMs / 1000);
      expect(limited.body).not.toContain('token');
      // Another account is not locked by it.
      expect((await attempt(a, 'timing', 'pw', '10.1.0.3')).statusCode).toBe(200);
    });

    it('one address guessing an account stops itself, not the operator: it takes several addresses to lock the account', async () => {
      const limiter = redisRateLimiter(redis, `${uniqueName('security-login')}:`);
      const guarded = build(
        { jwtSecret, loginLimits: { perUsernameFromAddress: 3, perUsername: 5, perAddress: 1000, windowMs } },
        { rateLimiter: limiter },
      );
      await freshWindow();
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await attempt(guarded, 'timing', `guess-${i}`, '10.6.0.1')).statusCode);
      // Refused from the fourth on, and those refusals do not count against the account.
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      // The operator, at their own desk, signs in.
      expect((await attempt(guarded, 'timing', 'pw', '10.6.0.2')).statusCode).toBe(200);
      // Guesses spread over addresses still meet the account's own limit: 3 + 1 + 1 reach 5, and
      // then even the right password, from anywhere, waits for the window.
      expect((await attempt(guarded, 'timing', 'guess', '10.6.0.3')).statusCode).toBe(401);
      expectRefused(await attempt(guarded, 'timing', 'pw', '10.6.0.2'), 429, 'rate_limited');
    });

    it('behind a load balancer (TRUSTED_PROXY_HOPS=1), counts each client by X-Forwarded-For, not the balancer; keeps no username in Redis', async () => {
      const prefix = `${uniqueName('security-login')}:`;
      const limiter = redisRateLimiter(redis, prefix);
      const balanced = build(
        {
          jwtSecret,
          loginLimits: { perUsernameFromAddress: 1000, perUsername: 1000, perAddress: 3, windowMs },
          trustedProxyHops: 1,
        },
        { rateLimiter: limiter },
      );
      await freshWindow();
      // Every request arrives from the balancer; the header's last entry is the client it saw (a
      // client's own entries, further left, prove nothing).
      const via = (client: string, username: string, password: string, forged = '') =>
        balanced.inject({
          method: 'POST',
          url: '/v1/auth/token',
          payload: { username, password },
          remoteAddress: '10.9.0.1',
          headers: { 'x-forwarded-for': `${forged}${client}` },
        });
      const stranger = [];
      for (let i = 0; i < 4; i++)
        stranger.push((await via('203.0.113.7', `nobody-${i}`, 'x', `198.51.100.${i}, `)).statusCode);
      expect(stranger).toEqual([401, 401, 401, 429]);
      // The operators behind the same balancer sign in.
      expect((await via('203.0.113.8', 'city', 'pw')).statusCode).toBe(200);
      // What was typed as a username (a password, now and then) is not written into Redis's keys.
      const keys = await redis.keys(`${prefix}*`);
      expect(keys.some((key) => key.includes('nobody') || key.includes('city'))).toBe(false);
      expect(keys.some((key) => key.includes('203.0.113.7'))).toBe(true);
    });

    it('limits attempts per address, whichever usernames are tried (password spraying)', async () => {
      const limiter = redisRateLimiter(redis, `${uniqueName('security-login')}:`);
      const sprayed = build(
        {
          jwtSecret,
          loginLimits: { perUsernameFromAddress: 1000, perUsername: 1000, perAddress: 4, windowMs },
        },
        { rateLimiter: limiter },
      );
      await freshWindow();
      const statuses = [];
      for (const username of ['city', 'xinluo', 'yongding', 'jiangshan', 'neighbour']) {
        statuses.push((await attempt(sprayed, username, '123456', '10.2.0.1')).statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      expect((await attempt(sprayed, 'city', 'pw', '10.2.0.2')).statusCode).toBe(200);
    });

    it('judges the address limit before the body is read, and reads no more than a sign-in needs', async () => {
      const limiter = redisRateLimiter(redis, `${uniqueName('security-login')}:`);
      const limited = build(
        {
          jwtSecret,
          loginLimits: { perUsernameFromAddress: 1000, perUsername: 1000, perAddress: 2, windowMs },
        },
        { rateLimiter: limiter },
      );
      await freshWindow();
      const post = (payload: string) =>
        limited.inject({
          method: 'POST',
          url: '/v1/auth/token',
          headers: { 'content-type': 'application/json' },
          payload,
          remoteAddress: '10.5.0.1',
        });
      // Malformed bodies used to be parsed and refused (400) without being counted, without end.
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post('{"username":')).statusCode);
      expect(statuses).toEqual([400, 400, 429]);
      // A username and password are a few KiB at most: 1 MiB of `{}` (a parse of ~350,000 objects,
      // for anyone) is refused unread.
      const flood = emptyObjects(1024 * 1024);
      const big = await limited.inject({
        method: 'POST',
        url: '/v1/auth/token',
        headers: { 'content-type': 'application/json' },
        payload: flood,
        remoteAddress: '10.5.0.2',
      });
      expectRefused(big, 413);
    });

    it('answers an unknown user, a wrong password and a disabled operator alike, in words and in time', async () => {
      const unknown = await attempt(app, 'nobody-here', 'pw', '10.3.0.1');
      const wrong = await attempt(app, 'timing', 'wrong', '10.3.0.1');
      const disabled = await attempt(app, 'disabled', 'pw', '10.3.0.1');
      expect(expectRefused(unknown, 401)).toEqual(expectRefused(wrong, 401));
      expect(expectRefused(disabled, 401)).toEqual(expectRefused(wrong, 401));
      const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
      const times = { unknown: [] as number[], wrong: [] as number[], disabled: [] as number[] };
      const usernames = {
        unknown: (i: number) => `nobody-${i}`,
        wrong: () => 'timing',
        disabled: () => 'disabled',
      };
      for (let i = 0; i < 7; i++) {
        for (const kind of ['unknown', 'wrong', 'disabled'] as const) {
          const started = performance.now();
          await attempt(app, usernames[kind](i), `wrong-${i}`, `10.3.1.${i}`);
          times[kind].push(performance.now() - started);
        }
      }
      // Without the decoy check an unknown name answered in ~1 ms and a known one after scrypt
      // (~50 ms); a disabled one's hash, unreadable as it is, was refused without scrypt too.
      expect(median(times.unknown)).toBeGreaterThan(median(times.wrong) * 0.5);
      expect(median(times.disabled)).toBeGreaterThan(median(times.wrong) * 0.5);
    });

    it('bounds what it reads: a body over 1 MiB is a 413, a 101-character username a 400', async () => {
      const big = await app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        headers: { 'content-type': 'application/json' },
        payload: oversized(1024 * 1024 + 1, { username: 'city' }),
      });
      expectRefused(big, 413);
      const long = await attempt(app, 'x'.repeat(101), 'pw', '10.4.0.1');
      expectRefused(long, 400, 'invalid_request');
    });
  });

  it('an action body over 64 KiB is refused with 413 in the error shape, by every action; the longest a client may send is not', async () => {
    for (const [action, body] of Object.entries(actionBodies(yang))) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/cases/${guo.caseId}/${action}`,
        headers: { ...as('xinluo'), 'content-type': 'application/json' },
        payload: oversized(64 * 1024 + 1, body as Record<string, unknown>),
      });
      expectRefused(response, 413);
    }
    // A 2,000-character note, every character escaped (\uXXXX): 12 KiB, taken.
    const own = await seedRoutedCase(db, { place: jiangshan });
    const note = `{"note":"${'\\u8c03'.repeat(2_000)}"}`;
    const longest = await app.inject({
      method: 'POST',
      url: `/v1/cases/${own.caseId}/notes`,
      headers: { ...as('xinluo'), 'content-type': 'application/json' },
      payload: note,
    });
    expect(longest.statusCode, longest.body).toBe(200);
  });

  it("a body the API cannot read is refused in the platform's codes, naming (body) or content-type: never Fastify's own codes", async () => {
    const post = (payload: string, contentType = 'application/json') =>
      app.inject({
        method: 'POST',
        url: `/v1/cases/${guo.caseId}/outcome`,
        headers: { ...as('xinluo'), 'content-type': contentType },
        payload,
      });
    for (const [response, status, code, field] of [
      [await post(''), 400, 'invalid_request', '(body)'],
      [await post('{"kind":"mediated",'), 400, 'invalid_request', '(body)'],
      [await post(oversized(64 * 1024 + 1, { kind: 'withdrawn' })), 413, 'body_too_large', '(body)'],
      [
        await post('kind=withdrawn', 'application/x-www-form-urlencoded'),
        415,
        'unsupported_media_type',
        'content-type',
      ],
    ] as const) {
      const error = expectRefused(response, status, code);
      expect(error.fields).toEqual([{ field, reason: expect.any(String) }]);
    }
  });
});
