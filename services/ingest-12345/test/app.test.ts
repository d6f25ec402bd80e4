import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor, intakeEventId } from '@huijie/contracts/ids.ts';
import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createMetrics, type Metrics } from '@huijie/service-kit/metrics.ts';
import { sign } from '@huijie/service-kit/signing.ts';
import { describe, expect, it } from 'vitest';
import {
  fullOrder,
  guo,
  hotlineA,
  hotlineB,
  logCapture,
  push,
  pushBatch,
  setup,
  signedHeaders,
  testSettings,
} from './fixtures.ts';

const guoId = disputeIdFor('hotline_12345', guo.orderNo);

describe('POST /v1/work-orders', () => {
  it('answers 202 with the dispute id once the normalised event is written', async () => {
    const { app, written, events } = setup();
    const response = await push(app, guo);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ disputeId: guoId, duplicate: false, revision: 1 });
    expect(written).toHaveLength(1);
    expect(written[0]!.key).toBe(guoId);
    expect(written[0]!.topic).toBe('dispute.intake.v1');
    expect(written[0]!.headers.ce_type).toBe('cn.huijie.dispute.intake.v1');
    expect(written[0]!.headers.ce_id).toBe(intakeEventId(guoId, 1));
    expect(events()[0]).toMatchObject({
      disputeId: guoId,
      channel: 'hotline_12345',
      sourceRef: 'GD20240824001',
      sourceClient: 'hotline-a',
      revision: 1,
      parties: [{ role: 'caller', name: '郭某', phone: '13800000000' }],
      sourceCategory: { scheme: '12345', code: '0301', name: '劳动保障-欠薪' },
    });
  });

  it('takes a full work order, with the confidential caller flagged for routing', async () => {
    const { app, events } = setup();
    expect((await push(app, fullOrder)).statusCode).toBe(202);
    const [event] = events();
    expect(DisputeReceivedV1.parse(event)).toMatchObject({
      hotline: { intakeChannel: 'phone', requestType: 'help', urgency: 'urgent' },
      dueAt: '2024-06-08T18:00:00+08:00',
      parties: [{ role: 'caller', name: '杨某', confidential: true }],
      sourceCategory: { code: '110302', name: '政法-司法-涉法涉诉' },
    });
  });
});

