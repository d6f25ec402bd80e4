import { randomUUID } from 'node:crypto';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
