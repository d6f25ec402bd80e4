import { randomUUID } from 'node:crypto';
import type { Department, Jurisdiction } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignment, dispute, escalation, statusEvent } from '../../test/events.ts';
import { recordAssignment } from '../consumers/record-assignment.ts';
import { recordEscalation } from '../consumers/record-escalation.ts';
import { recordCaseStatus } from '../consumers/record-status.ts';
import { createRouting } from '../consumers/routing.ts';
import { freshNotifyDb } from '../db/fresh-notify-db.ts';
import { deliveryRoutes } from './delivery-routes.ts';

const servers = await requireServers('postgres');
const jwtSecret = 'delivery-routes-test-jwt-secret-0123456789';
const operator = (scope: string) => ({
  authorization: `Bearer ${signToken({ sub: `operator-${scope}`, role: 'operator', scope }, jwtSecret)}`,
});

describe.runIf(servers)('the delivery API on PostgreSQL', () => {
  let fresh: Awaited<ReturnType<typeof freshNotifyDb>>;
  let app: FastifyInstance;
  let pokes = 0;
  beforeAll(async () => {
    fresh = await freshNotifyDb(servers!.databaseUrl!);
    app = createServiceApp({
      logger: capturedLogger('notify').logger,
      metrics: createMetrics('notify'),
      readiness: {},
    });
    deliveryRoutes(app, { db: fresh.db, jwtSecret, onReplay: () => pokes++ });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await fresh?.drop();
  });

  /** A delivery as the dispatcher leaves it; dead (failed after its tries) unless told otherwise. */
  const recorded = (
    recipient: string,
    options: {
      kind?: string;
      channel?: string;
      disputeId?: string;
      division?: string;
      state?: string;
      lastError?: string;
      createdAt?: Date;
    } = {},
  ) => {
    const disputeId = options.disputeId ?? randomUUID();
    const kind = options.kind ?? 'assignment';
    return fresh.db.delivery.create({
      data: {
        dedupeKey: `${kind}:${disputeId}:${recipient}:${randomUUID()}`,
        kind,
        channel: options.channel ?? 'webhook',
        recipient,
        disputeId,
        version: 1,
        divisionCode: options.division ?? '350802107',
        payload: { disputeId, role: 'lead' },
        state: options.state ?? 'failed',
        attempts: 24,
        lastError: options.lastError ?? 'HTTP 503',
        ...(options.createdAt && { createdAt: options.createdAt }),
      },
    });
  };

  it("after an agency's outage, the operator replays its dead letters in bulk: bounded, oldest first, none the single replay would refuse as superseded", async () => {
    const agency = '350802107-judicial_office';
    const outage = new Date(Date.now() - 3_600_000);
    const before = await recorded(agency, { createdAt: new Date(outage.getTime() - 60_000) });
    const dead = [];
    for (let i = 0; i < 3; i++) {
      dead.push(await recorded(agency, { createdAt: new Date(outage.getTime() + i * 1_000) }));
    }
    // An assignment and its withdrawal that both died: both go again, the assignment first.
    const bothDead = randomUUID();
    dead.push(await recorded(agency, { disputeId: bothDead, createdAt: new Date(outage.getTime() + 5_000) }));
    dead.push(
      await recorded(agency, {
        kind: 'withdrawal',
        disputeId: bothDead,
        createdAt: new Date(outage.getTime() + 6_000),
      }),
    );
    // An assignment that died, then its withdrawal went out: replayed, it would hand the dispute back.
    const withdrawn = randomUUID();
    const superseded = await recorded(agency, { disputeId: withdrawn, createdAt: outage });
    await recorded(agency, { kind: 'withdrawal', disputeId: withdrawn, state: 'delivered' });
    const elsewhere = await recorded(agency, { division: '350803001', createdAt: outage });
    const otherAgency = await recorded('350802107-police_station', { createdAt: outage });

    const replay = (body: object, as = operator('350802')) =>
      app.inject({ method: 'POST', url: '/v1/deliveries/replay', headers: as, payload: body });
    const filter = { recipient: agency, createdFrom: outage.toISOString() };

    const stateOf = async (id: string) =>
      fresh.db.delivery.findUniqueOrThrow({
        where: { id },
        select: { state: true, attempts: true, replays: true, replayedBy: true },
      });
    const first = await replay({ ...filter, limit: 2 });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ replayed: 2, superseded: 1, remaining: 3 });
    // The oldest two went first; the newest waits for the next call.
    expect((await stateOf(dead[1]!.id)).state).toBe('pending');
    expect((await stateOf(dead[2]!.id)).state).toBe('failed');
    const second = await replay(filter);
    expect(second.json()).toEqual({ replayed: 3, superseded: 1, remaining: 0 });
    expect(pokes).toBe(2);

    for (const delivery of dead) {
      expect(await stateOf(delivery.id)).toEqual({
        state: 'pending',
        attempts: 0,
        replays: 1,
        replayedBy: 'operator-350802',
      });
    }
    for (const untouched of [superseded, before, elsewhere, otherAgency]) {
      expect(await stateOf(untouched.id)).toMatchObject({ state: 'failed', replays: 0 });
    }
    // The single replay says the same of the superseded one.
    const single = await app.inject({
      method: 'POST',
      url: `/v1/deliveries/${superseded.id}/replay`,
      headers: operator('350802'),
    });
    expect(single.statusCode).toBe(409);
    expect(single.json().error.code).toBe('superseded');

    // Nothing left: a third call sends nothing and wakes nobody.
    expect((await replay(filter)).json()).toEqual({ replayed: 0, superseded: 1, remaining: 0 });
    expect(pokes).toBe(2);
    // Another county's operator cannot reach this county's dead letters, by any filter.
    expect((await replay({ channel: 'webhook' }, operator('350803'))).json()).toEqual({
      replayed: 1,
      superseded: 0,
      remaining: 0,
    });
    expect(await stateOf(elsewhere.id)).toMatchObject({ state: 'pending', replayedBy: 'operator-350803' });
    expect(await stateOf(otherAgency.id)).toMatchObject({ state: 'failed', replays: 0 });
  });

  it('a WeChat notice texted instead is listed as replaced and never replayed on WeChat; a real WeChat dead letter is', async () => {
    const division = '350802999';
    const citizen = (openId: string, state: string, lastError: string) =>
      recorded(openId, { kind: 'citizen_notice', channel: 'wechat', division, state, lastError });
    const replaced = await citizen(
      'oREPLACED00000000000000001',
      'replaced',
      'errcode 43004: not reachable on WeChat; sent by SMS instead',
    );
    const dead = await citizen('oDEAD000000000000000000001', 'failed', 'errcode 40037');
    const as = operator(division);

    const listed = await app.inject({ method: 'GET', url: '/v1/deliveries?state=replaced', headers: as });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((item: { id: string; state: string }) => [item.id, item.state])).toEqual([
      [replaced.id, 'replaced'],
    ]);
    const deadLetters = await app.inject({ method: 'GET', url: '/v1/deliveries?state=failed', headers: as });
    expect(deadLetters.json().items.map((item: { id: string }) => item.id)).toEqual([dead.id]);

    // Replayed, the citizen who followed the account again would get the notice twice (SMS, then WeChat).
    const single = await app.inject({
      method: 'POST',
      url: `/v1/deliveries/${replaced.id}/replay`,
      headers: as,
    });
    expect(single.statusCode).toBe(409);
    expect(single.json().error.code).toBe('replaced');

    const bulk = await app.inject({
      method: 'POST',
      url: '/v1/deliveries/replay',
      headers: as,
      payload: { channel: 'wechat' },
    });
    expect(bulk.json()).toEqual({ replayed: 1, superseded: 0, remaining: 0 });
    const stateOf = async (id: string) =>
      (await fresh.db.delivery.findUniqueOrThrow({ where: { id }, select: { state: true } })).state;
    expect(await stateOf(replaced.id)).toBe('replaced');
    expect(await stateOf(dead.id)).toBe('pending');
  });

  it("lists one recipient's deliveries, as the bulk replay is keyed; a parameter it does not take is a 400 naming it, not every delivery", async () => {
    const division = '350802106';
    const as = operator(division);
    const judicial = '350802106-judicial_office';
    const mine = [
      await recorded(judicial, { division }),
      await recorded(judicial, { division, state: 'delivered' }),
    ];
    await recorded('350802106-police_station', { division });
    const list = (query: string) =>
      app.inject({ method: 'GET', url: `/v1/deliveries?${query}`, headers: as });

    const listed = await list(`recipient=${judicial}`);
    expect(listed.statusCode, listed.body).toBe(200);
    expect(
      listed
        .json()
        .items.map((item: { id: string }) => item.id)
        .sort(),
    ).toEqual(mine.map((delivery) => delivery.id).sort());
    const dead = await list(`recipient=${judicial}&state=failed`);
    expect(dead.json().items.map((item: { id: string }) => item.id)).toEqual([mine[0]!.id]);
    // What the bulk replay would send, before it is sent: none for a code that is not one.
    expect((await list('recipient=350802106-sfs')).json().items).toEqual([]);

    for (const [query, fields] of [
      ['foo=bar', ['foo']],
      [`recipient=${judicial}&recipent=x&town=350802106`, ['recipent', 'town']],
    ] as const) {
      const refused = await list(query);
      expect(refused.statusCode, query).toBe(400);
      expect(refused.json().error.code).toBe('invalid_request');
      expect(refused.json().error.fields.map((field: { field: string }) => field.field)).toEqual(fields);
      expect(refused.json().error.fields[0].reason).toMatch(
        /^not a parameter of this route; it takes .*\brecipient\b/,
      );
    }
    // A citizen's number is not taken in a URL: their deliveries are found by dispute or case.
    const phone = await list('recipient=13900000077');
    expect(phone.statusCode).toBe(400);
    expect(phone.json().error.fields).toEqual([
      { field: 'recipient', reason: expect.stringContaining('disputeId or caseId') },
    ]);
  });

  it('a bulk replay with a filter it does not take is a 400 naming it, not a replay of the whole channel; one that matches nothing answers all zeros', async () => {
    const division = '350802105';
    const dead = await recorded('350802105-judicial_office', { division });
    const replay = (body: object) =>
      app.inject({
        method: 'POST',
        url: '/v1/deliveries/replay',
        headers: operator(division),
        payload: body,
      });
    const misspelt = await replay({ channel: 'webhook', recipent: '350802105-sfs' });
    expect(misspelt.statusCode).toBe(400);
    expect(misspelt.json().error.fields.map((field: { field: string }) => field.field)).toEqual(['recipent']);
    expect((await replay({ recipient: '350802105-sfs' })).json()).toEqual({
      replayed: 0,
      superseded: 0,
      remaining: 0,
    });
    const stateOf = async () =>
      (await fresh.db.delivery.findUniqueOrThrow({ where: { id: dead.id }, select: { state: true } })).state;
    expect(await stateOf()).toBe('failed');
  });

  it('a bulk replay names a recipient or a channel, and sends at most 1,000 a call', async () => {
    const refused = async (body: object) => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/deliveries/replay',
        headers: operator('350800'),
        payload: body,
      });
      expect(response.statusCode).toBe(400);
      expect(Object.keys(response.json())).toEqual(['error']);
      expect(response.json().error.code).toBe('invalid_request');
      return response.json().error.fields.map((field: { field: string }) => field.field);
    };
    expect(await refused({})).toEqual(['recipient']);
    expect(await refused({ channel: 'webhook', limit: 1_001 })).toEqual(['limit']);
    expect(await refused({ channel: 'webhook', createdFrom: 'yesterday' })).toEqual(['createdFrom']);
  });

  it('without any credential, every route asks for a bearer token: notify takes no API key', async () => {
    for (const [method, url] of [
      ['GET', '/v1/deliveries'],
      ['POST', `/v1/deliveries/${randomUUID()}/replay`],
      ['POST', '/v1/deliveries/replay'],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        error: {
          code: 'unauthorized',
          message: 'authorization required',
          fields: [{ field: 'authorization', reason: expect.any(String) }],
        },
      });
      expect(response.body).not.toContain('x-api-key');
    }
  });

  describe('a case an operator moved to another town', () => {
    const jiangshan = '350802107';
    const xicheng = '350802001';
    const routing = createRouting({
      webhookDepartments: new Set(),
      wechatNotices: 'all',
      hotlineClients: ['longyan-12345'],
      courtClients: [],
      expressLane: new Map(),
      slaReminderBeforeMs: 24 * 3600_000,
    });
    const office = (town: string, name: string): Department => ({
      code: `${town}-judicial_office-${randomUUID().slice(0, 8)}`,
      kind: 'judicial_office',
      name,
      divisionCode: town,
    });
    const placedIn = (townCode: string, town: string): Jurisdiction => ({
      cityCode: '350800',
      countyCode: '350802',
      townCode,
      names: ['龙岩市', '新罗区', town],
      resolution: 'exact',
    });
    /** A 12345 report routed to 江山镇, its case assigned, then corrected by an operator to 西城街道. */
    const movedCase = async () => {
      const report = dispute({ location: { divisionCode: jiangshan } });
      const [first, second] = [office(jiangshan, '江山镇司法所'), office(xicheng, '西城街道司法所')];
      await recordAssignment(
        db(),
        { ...assignment(report, { lead: first }), jurisdiction: placedIn(jiangshan, '江山镇') },
        routing,
      );
      const caseId = randomUUID();
      await recordCaseStatus(
        db(),
        { ...statusEvent(caseId, [report], 'assigned'), divisionCode: jiangshan },
        routing,
      );
      // The first assignment reached 江山镇; the citizen's acceptance SMS died (a dead letter).
      await db().delivery.updateMany({
        where: { disputeId: report.disputeId, kind: 'assignment' },
        data: { state: 'delivered' },
      });
      await db().delivery.updateMany({
        where: { disputeId: report.disputeId, kind: 'citizen_notice' },
        data: { state: 'failed', lastError: 'HTTP 503' },
      });
      const before = await db().delivery.findMany({ where: { disputeId: report.disputeId } });
      expect(before.map((row) => [row.kind, row.divisionCode]).sort()).toEqual([
        ['assignment', jiangshan],
        ['citizen_notice', jiangshan],
      ]);
      const seenBefore = await get(`/v1/disputes/${report.disputeId}/deliveries`, jiangshan);
      expect(seenBefore.statusCode).toBe(200);
      // The correction: routing's next version places the case in 西城街道 (江山镇 is withdrawn).
      await recordAssignment(
        db(),
        {
          ...assignment(report, { lead: second, version: 2 }),
          jurisdiction: placedIn(xicheng, '西城街道'),
        },
        routing,
      );
      const deadSms = before.find((row) => row.kind === 'citizen_notice')!;
      const firstAssignment = before.find((row) => row.kind === 'assignment')!;
      return { report, caseId, deadSms, firstAssignment };
    };
    const db = () => fresh.db;
    const get = (url: string, scope: string) => app.inject({ method: 'GET', url, headers: operator(scope) });
    const ids = (response: { json: () => { items: { id: string }[] } }) =>
      response
        .json()
        .items.map((item) => item.id)
        .sort();

    it('the town it left is answered as for an unknown dispute or case, by every read; the new town and the county see all of it', async () => {
      const { report, caseId, firstAssignment } = await movedCase();
      const all = (await db().delivery.findMany({ where: { disputeId: report.disputeId } })).map(
        (row) => row.id,
      );
      expect(all).toHaveLength(4); // assignment, notice; the new assignment, 江山镇's withdrawal

      const unknownDispute = await get(`/v1/disputes/${randomUUID()}/deliveries`, jiangshan);
      const unknownCase = await get(`/v1/cases/${randomUUID()}/deliveries`, jiangshan);
      const unknownDelivery = await get(`/v1/deliveries/${randomUUID()}`, jiangshan);
      const left = {
        dispute: await get(`/v1/disputes/${report.disputeId}/deliveries`, jiangshan),
        case: await get(`/v1/cases/${caseId}/deliveries`, jiangshan),
        delivery: await get(`/v1/deliveries/${firstAssignment.id}`, jiangshan),
      };
      expect([left.dispute.statusCode, left.case.statusCode, left.delivery.statusCode]).toEqual([
        404, 404, 404,
      ]);
      expect(left.dispute.json()).toEqual(unknownDispute.json());
      expect(left.case.json()).toEqual(unknownCase.json());
      expect(left.delivery.json()).toEqual(unknownDelivery.json());
      for (const query of [`disputeId=${report.disputeId}`, `caseId=${caseId}`, 'limit=200']) {
        const listed = await get(`/v1/deliveries?${query}`, jiangshan);
        expect(listed.statusCode).toBe(200);
        expect(
          ids(listed).filter((id: string) => all.includes(id)),
          query,
        ).toEqual([]);
      }

      for (const scope of [xicheng, '350802', '350800']) {
        const seen = await get(`/v1/disputes/${report.disputeId}/deliveries`, scope);
        expect(seen.statusCode, scope).toBe(200);
        expect(seen.json().caseId).toBe(caseId);
        expect(
          seen
            .json()
            .deliveries.map((d: { id: string }) => d.id)
            .sort(),
        ).toEqual([...all].sort());
        expect((await get(`/v1/cases/${caseId}/deliveries`, scope)).json().deliveries).toHaveLength(4);
        expect(ids(await get(`/v1/deliveries?disputeId=${report.disputeId}`, scope))).toEqual(
          [...all].sort(),
        );
        expect((await get(`/v1/deliveries/${firstAssignment.id}`, scope)).statusCode).toBe(200);
      }
      // Page by page, the new town's list goes on after a delivery the case brought with it.
      const [newest, ...older] = (await get(`/v1/deliveries?disputeId=${report.disputeId}`, xicheng))
        .json()
        .items.map((item: { id: string }) => item.id);
      const next = await get(`/v1/deliveries?disputeId=${report.disputeId}&limit=1&after=${newest}`, xicheng);
      expect(next.json().items.map((item: { id: string }) => item.id)).toEqual(older.slice(0, 1));
    });

    it('a report folded into the case moves with it', async () => {
      const { caseId, report } = await movedCase();
      // A repeat first routed to 江山镇 on its own, then folded into the moved case.
      const repeat = dispute({ location: { divisionCode: jiangshan } });
      await recordAssignment(
        db(),
        {
          ...assignment(repeat, { lead: office(jiangshan, '江山镇司法所') }),
          jurisdiction: placedIn(jiangshan, '江山镇'),
        },
        routing,
      );
      await recordCaseStatus(
        db(),
        {
          ...statusEvent(randomUUID(), [repeat], 'closed'),
          divisionCode: jiangshan,
          mergedInto: caseId,
          mergedIntoDisputeId: report.disputeId,
        },
        routing,
      );
      expect((await get(`/v1/disputes/${repeat.disputeId}/deliveries`, jiangshan)).statusCode).toBe(404);
      expect((await get(`/v1/disputes/${repeat.disputeId}/deliveries`, xicheng)).statusCode).toBe(200);
    });

    it('replays follow the same rule: the town it left can neither replay its dead letter nor see it in bulk; the new town can', async () => {
      const { deadSms } = await movedCase();
      const replay = (scope: string) =>
        app.inject({ method: 'POST', url: `/v1/deliveries/${deadSms.id}/replay`, headers: operator(scope) });
      const refused = await replay(jiangshan);
      expect(refused.statusCode).toBe(404);
      const bulk = await app.inject({
        method: 'POST',
        url: '/v1/deliveries/replay',
        headers: operator(jiangshan),
        payload: { channel: 'sms' },
      });
      expect(bulk.json()).toEqual({ replayed: 0, superseded: 0, remaining: 0 });
      const stateOf = async () =>
        (await db().delivery.findUniqueOrThrow({ where: { id: deadSms.id }, select: { state: true } })).state;
      expect(await stateOf()).toBe('failed');

      const replayed = await replay(xicheng);
      expect(replayed.statusCode).toBe(202);
      expect(await stateOf()).toBe('pending');
      await db().delivery.update({ where: { id: deadSms.id }, data: { state: 'failed' } });
      const inBulk = await app.inject({
        method: 'POST',
        url: '/v1/deliveries/replay',
        headers: operator('350802'),
        payload: { recipient: deadSms.recipient },
      });
      expect(inBulk.json()).toEqual({ replayed: 1, superseded: 0, remaining: 0 });
    });

    it("an express-lane notice to the county's secretary stays the county's, not the town's the case is in", async () => {
      const { caseId } = await movedCase();
      await recordEscalation(db(), escalation(caseId, { divisionCode: '350802' }), routing);
      const notice = await db().delivery.findFirstOrThrow({ where: { caseId, kind: 'escalation_notice' } });
      expect((await get(`/v1/deliveries/${notice.id}`, xicheng)).statusCode).toBe(404);
      expect((await get(`/v1/deliveries/${notice.id}`, '350802')).statusCode).toBe(200);
    });
  });
});