describe('the same order again', () => {
  it('a repeated push returns the same dispute id and writes nothing more', async () => {
    const { app, written } = setup();
    await push(app, guo);
    const again = await push(app, guo);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ disputeId: guoId, duplicate: true, revision: 1 });
    expect(written).toHaveLength(1);
  });

  it('is a duplicate whatever the JSON looks like, and whichever client pushes it', async () => {
    const { app, written } = setup();
    await push(app, guo);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(guo).reverse()), null, 2);
    expect((await push(app, reordered)).json()).toMatchObject({ duplicate: true });
    expect((await push(app, { ...guo, receivedAt: '2024-08-24T01:30:00Z' })).json()).toMatchObject({
      duplicate: true,
    });
    expect((await push(app, guo, { client: hotlineB })).json()).toEqual({
      disputeId: guoId,
      duplicate: true,
      revision: 1,
    });
    expect(written).toHaveLength(1);
  });

  it('is a duplicate when one push gives its times without an offset (China time) and the other with +08:00', async () => {
    const { app, written, events } = setup();
    const withOffset = {
      ...guo,
      dueAt: '2024-08-31T18:00:00+08:00',
      reminder: { count: 1, lastAt: '2024-08-27T10:00:00+08:00' },
    };
    const asLocalDateTime = {
      ...guo,
      receivedAt: '2024-08-24T09:30:00',
      dueAt: '2024-08-31T18:00:00',
      reminder: { count: 1, lastAt: '2024-08-27T10:00:00' },
    };
    const first = await push(app, asLocalDateTime);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ disputeId: guoId, duplicate: false, revision: 1 });
    expect((await push(app, withOffset)).json()).toEqual({ disputeId: guoId, duplicate: true, revision: 1 });
    expect(written).toHaveLength(1);
    expect(events()[0]).toMatchObject({
      receivedAt: '2024-08-24T09:30:00+08:00',
      dueAt: '2024-08-31T18:00:00+08:00',
      hotline: { reminder: { count: 1, lastAt: '2024-08-27T10:00:00+08:00' } },
    });
  });

  it('a genuine update (new content) is revision 2 of the same dispute; its retry is a duplicate', async () => {
    const { app, events } = setup();
    await push(app, guo);
    const update = { ...guo, content: `${guo.content}补充：老板姓包，电话打不通。` };
    const updated = await push(app, update);
    expect(updated.statusCode).toBe(202);
    expect(updated.json()).toEqual({ disputeId: guoId, duplicate: false, revision: 2 });
    expect((await push(app, update)).json()).toEqual({ disputeId: guoId, duplicate: true, revision: 2 });
    // A late retry of the first push does not undo the update or make a third revision.
    expect((await push(app, guo)).json()).toEqual({ disputeId: guoId, duplicate: true, revision: 1 });
    expect(events().map((event) => [event.disputeId, event.revision, event.content])).toEqual([
      [guoId, 1, guo.content],
      [guoId, 2, update.content],
    ]);
  });

  it('a reminder (催办) is an update, and each further reminder another one', async () => {
    const { app, written, events } = setup();
    await push(app, guo);
    const first = await push(app, { ...guo, reminder: { count: 1, lastAt: '2024-08-26T09:00:00+08:00' } });
    const second = await push(app, { ...guo, reminder: { count: 2, lastAt: '2024-08-28T09:00:00+08:00' } });
    expect([first.json().revision, second.json().revision]).toEqual([2, 3]);
    expect(events()[2]).toMatchObject({ revision: 3, hotline: { reminder: { count: 2 } } });
    expect(written.map((record) => record.headers.ce_id)).toEqual([
      intakeEventId(guoId, 1),
      intakeEventId(guoId, 2),
      intakeEventId(guoId, 3),
    ]);
  });

  it('100 concurrent pushes of one order make one event and one "duplicate: false"', async () => {
    const { app, written } = setup(testSettings(), {}, { writeMs: 30 });
    const responses = await Promise.all(Array.from({ length: 100 }, () => push(app, guo)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(100).fill(202));
    expect(responses.filter((response) => response.json().duplicate === false)).toHaveLength(1);
    expect(written).toHaveLength(1);
  });
});

describe('durability: never a 202 that was not written', () => {
  it('says 503 with Retry-After when the event cannot be written, and a retry later succeeds', async () => {
    const { app, written, state } = setup();
    state.down = true;
    const refused = await push(app, guo);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json().error.code).toBe('unavailable');
    state.down = false;
    const retried = await push(app, guo);
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ duplicate: false, revision: 1 });
    expect(written).toHaveLength(1);
  });

  it('an update that cannot be written is 503, and its retry is still revision 2', async () => {
    const { app, state, events } = setup();
    await push(app, guo);
    state.down = true;
    const update = { ...guo, content: '又一次反映：还没拿到工资。' };
    expect((await push(app, update)).statusCode).toBe(503);
    state.down = false;
    expect((await push(app, update)).json()).toMatchObject({ duplicate: false, revision: 2 });
    expect(events().map((event) => event.revision)).toEqual([1, 2]);
  });

  it('says 503 when the idempotency store is down (it cannot tell a duplicate)', async () => {
    const idempotency = memoryIdempotency();
    const { app, written } = setup(testSettings(), {
      idempotency: { ...idempotency, claim: () => Promise.reject(new Error('redis down')) },
    });
    const response = await push(app, guo);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(written).toHaveLength(0);
  });

  it('says 503 when the event was written but could not be remembered; the retry writes the same event id', async () => {
    const idempotency = memoryIdempotency();
    let failComplete = true;
    const { app, written } = setup(testSettings(), {
      idempotency: {
        ...idempotency,
        complete: (...args) =>
          failComplete ? Promise.reject(new Error('redis down')) : idempotency.complete(...args),
      },
    });
    expect((await push(app, guo)).statusCode).toBe(503);
    failComplete = false;
    expect((await push(app, guo)).statusCode).toBe(202);
    expect(new Set(written.map((record) => record.headers.ce_id))).toEqual(
      new Set([intakeEventId(guoId, 1)]),
    );
  });

  it('says 503 with a short Retry-After while another request is still writing the same order', async () => {
    const { app } = setup(testSettings(), { concurrentWaitMs: 20 }, { writeMs: 300 });
    const [first, second] = await Promise.all([
      push(app, guo),
      new Promise((resolve) => setTimeout(resolve, 10)).then(() => push(app, guo)),
    ]);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
  });
});

