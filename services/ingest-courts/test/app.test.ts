import { Writable } from 'node:stream';
import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor, intakeEventId } from '@huijie/contracts/ids.ts';
import { type IdempotencyStore, memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { memoryRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { sign } from '@huijie/service-kit/signing.ts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { referralKey } from '../src/app.ts';
import {
  demoClient,
  memoryEngine,
  now,
  push,
  referral,
  signedHeaders,
  testApp,
  testConfig,
} from './fixtures.ts';

const canonical = '（2024）闽0803民诉前调123号';
const disputeId = disputeIdFor('court', canonical);
const nowSeconds = Math.floor(now.getTime() / 1000);

function setup(options: Parameters<typeof testApp>[1] = testConfig()) {
  const memory = memoryEngine();
  return { ...memory, app: testApp({ bus: memory.bus }, options) };
}

function post(app: ReturnType<typeof setup>['app'], headers: Record<string, string>, payload: string) {
  return app.inject({ method: 'POST', url: '/v1/referrals', headers, payload });
}

describe('POST /v1/referrals: accepted', () => {
  it('answers 202 with the dispute id only after the event is written, once', async () => {
    const { app, records } = setup();
    const response = await push(app, referral());
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ disputeId, duplicate: false, revision: 1, caseNumber: canonical });
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record!.topic).toBe('dispute.intake.v1');
    expect(record!.key).toBe(disputeId);
    expect(record!.headers).toMatchObject({
      ce_id: intakeEventId(disputeId, 1),
      ce_type: 'cn.huijie.dispute.intake.v1',
      ce_source: '/huijie/ingest-courts',
      ce_correlationid: disputeId,
    });
    const event = DisputeReceivedV1.parse(JSON.parse(record!.value.toString()));
    expect(event).toMatchObject({
      channel: 'court',
      sourceRef: canonical,
      sourceClient: 'demo-court',
      sourceCategory: { scheme: 'court_cause', name: '民间借贷纠纷' },
      location: { divisionCode: '350803' },
      dueAt: '2024-09-19T23:59:59+08:00',
      court: { courtCode: '闽0803', referredBy: 'demo-court', caseType: '民诉前调' },
    });
  });

  it('answers a re-push, in any spelling of the case number, with the same dispute and writes nothing', async () => {
    const { app, records } = setup();
    const first = await push(app, referral());
    const again = await push(app, referral());
    const halfWidth = await push(app, referral({ caseNumber: '(2024)闽0803民诉前调123号' }));
    expect(first.json()).toEqual({ disputeId, duplicate: false, revision: 1, caseNumber: canonical });
    for (const response of [again, halfWidth]) {
      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual({ disputeId, duplicate: true, revision: 1, caseNumber: canonical });
    }
    expect(records).toHaveLength(1);
  });

  it('answers 100 concurrent pushes of the same referral with one event and one first answer', async () => {
    const { app, records } = setup();
    const responses = await Promise.all(Array.from({ length: 100 }, () => push(app, referral())));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(100).fill(202));
    expect(new Set(responses.map((response) => response.json().disputeId))).toEqual(new Set([disputeId]));
    expect(responses.filter((response) => !response.json().duplicate)).toHaveLength(1);
    expect(records).toHaveLength(1);
  });

  it('treats a referral of the same case by another client allowed for the court as the same dispute', async () => {
    const config = testConfig();
    const { courtClients } = await import('../src/config.ts');
    const gateway = { id: 'yd-gateway', secret: 'gateway-secret-1' };
    const clients = new Map([...config.clients, ...courtClients([{ ...gateway, courts: ['闽0803'] }])]);
    const { app, records } = setup({ ...config, clients });
    await push(app, referral());
    const other = await push(app, referral(), gateway);
    expect(other.json()).toEqual({ disputeId, duplicate: true, revision: 1, caseNumber: canonical });
    expect(records).toHaveLength(1);
  });
});

