import { randomUUID } from 'node:crypto';
import type { Department, Jurisdiction } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
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

  describe('a case that moved: its deliveries are seen where the case is now', () => {
    const routing = createRouting({
      webhookDepartments: new Set(),
      wechatNotices: 'all',
      hotlineClients: ['longyan-12345'],
      courtClients: [],
      expressLane: new Map(),
      slaReminderBeforeMs: 24 * 3600_000,
    });
    /** Towns of 新罗区 (350802) and one of 永定区 (350803), with their names as routing gives them. */
    const towns = {
      jiangshan: { code: '350802107', names: ['龙岩市', '新罗区', '江山镇'] },
      xicheng: { code: '350802001', names: ['龙岩市', '新罗区', '西城街道'] },
      tieshan: { code: '350802101', names: ['龙岩市', '新罗区', '铁山镇'] },
      xiayang: { code: '350803105', names: ['龙岩市', '永定区', '下洋镇'] },
    };
    type Town = (typeof towns)[keyof typeof towns];
    const placedIn = (town: Town): Jurisdiction => ({
      cityCode: '350800',
      countyCode: town.code.slice(0, 6),
      townCode: town.code,
      names: town.names,
      resolution: 'exact',
    });
    /** The town's judicial office, with a code of its own to this test (a bulk replay's recipient). */
    const office = (town: Town): Department => ({
      code: `${town.code}-judicial_office-${randomUUID().slice(0, 8)}`,
      kind: 'judicial_office',
      name: `${town.names[2]}司法所`,
      divisionCode: town.code,
    });
    /** Routing's decision placing `report` in `town`, its judicial office leading. */
    const decided = (report: DisputeReceivedV1, town: Town, version = 1) =>
      recordAssignment(
        db(),
        { ...assignment(report, { lead: office(town), version }), jurisdiction: placedIn(town) },
        routing,
      );
    /** The cases service's status of the case `caseId` made of `reports`, placed in `town`. */
    const cased = (caseId: string, reports: DisputeReceivedV1[], town: Town) =>
      recordCaseStatus(
        db(),
        { ...statusEvent(caseId, reports, 'assigned'), divisionCode: town.code },
        routing,
      );
    /** Every delivery recorded of a dispute, by id. */
    const deliveryIds = async (disputeId: string) =>
      (await db().delivery.findMany({ where: { disputeId }, select: { id: true } }))
        .map((row) => row.id)
        .sort();

    /**
     * A 12345 report routed to 江山镇 and its case assigned there; the assignment reached 江山镇's
     * judicial office, the citizen's acceptance SMS died (a dead letter). Then an operator's
     * correction: routing's next version places the case in `to` (江山镇's office is withdrawn).
     */
    const movedCase = async (to: Town) => {
      const report = dispute({ location: { divisionCode: towns.jiangshan.code } });
      await decided(report, towns.jiangshan);
      const caseId = randomUUID();
      await cased(caseId, [report], towns.jiangshan);
      await db().delivery.updateMany({
        where: { disputeId: report.disputeId, kind: 'assignment' },
        data: { state: 'delivered', deliveredAt: new Date() },
      });
      await db().delivery.updateMany({
        where: { disputeId: report.disputeId, kind: 'citizen_notice' },
        data: { state: 'failed', lastError: 'HTTP 503' },
      });
      const before = await db().delivery.findMany({ where: { disputeId: report.disputeId } });
      expect(before.map((row) => [row.kind, row.divisionCode]).sort()).toEqual([
        ['assignment', towns.jiangshan.code],
        ['citizen_notice', towns.jiangshan.code],
      ]);
      // The control: while the case is there, 江山镇's operator sees it.
      expect(
        (await get(`/v1/disputes/${report.disputeId}/deliveries`, towns.jiangshan.code)).statusCode,
      ).toBe(200);
      await decided(report, to, 2);
      const deadSms = before.find((row) => row.kind === 'citizen_notice')!;
      const firstAssignment = before.find((row) => row.kind === 'assignment')!;
      return { report, caseId, deadSms, firstAssignment };
    };
    const db = () => fresh.db;
    const get = (url: string, scope: string) => app.inject({ method: 'GET', url, headers: operator(scope) });
    const listed = async (query: string, scope: string) => {
      const response = await get(`/v1/deliveries?${query}`, scope);
      expect(response.statusCode).toBe(200);
      return response
        .json()
        .items.map((item: { id: string }) => item.id)
        .sort();
    };
    /** What `scope`'s operator gets of the dispute and its case, by every read route. */
    const seenBy = async (scope: string, disputeId: string, caseId: string, oneId: string) => {
      const byDispute = await get(`/v1/disputes/${disputeId}/deliveries`, scope);
      const byCase = await get(`/v1/cases/${caseId}/deliveries`, scope);
      const ids = (response: typeof byDispute) =>
        response.statusCode === 200
          ? response
              .json()
              .deliveries.map((delivery: { id: string }) => delivery.id)
              .sort()
          : response.statusCode;
      return {
        dispute: ids(byDispute),
        case: ids(byCase),
        one: (await get(`/v1/deliveries/${oneId}`, scope)).statusCode,
        listedByDispute: await listed(`disputeId=${disputeId}`, scope),
        listedByCase: await listed(`caseId=${caseId}`, scope),
      };
    };

    it.each([
      ['西城街道, another town of the county', towns.xicheng, ['350802', '350800']],
      ['下洋镇, a town of another county', towns.xiayang, ['350803', '350800']],
    ])(
      'moved to %s: 江山镇 gets nothing of it on any read, as for an unknown dispute or case; the new town and the levels above it see all of it, from before the move too',
      async (_label, to, above) => {
        const { report, caseId, firstAssignment } = await movedCase(to);
        const all = await deliveryIds(report.disputeId);
        // The first assignment and the dead SMS; the new assignment, 江山镇's withdrawal.
        expect(all).toHaveLength(4);

        const nothing = {
          dispute: 404,
          case: 404,
          one: 404,
          listedByDispute: [],
          listedByCase: [],
        };
        expect(await seenBy(towns.jiangshan.code, report.disputeId, caseId, firstAssignment.id)).toEqual(
          nothing,
        );
        const left = {
          dispute: await get(`/v1/disputes/${report.disputeId}/deliveries`, towns.jiangshan.code),
          case: await get(`/v1/cases/${caseId}/deliveries`, towns.jiangshan.code),
          one: await get(`/v1/deliveries/${firstAssignment.id}`, towns.jiangshan.code),
        };
        expect(left.dispute.json()).toEqual(
          (await get(`/v1/disputes/${randomUUID()}/deliveries`, towns.jiangshan.code)).json(),
        );
        expect(left.case.json()).toEqual(
          (await get(`/v1/cases/${randomUUID()}/deliveries`, towns.jiangshan.code)).json(),
        );
        expect(left.one.json()).toEqual(
          (await get(`/v1/deliveries/${randomUUID()}`, towns.jiangshan.code)).json(),
        );
        // Nor among everything it lists.
        const everythingListed = await listed('limit=200', towns.jiangshan.code);
        expect(everythingListed.filter((id: string) => all.includes(id))).toEqual([]);
        for (const id of all)
          expect((await get(`/v1/deliveries/${id}`, towns.jiangshan.code)).statusCode).toBe(404);

        const everything = {
          dispute: all,
          case: all,
          one: 200,
          listedByDispute: all,
          listedByCase: all,
        };
        for (const scope of [to.code, ...above])
          expect(await seenBy(scope, report.disputeId, caseId, firstAssignment.id), scope).toEqual(
            everything,
          );
        // The county it left, when it left the county: nothing either.
        if (!to.code.startsWith('350802'))
          expect(await seenBy('350802', report.disputeId, caseId, firstAssignment.id)).toEqual(nothing);
        // Page by page, the new town's list goes on after a delivery the case brought with it.
        const newestFirst = (await get(`/v1/deliveries?disputeId=${report.disputeId}`, to.code))
          .json()
          .items.map((item: { id: string }) => item.id);
        const [newest, ...older] = newestFirst;
        const next = await get(
          `/v1/deliveries?disputeId=${report.disputeId}&limit=1&after=${newest}`,
          to.code,
        );
        expect(next.json().items.map((item: { id: string }) => item.id)).toEqual(older.slice(0, 1));
      },
    );

    it('replays follow the case: 江山镇 can neither replay its dead letter nor reach it in bulk; 西城街道 can, and its county', async () => {
      const { deadSms } = await movedCase(towns.xicheng);
      const replay = (scope: string) =>
        app.inject({ method: 'POST', url: `/v1/deliveries/${deadSms.id}/replay`, headers: operator(scope) });
      const bulk = (scope: string, payload: object) =>
        app.inject({ method: 'POST', url: '/v1/deliveries/replay', headers: operator(scope), payload });
      const stateOf = async () =>
        (await db().delivery.findUniqueOrThrow({ where: { id: deadSms.id }, select: { state: true } })).state;

      expect((await replay(towns.jiangshan.code)).statusCode).toBe(404);
      expect((await bulk(towns.jiangshan.code, { recipient: deadSms.recipient })).json()).toEqual({
        replayed: 0,
        superseded: 0,
        remaining: 0,
      });
      expect((await bulk(towns.jiangshan.code, { channel: 'sms' })).statusCode).toBe(202);
      expect(await stateOf()).toBe('failed');

      const replayed = await replay(towns.xicheng.code);
      expect(replayed.statusCode).toBe(202);
      expect(await stateOf()).toBe('pending');
      await db().delivery.update({ where: { id: deadSms.id }, data: { state: 'failed' } });
      expect((await bulk('350802', { recipient: deadSms.recipient })).json()).toEqual({
        replayed: 1,
        superseded: 0,
        remaining: 0,
      });
      expect(await stateOf()).toBe('pending');
    });

    it("express-lane notices stay where they went: the one to 江山镇's secretary is 江山镇's after the case left, the one to the county's secretary the county's, not 西城街道's", async () => {
      const report = dispute({ location: { divisionCode: towns.jiangshan.code } });
      await decided(report, towns.jiangshan);
      const caseId = randomUUID();
      await cased(caseId, [report], towns.jiangshan);
      await recordEscalation(
        db(),
        escalation(caseId, { level: 'township', previousLevel: null, divisionCode: towns.jiangshan.code }),
        routing,
      );
      await decided(report, towns.xicheng, 2);
      await recordEscalation(db(), escalation(caseId, { divisionCode: '350802' }), routing);
      const notices = await db().delivery.findMany({
        where: { caseId, kind: 'escalation_notice' },
        select: { id: true, divisionCode: true },
      });
      const toTown = notices.find((notice) => notice.divisionCode === towns.jiangshan.code)!;
      const toCounty = notices.find((notice) => notice.divisionCode === '350802')!;
      expect(notices).toHaveLength(2);
      const status = async (id: string, scope: string) =>
        (await get(`/v1/deliveries/${id}`, scope)).statusCode;
      expect(await status(toTown.id, towns.jiangshan.code)).toBe(200);
      expect(await status(toTown.id, towns.xicheng.code)).toBe(404);
      expect(await status(toCounty.id, towns.xicheng.code)).toBe(404);
      expect(await status(toCounty.id, '350802')).toBe(200);
      // The case's other deliveries are 西城街道's: 江山镇's operator reads its secretary's notice only.
      const ofCase = await get(`/v1/cases/${caseId}/deliveries`, towns.jiangshan.code);
      expect(ofCase.json().deliveries.map((delivery: { id: string }) => delivery.id)).toEqual([toTown.id]);
    });

    /**
     * Case B, a report routed to 铁山镇, folded into case A (江山镇's: a repeat, or an operator's
     * merge). Three events on three keys, in any order: routing's decision of B's report, the fold's
     * status, and routing's decision of A's own report.
     */
    const foldSteps = {
      reportDecided: 'the folded report is routed',
      folded: 'the fold is heard of',
      joinedDecided: 'the case it joins is routed',
    } as const;
    type FoldStep = keyof typeof foldSteps;
    const orders: FoldStep[][] = [
      ['reportDecided', 'joinedDecided', 'folded'],
      ['joinedDecided', 'reportDecided', 'folded'],
      ['reportDecided', 'folded', 'joinedDecided'],
      ['folded', 'reportDecided', 'joinedDecided'],
      ['joinedDecided', 'folded', 'reportDecided'],
      ['folded', 'joinedDecided', 'reportDecided'],
    ];
    it.each(orders.map((order) => [order.map((step) => foldSteps[step]).join(', then '), order]))(
      "a case of 铁山镇 folded into one of 江山镇 (%s): 铁山镇 sees the folded report's deliveries no more, 江山镇 all of them",
      async (_label, order) => {
        const joined = dispute({ location: { divisionCode: towns.jiangshan.code } });
        const repeat = dispute({ location: { divisionCode: towns.tieshan.code } });
        const [joinedCase, foldedCase] = [randomUUID(), randomUUID()];
        const steps: Record<FoldStep, () => Promise<unknown>> = {
          reportDecided: async () => {
            await decided(repeat, towns.tieshan);
            // Its departments got it: the fold withdraws it from them (a withdrawal, recorded).
            await db().delivery.updateMany({
              where: { disputeId: repeat.disputeId, kind: 'assignment' },
              data: { state: 'delivered', deliveredAt: new Date() },
            });
          },
          folded: () =>
            recordCaseStatus(
              db(),
              {
                ...statusEvent(foldedCase, [repeat], 'closed'),
                divisionCode: towns.tieshan.code,
                mergedInto: joinedCase,
                mergedIntoDisputeId: joined.disputeId,
              },
              routing,
            ),
          joinedDecided: () => decided(joined, towns.jiangshan),
        };
        for (const step of order) await steps[step]();

        const folded = await deliveryIds(repeat.disputeId);
        // Its citizen's acceptance notice at least, whatever the order.
        expect(folded.length).toBeGreaterThan(0);
        const byDispute = `/v1/disputes/${repeat.disputeId}/deliveries`;
        expect((await get(byDispute, towns.tieshan.code)).statusCode).toBe(404);
        expect(await listed(`disputeId=${repeat.disputeId}`, towns.tieshan.code)).toEqual([]);
        for (const id of folded)
          expect((await get(`/v1/deliveries/${id}`, towns.tieshan.code)).statusCode).toBe(404);
        const seen = await get(byDispute, towns.jiangshan.code);
        expect(seen.statusCode).toBe(200);
        expect(
          seen
            .json()
            .deliveries.map((delivery: { id: string }) => delivery.id)
            .sort(),
        ).toEqual(folded);
        expect(seen.json().caseId).toBe(joinedCase);
        // The case as notify knows it here: the folded report (no status of its own report was heard).
        const ofCase = await get(`/v1/cases/${joinedCase}/deliveries`, towns.jiangshan.code);
        expect(
          ofCase
            .json()
            .deliveries.map((delivery: { id: string }) => delivery.id)
            .sort(),
        ).toEqual(folded);
        expect((await get(`/v1/cases/${joinedCase}/deliveries`, towns.tieshan.code)).statusCode).toBe(404);
      },
    );

    it('a report that waited in triage, folded into a case of 江山镇: its citizen is told who handles it there, in a notice 江山镇 sees and 铁山镇 does not', async () => {
      const joined = dispute({ location: { divisionCode: towns.jiangshan.code } });
      const waiting = dispute({ location: { divisionCode: towns.tieshan.code } });
      await decided(joined, towns.jiangshan);
      // Routing could not tell who should lead it: nobody is told anything, the citizen neither.
      await recordAssignment(
        db(),
        {
          ...assignment(waiting, { lead: null }),
          jurisdiction: placedIn(towns.tieshan),
          triage: { divisionCode: towns.tieshan.code, reason: 'category unclear' },
        },
        routing,
      );
      expect(await deliveryIds(waiting.disputeId)).toEqual([]);
      const joinedCase = randomUUID();
      await recordCaseStatus(
        db(),
        {
          ...statusEvent(randomUUID(), [waiting], 'closed'),
          divisionCode: towns.tieshan.code,
          mergedInto: joinedCase,
          mergedIntoDisputeId: joined.disputeId,
        },
        routing,
      );
      const [notice] = await db().delivery.findMany({ where: { disputeId: waiting.disputeId } });
      expect(notice).toMatchObject({
        kind: 'citizen_notice',
        payload: { params: { department: '江山镇司法所' } },
      });
      const status = async (scope: string) => (await get(`/v1/deliveries/${notice!.id}`, scope)).statusCode;
      expect(await status(towns.tieshan.code)).toBe(404);
      expect(await status(towns.jiangshan.code)).toBe(200);
    });
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
});