describe('signing', () => {
  it.each([
    ['no signature', { 'x-huijie-signature': '' }, 'x-huijie-signature', 'missing signature'],
    [
      'a wrong signature',
      { 'x-huijie-signature': 'ab'.repeat(32) },
      'x-huijie-signature',
      'signature does not match the body',
    ],
    ['no client', { 'x-huijie-client': '' }, 'x-huijie-client', 'missing client id'],
    ['an unknown client', { 'x-huijie-client': 'hotline-x' }, 'x-huijie-client', 'unknown client'],
    [
      'an old timestamp',
      { 'x-huijie-timestamp': String(Math.floor(Date.now() / 1000) - 301) },
      'x-huijie-timestamp',
      'timestamp outside the ±300 s window',
    ],
  ])('rejects %s with 401 and the reason', async (_label, headers, field, reason) => {
    const { app, written } = setup();
    const response = await push(app, guo, { headers });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.fields).toEqual([{ field, reason }]);
    expect(written).toHaveLength(0);
  });

  it('rejects a body changed after signing, and a body signed with another client’s secret', async () => {
    const { app } = setup();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'x-huijie-client': hotlineA.id,
      'x-huijie-timestamp': timestamp,
    };
    const tampered = await app.inject({
      method: 'POST',
      url: '/v1/work-orders',
      headers: { ...headers, 'x-huijie-signature': sign(hotlineA.secret, timestamp, JSON.stringify(guo)) },
      payload: JSON.stringify({ ...guo, content: '改过的内容' }),
    });
    expect(tampered.statusCode).toBe(401);
    const borrowed = await app.inject({
      method: 'POST',
      url: '/v1/work-orders',
      headers: { ...headers, 'x-huijie-signature': sign(hotlineB.secret, timestamp, JSON.stringify(guo)) },
      payload: JSON.stringify(guo),
    });
    expect(borrowed.statusCode).toBe(401);
  });

  it('refuses an unknown client before reading a large body', async () => {
    const { app } = setup();
    const response = await push(
      app,
      { ...guo, content: '欠'.repeat(1_000_000) },
      {
        headers: { 'x-huijie-client': 'hotline-x' },
      },
    );
    // 401, not 413: the body was never read.
    expect(response.statusCode).toBe(401);
  });
});

describe('rate limits per client', () => {
  it('answers 429 with Retry-After past the limit, counting each client on its own', async () => {
    const { app } = setup(testSettings({ rateLimitPerMinute: 2 }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await push(app, guo)).statusCode);
    expect(statuses).toEqual([202, 202, 429]);
    const limited = await push(app, guo);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await push(app, guo, { client: hotlineB })).statusCode).toBe(202);
  });

  it('takes a per-client exception over the default', async () => {
    const { app } = setup(testSettings({ rateLimitPerMinute: 1, rateLimits: new Map([[hotlineB.id, 3]]) }));
    const a = [await push(app, guo), await push(app, guo)].map((response) => response.statusCode);
    const b = [];
    for (let i = 0; i < 4; i++) b.push((await push(app, guo, { client: hotlineB })).statusCode);
    expect(a).toEqual([202, 429]);
    expect(b).toEqual([202, 202, 202, 429]);
  });

  it('does not count requests that fail the signature against the client', async () => {
    const { app } = setup(testSettings({ rateLimitPerMinute: 1 }));
    for (let i = 0; i < 5; i++) await push(app, guo, { headers: { 'x-huijie-signature': 'ab'.repeat(32) } });
    expect((await push(app, guo)).statusCode).toBe(202);
  });

  it('answers 503 when the rate-limit store is down', async () => {
    const { app, written } = setup(testSettings(), {
      rateLimiter: { hit: () => Promise.reject(new Error('redis down')) },
    });
    const response = await push(app, guo);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(written).toHaveLength(0);
  });

  it('works without a limiter given (standalone wiring of the first version): per process', async () => {
    const { app } = setup(testSettings({ rateLimitPerMinute: 1 }), { rateLimiter: undefined });
    expect([(await push(app, guo)).statusCode, (await push(app, guo)).statusCode]).toEqual([202, 429]);
  });
});