describe('POST /v1/referrals: a court updates its referral', () => {
  const intakeOf = (record: { value: Buffer }) =>
    DisputeReceivedV1.parse(JSON.parse(record.value.toString()));

  it('takes a changed mediation deadline as revision 2 of the same dispute, with the new deadline', async () => {
    const { app, records } = setup();
    await push(app, referral());
    const extended = await push(app, referral({ mediationDeadline: '2024-10-19' }));
    expect(extended.statusCode).toBe(202);
    expect(extended.json()).toEqual({ disputeId, duplicate: false, revision: 2, caseNumber: canonical });
    expect(records).toHaveLength(2);
    expect(records[1]!.key).toBe(disputeId);
    expect(records[1]!.headers.ce_id).toBe(intakeEventId(disputeId, 2));
    expect(intakeOf(records[1]!)).toMatchObject({
      disputeId,
      revision: 2,
      dueAt: '2024-10-19T23:59:59+08:00',
    });
  });

  it('takes an added party and a corrected claim as the next revisions, each once', async () => {
    const { app, records } = setup();
    const base = referral();
    await push(app, base);
    const third = { role: 'third_party', kind: 'organisation', name: '某担保公司' };
    const withParty = referral({ parties: [...base.parties, third] });
    expect((await push(app, withParty)).json()).toMatchObject({ duplicate: false, revision: 2 });
    expect((await push(app, withParty)).json()).toMatchObject({ duplicate: true, revision: 2 });
    const corrected = referral({ parties: withParty.parties, claims: ['判令被告归还借款人民币45000元'] });
    expect((await push(app, corrected)).json()).toMatchObject({ duplicate: false, revision: 3 });
    expect(records.map((record) => intakeOf(record).revision)).toEqual([1, 2, 3]);
    expect(intakeOf(records[2]!).parties).toHaveLength(3);
  });

  it('answers the same referral with its keys reordered, or a late retry of revision 1, as a duplicate', async () => {
    const { app, records } = setup();
    const original = referral();
    await push(app, original);
    const reordered = Object.fromEntries(Object.entries(original).reverse());
    expect((await push(app, reordered)).json()).toEqual({
      disputeId,
      duplicate: true,
      revision: 1,
      caseNumber: canonical,
    });
    await push(app, referral({ mediationDeadline: '2024-09-10' }));
    // Revision 1 arriving again after the update does not take the court's new deadline back.
    expect((await push(app, original)).json()).toMatchObject({ duplicate: true, revision: 1 });
    expect(records).toHaveLength(2);
  });

  it('takes the first re-push of a referral accepted before updates were taken as revision 2, not as lost', async () => {
    const memory = memoryEngine();
    const idempotency = memoryIdempotency();
    // What the intake stored for a referral before: its dispute id, not a fingerprint.
    await idempotency.complete(referralKey(canonical, 1), disputeId, 60_000);
    const app = testApp({ bus: memory.bus, idempotency });
    const moved = await push(app, referral({ mediationDeadline: '2024-09-10' }));
    expect(moved.json()).toEqual({ disputeId, duplicate: false, revision: 2, caseNumber: canonical });
    expect(memory.records).toHaveLength(1);
  });

  it('answers 50 concurrent pushes of the same update with one revision 2', async () => {
    const { app, records } = setup();
    await push(app, referral());
    const update = referral({ mediationDeadline: '2024-09-12' });
    const responses = await Promise.all(Array.from({ length: 50 }, () => push(app, update)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(50).fill(202));
    expect(responses.map((response) => response.json().revision)).toEqual(Array(50).fill(2));
    expect(responses.filter((response) => !response.json().duplicate)).toHaveLength(1);
    expect(records.map((record) => intakeOf(record).revision)).toEqual([1, 2]);
  });
});

describe('POST /v1/referrals: signatures (401 naming the reason)', () => {
  const raw = JSON.stringify(referral());
  const valid = signedHeaders(raw);
  const without = (name: string) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== name));

  it.each([
    ['no client id', without('x-huijie-client'), 'x-huijie-client', /missing client id/],
    ['no timestamp', without('x-huijie-timestamp'), 'x-huijie-timestamp', /missing timestamp/],
    ['no signature', without('x-huijie-signature'), 'x-huijie-signature', /missing signature/],
    ['an unknown client', { ...valid, 'x-huijie-client': 'someone' }, 'x-huijie-client', /unknown client/],
    [
      'a signature with another secret',
      { ...valid, 'x-huijie-signature': sign('not-the-secret', String(nowSeconds), raw) },
      'x-huijie-signature',
      /does not match/,
    ],
    [
      'a signature that is not hex',
      { ...valid, 'x-huijie-signature': 'zz' },
      'x-huijie-signature',
      /does not match/,
    ],
    [
      'an expired timestamp (301 s old)',
      signedHeaders(raw, demoClient, nowSeconds - 301),
      'x-huijie-timestamp',
      /outside the ±300 s window/,
    ],
    [
      'a timestamp from the future (301 s ahead)',
      signedHeaders(raw, demoClient, nowSeconds + 301),
      'x-huijie-timestamp',
      /outside the ±300 s window/,
    ],
    [
      'a timestamp in milliseconds',
      { ...valid, 'x-huijie-timestamp': String(now.getTime()) },
      'x-huijie-timestamp',
      /unix seconds|window/,
    ],
    [
      'a timestamp that is not a number',
      { ...valid, 'x-huijie-timestamp': 'yesterday' },
      'x-huijie-timestamp',
      /unix seconds/,
    ],
  ])('rejects %s', async (_label, headers, field, reason) => {
    const { app, records } = setup();
    const response = await post(app, headers as Record<string, string>, raw);
    expect(response.statusCode).toBe(401);
    const { error } = response.json();
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(reason);
    expect(error.fields).toEqual([{ field, reason: error.message }]);
    expect(records).toHaveLength(0);
  });

  it('rejects a body changed after signing', async () => {
    const { app } = setup();
    const tampered = raw.replace('50000', '500000');
    const response = await post(app, valid, tampered);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.message).toMatch(/does not match the body/);
  });

  it('accepts a timestamp 300 s old, at the edge of the window', async () => {
    const { app } = setup();
    const response = await post(app, signedHeaders(raw, demoClient, nowSeconds - 300), raw);
    expect(response.statusCode).toBe(202);
  });

  it('checks the signature before anything else: a bad body from a stranger is a 401, not a 400', async () => {
    const { app } = setup();
    const response = await post(app, { ...signedHeaders('{}'), 'x-huijie-client': 'someone' }, '{}');
    expect(response.statusCode).toBe(401);
  });
});