describe('bad requests', () => {
  it('names every field that is wrong', async () => {
    const { app, written } = setup();
    const response = await push(app, { ...guo, orderNo: 'GD 1', caller: { phone: 'call me' }, location: {} });
    expect(response.statusCode).toBe(400);
    const fields = response.json().error.fields.map((problem: { field: string }) => problem.field);
    expect(fields).toEqual(expect.arrayContaining(['orderNo', 'caller.phone', 'location']));
    expect(written).toHaveLength(0);
  });

  it('takes null as an absent field, as Java and .NET hotline systems write one; a required field null is named', async () => {
    const { app, events } = setup();
    const withNulls = {
      ...guo,
      title: null,
      dueAt: null,
      reminder: null,
      category: { ...guo.category, levels: null },
      location: { ...guo.location, divisionCode: null },
    };
    const response = await push(app, withNulls);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ disputeId: guoId, duplicate: false, revision: 1 });
    // The same order as without them: not an update.
    expect((await push(app, guo)).json()).toMatchObject({ duplicate: true, revision: 1 });
    expect(events()).toHaveLength(1);

    const missing = await push(app, { ...guo, orderNo: 'GD-NULL-1', content: null, attachments: [null] });
    expect(missing.statusCode).toBe(400);
    const fields = missing.json().error.fields.map((problem: { field: string }) => problem.field);
    expect(fields).toEqual(['content', 'attachments.0']);
  });

  it('names every required field that is missing or null as required, not as a type error', async () => {
    const { app, written } = setup();
    const required = 'required (missing or null)';
    const empty = await push(app, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.fields).toEqual(
      ['orderNo', 'receivedAt', 'content', 'caller', 'location'].map((field) => ({
        field,
        reason: required,
      })),
    );
    const nulls = await push(app, {
      ...guo,
      orderNo: null,
      receivedAt: null,
      content: null,
      category: { levels: [{ code: '03', name: null }] },
      reminder: { count: null },
      attachments: [{ url: null }],
    });
    expect(nulls.statusCode).toBe(400);
    expect(nulls.json().error.fields).toEqual(
      [
        'orderNo',
        'receivedAt',
        'category.levels.0.name',
        'content',
        'reminder.count',
        'attachments.0.url',
      ].map((field) => ({ field, reason: required })),
    );
    expect(written).toHaveLength(0);
  });

  it('refuses a 受理时间 more than 10 minutes ahead of our clock, naming it; a few minutes of skew are taken', async () => {
    const { app, written } = setup();
    const inFourYears = new Date(Date.now() + 4 * 365 * 24 * 3600_000).toISOString();
    const future = await push(app, { ...guo, receivedAt: inFourYears });
    expect(future.statusCode).toBe(400);
    expect(future.json().error.fields).toEqual([
      {
        field: 'receivedAt',
        reason: expect.stringMatching(
          /^is in the future \(it is .+\+08:00 in China; at most 10 minutes ahead/,
        ),
      },
    ]);
    expect(written).toHaveLength(0);
    const skewed = await push(app, { ...guo, receivedAt: new Date(Date.now() + 5 * 60_000).toISOString() });
    expect(skewed.statusCode).toBe(202);
  });

  it('refuses text PostgreSQL cannot store and .NET\'s "no date" (0001-01-01), naming each field; a batch answers them item by item', async () => {
    // Each was answered 202, then refused by every retry of the cases service: no case, ever.
    const { app, written } = setup();
    const refused = await push(app, {
      ...guo,
      content: `${guo.content}\u0000`,
      caller: { ...guo.caller, name: '郭\ud83d' },
      receivedAt: '0001-01-01T00:00:00+08:00',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.fields).toEqual([
      { field: 'receivedAt', reason: 'must be 1900-01-01 (China time) or later' },
      { field: 'content', reason: 'must not contain the NUL character (\\u0000)' },
      { field: 'caller.name', reason: expect.stringContaining('half of a surrogate pair') },
    ]);
    expect(written).toHaveLength(0);
    const batch = await pushBatch(app, [{ ...guo, orderNo: 'GD-NUL', content: '欠薪\u0000' }, guo]);
    expect(batch.json().results.map((result: { status: number }) => result.status)).toEqual([400, 202]);
    expect(written).toHaveLength(1);
  });

  it("words a wrong type or size plainly, not in zod's words", async () => {
    const { app } = setup();
    const response = await push(app, {
      ...guo,
      orderNo: 20240824001,
      content: '欠'.repeat(20_001),
      hotline: { reminder: { count: 0 } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toEqual(
      expect.arrayContaining([
        { field: 'orderNo', reason: 'must be a string (not a number)' },
        { field: 'content', reason: 'at most 20000 characters' },
      ]),
    );
    expect(JSON.stringify(response.json())).not.toMatch(/Invalid input|Too big|Too small/);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const { app } = setup();
    const response = await push(app, '{"orderNo":');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
    expect(response.json().error.fields).toEqual([
      { field: '(body)', reason: expect.stringMatching(/^not valid JSON/) },
    ]);
  });

  // Java and .NET systems of Chinese hotlines may write GBK: read as UTF-8, its characters would
  // become U+FFFD and overwrite a case's words with garbage.
  const gbkOrder = () => {
    const [before, after] = JSON.stringify({ ...guo, content: '\u0000' }).split('\\u0000') as [
      string,
      string,
    ];
    // 拖欠工资 in GBK.
    return Buffer.concat([
      Buffer.from(before),
      Buffer.from([0xcd, 0xcf, 0xc7, 0xb7, 0xb9, 0xa4, 0xd7, 0xca]),
      Buffer.from(after),
    ]);
  };

  it('refuses a body in another charset than UTF-8 with 415 naming content-type, and writes nothing', async () => {
    const { app, written } = setup();
    const response = await push(app, gbkOrder(), {
      headers: { 'content-type': 'application/json; charset=GBK' },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error).toMatchObject({
      code: 'unsupported_media_type',
      fields: [
        { field: 'content-type', reason: 'charset GBK: the body must be UTF-8 (charset=utf-8, or none)' },
      ],
    });
    expect(written).toHaveLength(0);
  });

  it('refuses bytes that are not UTF-8 with 400 naming the body, and writes nothing', async () => {
    const { app, written } = setup();
    const response = await push(app, gbkOrder());
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'invalid_request',
      fields: [{ field: '(body)', reason: expect.stringMatching(/^not valid UTF-8/) }],
    });
    expect(written).toHaveLength(0);
  });

  it('takes UTF-8 with a byte-order mark, as some Windows systems write it, and with charset=utf-8', async () => {
    const { app, written } = setup();
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(guo))]);
    expect((await push(app, bom)).statusCode).toBe(202);
    const other = { ...guo, orderNo: `${guo.orderNo}-2` };
    const declared = await push(app, other, {
      headers: { 'content-type': 'application/json; charset=UTF-8' },
    });
    expect(declared.statusCode).toBe(202);
    expect(written).toHaveLength(2);
  });

  it('answers a body that is not JSON with 415 unsupported_media_type naming content-type, as its README says', async () => {
    const { app } = setup();
    const raw = 'orderNo=GD1';
    const response = await push(app, raw, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error).toMatchObject({
      code: 'unsupported_media_type',
      fields: [{ field: 'content-type', reason: 'must be application/json' }],
    });
  });

  it('answers a body over 1 MiB with 413 body_too_large naming the body and the limit', async () => {
    const { app } = setup();
    const response = await push(app, { ...guo, content: 'x'.repeat(1024 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({
      code: 'body_too_large',
      fields: [{ field: '(body)', reason: 'larger than the 1 MiB this endpoint reads' }],
    });
  });
});

describe('logs', () => {
  it('carry ids and outcomes, never names, phones or content', async () => {
    const capture = logCapture();
    const { app, state } = setup(testSettings(), { logger: capture.logger });
    await push(app, fullOrder);
    await push(app, { ...fullOrder, content: '更新的内容：仍未赔偿。' });
    await push(app, { ...fullOrder, caller: { phone: 'bad' } });
    state.down = true;
    await push(app, { ...guo, orderNo: 'GD-DOWN' });
    const text = capture.text();
    expect(text).toContain(fullOrder.orderNo);
    expect(text).toContain('work order accepted');
    expect(text).toContain('work orders not written');
    for (const secret of [
      '杨某',
      '13900000001',
      '胡某',
      '郭某',
      '13800000000',
      '下洋镇',
      '江山镇',
      '更新的内容',
    ])
      expect(text).not.toContain(secret);
  });
});

describe('refused pushes', () => {
  const refusals = (text: string) =>
    text
      .split('\n')
      .filter((line) => line.includes('"request refused"'))
      .map((line) => JSON.parse(line));

  it('a 400 and a 401 are one info line each, naming the fields, with no value of the body', async () => {
    const capture = logCapture();
    const { app } = setup(testSettings(), { logger: capture.logger });
    const invalid = await push(app, {
      ...fullOrder,
      orderNo: 'GD 1',
      caller: { name: '杨某', phone: 'call 13900000001' },
    });
    expect(invalid.statusCode).toBe(400);
    // Signed with another secret (the wrong secret of a hotline being onboarded).
    const raw = JSON.stringify(fullOrder);
    const forged = await app.inject({
      method: 'POST',
      url: '/v1/work-orders?trace=13900000002',
      headers: signedHeaders(raw, { id: hotlineA.id, secret: 'not-the-secret-of-a' }),
      payload: raw,
    });
    expect(forged.statusCode).toBe(401);
    expect(refusals(capture.text())).toEqual([
      expect.objectContaining({
        level: 30,
        method: 'POST',
        route: '/v1/work-orders',
        status: 400,
        code: 'invalid_request',
        fields: ['orderNo', 'caller.phone'],
      }),
      expect.objectContaining({
        level: 30,
        method: 'POST',
        route: '/v1/work-orders',
        status: 401,
        code: 'unauthorized',
        fields: ['x-huijie-signature'],
      }),
    ]);
    for (const value of [
      '杨某',
      '13900000001',
      '13900000002',
      'call ',
      'GD 1',
      '胡某',
      '下洋镇',
      'not-the-secret',
    ])
      expect(capture.text()).not.toContain(value);
  });

  it('each counts as rejected, whatever refused it; a batch refused whole counts once', async () => {
    const metrics: Metrics = createMetrics('ingest-12345-test');
    const { app } = setup(testSettings(), { metrics });
    const tally = async () => {
      const counter = await metrics.registry.getSingleMetric('huijie_hotline_work_orders_total')!.get();
      return Object.fromEntries(counter.values.map(({ labels, value }) => [labels.result, value]));
    };
    const raw = JSON.stringify(guo);
    const statuses = [
      (await push(app, guo)).statusCode,
      (await push(app, { ...guo, location: {} })).statusCode,
      (await push(app, guo, { headers: { 'x-huijie-signature': 'ab'.repeat(32) } })).statusCode,
      (await push(app, guo, { client: { id: 'hotline-x', secret: 'whatever-secret' } })).statusCode,
      (await push(app, '{"orderNo":')).statusCode,
      (await push(app, 'orderNo=GD1', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }))
        .statusCode,
      (
        await app.inject({
          method: 'POST',
          url: '/v1/work-orders',
          headers: { ...signedHeaders(raw), 'x-huijie-timestamp': '1' },
          payload: raw,
        })
      ).statusCode,
      (await push(app, { orders: 'none' }, { url: '/v1/work-orders/batch' })).statusCode,
      (
        await pushBatch(app, [
          { ...guo, orderNo: 'GD-B1' },
          { ...guo, orderNo: 'GD-B2', content: '' },
        ])
      ).statusCode,
    ];
    expect(statuses).toEqual([202, 400, 401, 401, 400, 415, 401, 400, 200]);
    expect(await tally()).toEqual({ accepted: 2, rejected: 8 });
  });

  it('counts a push over the rate limit as rejected, and one the store cannot take as unavailable', async () => {
    const metrics: Metrics = createMetrics('ingest-12345-test');
    const { app, state } = setup(testSettings({ rateLimitPerMinute: 2 }), { metrics });
    const statuses = [(await push(app, guo)).statusCode];
    state.down = true;
    statuses.push((await push(app, { ...guo, orderNo: 'GD-DOWN' })).statusCode);
    statuses.push((await push(app, guo)).statusCode);
    expect(statuses).toEqual([202, 503, 429]);
    const counter = await metrics.registry.getSingleMetric('huijie_hotline_work_orders_total')!.get();
    expect(Object.fromEntries(counter.values.map(({ labels, value }) => [labels.result, value]))).toEqual({
      accepted: 1,
      unavailable: 1,
      rejected: 1,
    });
  });
});