describe('POST /v1/referrals: the court allow-list (403)', () => {
  it('refuses a court the client may not speak for, naming the court, and writes nothing', async () => {
    const { app, records } = setup();
    const response = await push(app, referral({ caseNumber: '(2024)闽0821民诉前调5号', court: undefined }));
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: {
        code: 'forbidden',
        message: 'client demo-court may not refer cases of court 闽0821',
        fields: [],
      },
    });
    expect(records).toHaveLength(0);
  });

  it('refuses before judging the rest of the referral', async () => {
    const { app } = setup();
    const response = await push(app, { caseNumber: '（2024）闽08民终1号', claims: [] });
    expect(response.statusCode).toBe(403);
  });

  it('lets each client speak for its own courts', async () => {
    const { app } = setup();
    const city = { id: 'city-court', secret: 'city-secret-0123' };
    expect(
      (await push(app, referral({ caseNumber: '（2024）闽08民终1号', court: undefined }), city)).statusCode,
    ).toBe(202);
    expect((await push(app, referral(), city)).statusCode).toBe(403);
    expect(
      (await push(app, referral({ caseNumber: '(2024)闽0802民初77号', court: undefined }))).statusCode,
    ).toBe(202);
  });
});

describe('POST /v1/referrals: bad requests (400 naming the field paths)', () => {
  it('names every failing field', async () => {
    const { app, records } = setup();
    const [applicant] = referral().parties;
    const response = await push(
      app,
      referral({
        caseNumber: '(2024)闽0803执1号',
        claims: [],
        amount: -5,
        parties: [applicant, { role: 'respondent', kind: 'person', name: '胡某', phone: 'none' }],
        mediationDeadline: 'soon',
      }),
    );
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('invalid_request');
    expect(error.fields.map((problem: { field: string }) => problem.field).sort()).toEqual([
      'amount',
      'caseNumber',
      'claims',
      'mediationDeadline',
      'parties.1.phone',
    ]);
    expect(error.fields.find((problem: { field: string }) => problem.field === 'caseNumber').reason).toMatch(
      /type code 执 is not referred/,
    );
    expect(records).toHaveLength(0);
  });

  it('answers a past referral date in another spelling with its format only, not "after today"', async () => {
    const { app, records } = setup();
    const response = await push(app, referral({ referralDate: '2024/08/20' }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toEqual([{ field: 'referralDate', reason: 'a date, YYYY-MM-DD' }]);
    expect(records).toHaveLength(0);
  });

  it('takes null as an absent field, as court systems often write one; a required field null is named', async () => {
    const { app, records } = setup();
    const [applicant, respondent] = referral().parties;
    const withNulls = {
      ...referral(),
      facts: null,
      amount: null,
      court: null,
      parties: [{ ...applicant, idNumber: null, phone: null }, respondent],
    };
    const response = await push(app, withNulls);
    expect(response.statusCode).toBe(202);
    expect(records).toHaveLength(1);

    const missing = await push(app, {
      ...referral(),
      caseNumber: null,
      causeOfAction: { code: null, name: null },
      referralDate: null,
      mediationDeadline: null,
    });
    expect(missing.statusCode).toBe(400);
    // Named as required, not as zod's "expected string, received undefined".
    expect(missing.json().error.fields).toEqual(
      ['caseNumber', 'causeOfAction.name', 'referralDate', 'mediationDeadline'].map((field) => ({
        field,
        reason: 'required (missing or null)',
      })),
    );
  });

  it('rejects a body that is not JSON, naming the body', async () => {
    const { app } = setup();
    const raw = '{"caseNumber": ';
    const response = await post(app, signedHeaders(raw), raw);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields[0].field).toBe('(body)');
  });

  it.each(['null', '[]', '"referral"', '42'])('rejects the body %s', async (raw) => {
    const { app } = setup();
    const response = await post(app, signedHeaders(raw), raw);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields.length).toBeGreaterThan(0);
  });

  it('rejects another content type with a 4xx', async () => {
    const { app } = setup();
    const raw = 'caseNumber=1';
    const response = await post(app, { ...signedHeaders(raw), 'content-type': 'text/plain' }, raw);
    expect(response.statusCode).toBe(415);
    expect(response.json().error).toMatchObject({
      code: 'unsupported_media_type',
      fields: [{ field: 'content-type' }],
    });
  });

  it('rejects a request without a body or content type as not JSON', async () => {
    const { app } = setup();
    const { 'content-type': _, ...headers } = signedHeaders('');
    const response = await app.inject({ method: 'POST', url: '/v1/referrals', headers });
    expect(response.statusCode).toBe(415);
  });

  it('rejects an empty JSON body, naming the body', async () => {
    const { app } = setup();
    const response = await post(app, signedHeaders(''), '');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields[0].field).toBe('(body)');
  });

  it('names text PostgreSQL cannot store (NUL, half a surrogate pair), and writes nothing', async () => {
    // Answered 202 before, then refused by every retry of the cases service: no case, ever.
    const { app, records } = setup();
    const response = await push(app, referral({ claims: ['偿还借款\u0000'], facts: '借款未还\ud800' }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toEqual([
      { field: 'claims.0', reason: 'must not contain the NUL character (\\u0000)' },
      { field: 'facts', reason: expect.stringContaining('half of a surrogate pair') },
    ]);
    expect(records).toHaveLength(0);
  });
});

describe('POST /v1/referrals: durability and limits', () => {
  it('answers 503 with Retry-After when the event log is down, and accepts the retry once it is back', async () => {
    const { app, records, state } = setup();
    state.down = true;
    const refused = await push(app, referral());
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json().error).toEqual({
      code: 'unavailable',
      message: 'the event log is unavailable; retry later',
      fields: [],
    });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    state.down = false;
    const retried = await push(app, referral());
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toEqual({ disputeId, duplicate: false, revision: 1, caseNumber: canonical });
    expect(records).toHaveLength(1);
  });

  it('answers 503 when the idempotency store is down, never a 202', async () => {
    const memory = memoryEngine();
    const broken: IdempotencyStore = {
      claim: () => Promise.reject(new Error('redis down')),
      complete: () => Promise.reject(new Error('redis down')),
      release: () => Promise.reject(new Error('redis down')),
    };
    const app = testApp({ bus: memory.bus, idempotency: broken });
    const response = await push(app, referral());
    expect(response.statusCode).toBe(503);
    expect(memory.records).toHaveLength(0);
  });

  it('limits each client separately, with 429 and Retry-After', async () => {
    const { app } = setup(testConfig({ rateLimitPerMinute: 2 }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await push(app, referral())).statusCode);
    const limited = await push(app, referral());
    expect(statuses).toEqual([202, 202, 429]);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.json().error.code).toBe('rate_limited');
    const city = { id: 'city-court', secret: 'city-secret-0123' };
    expect(
      (await push(app, referral({ caseNumber: '（2024）闽08民初3号', court: undefined }), city)).statusCode,
    ).toBe(202);
  });

  it('answers 503 when the rate-limit store is down', async () => {
    const memory = memoryEngine();
    const app = testApp({
      bus: memory.bus,
      rateLimiter: { hit: () => Promise.reject(new Error('redis down')) },
    });
    expect((await push(app, referral())).statusCode).toBe(503);
  });

  it('does not count requests of strangers against a client', async () => {
    const { app } = setup(testConfig({ rateLimitPerMinute: 1 }));
    const raw = JSON.stringify(referral());
    for (let i = 0; i < 3; i++) {
      await post(app, { ...signedHeaders(raw), 'x-huijie-signature': '0'.repeat(64) }, raw);
    }
    expect((await push(app, referral())).statusCode).toBe(202);
  });

  it('counts accepted and repeated referrals in /metrics', async () => {
    const { app } = setup();
    await push(app, referral());
    await push(app, referral());
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /huijie_court_referrals_total\{court="fj0803",result="accepted",service="[^"]+"\} 1/,
    );
    expect(metrics).toMatch(
      /huijie_court_referrals_total\{court="fj0803",result="duplicate",service="[^"]+"\} 1/,
    );
  });
});

describe('logs', () => {
  it('never carry names, phone numbers, ID numbers, addresses or the content, whatever the request', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const memory = memoryEngine();
    // No redaction here: what the service chooses to log must already be free of personal data.
    const app = testApp({
      bus: memory.bus,
      logger: pino({ level: 'trace' }, sink),
      rateLimiter: memoryRateLimiter(),
    });
    await push(app, referral());
    await push(app, referral());
    await push(app, referral({ claims: [] }));
    memory.state.down = true;
    await push(app, referral({ caseNumber: '(2024)闽0803民诉前调124号' }));
    const log = lines.join('');
    expect(log).toContain('referral accepted');
    expect(log).toContain('referral not written');
    for (const secret of [
      '杨某',
      '胡某',
      '13800000001',
      '35082219800101001',
      '下洋镇',
      '凤城街道',
      '借款',
      '50000元',
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});
