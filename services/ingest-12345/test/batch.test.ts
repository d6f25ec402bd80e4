import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { describe, expect, it } from 'vitest';
import { fullOrder, guo, hotlineB, push, pushBatch, setup, testSettings } from './fixtures.ts';

const order = (n: number, change: Record<string, unknown> = {}) => ({
  ...guo,
  orderNo: `GD-B-${n}`,
  content: `第${n}号工单：老板拖欠工资。`,
  ...change,
});
const idOf = (orderNo: string) => disputeIdFor('hotline_12345', orderNo);

describe('POST /v1/work-orders/batch', () => {
  it('answers each order on its own: a bad one does not reject the others', async () => {
    const { app, events } = setup();
    const response = await pushBatch(app, [
      order(1),
      order(2, { caller: { phone: 'no' } }),
      'not an order',
      order(3),
    ]);
    expect(response.statusCode).toBe(200);
    const { results, summary } = response.json();
    expect(results).toEqual([
      { index: 0, orderNo: 'GD-B-1', status: 202, disputeId: idOf('GD-B-1'), duplicate: false, revision: 1 },
      {
        index: 1,
        orderNo: 'GD-B-2',
        status: 400,
        error: {
          code: 'invalid_request',
          message: 'the order is not valid',
          fields: [{ field: 'caller.phone', reason: 'a phone number' }],
        },
      },
      { index: 2, orderNo: null, status: 400, error: expect.objectContaining({ code: 'invalid_request' }) },
      { index: 3, orderNo: 'GD-B-3', status: 202, disputeId: idOf('GD-B-3'), duplicate: false, revision: 1 },
    ]);
    expect(summary).toEqual({ accepted: 2, duplicates: 0, rejected: 2, unavailable: 0 });
    expect(events().map((event) => event.sourceRef)).toEqual(['GD-B-1', 'GD-B-3']);
  });

  it('names a required field that is null in an item as required, as a single push does', async () => {
    const { app, events } = setup();
    const response = await pushBatch(app, [order(1, { orderNo: null }), order(2)]);
    expect(response.json().results[0]).toEqual({
      index: 0,
      orderNo: null,
      status: 400,
      error: {
        code: 'invalid_request',
        message: 'the order is not valid',
        fields: [{ field: 'orderNo', reason: 'required (missing or null)' }],
      },
    });
    expect(events().map((event) => event.sourceRef)).toEqual(['GD-B-2']);
  });

  it('writes the events of all good orders in one broker round trip', async () => {
    const { app, state, written } = setup();
    const orders = Array.from({ length: 500 }, (_, n) => order(n));
    const response = await pushBatch(app, orders);
    expect(response.json().summary).toEqual({ accepted: 500, duplicates: 0, rejected: 0, unavailable: 0 });
    expect(state.produceCalls).toBe(1);
    expect(written).toHaveLength(500);
  });

  it('knows duplicates and updates, also of orders pushed singly, and within the batch itself', async () => {
    const { app, events, state } = setup();
    await push(app, order(1));
    const update = order(1, { reminder: { count: 1 } });
    state.produceCalls = 0;
    const response = await pushBatch(app, [
      order(1),
      update,
      order(2),
      order(2),
      order(3),
      order(3, { content: '改' }),
    ]);
    expect(
      response
        .json()
        .results.map((result: { orderNo: string; duplicate: boolean; revision: number }) => [
          result.orderNo,
          result.duplicate,
          result.revision,
        ]),
    ).toEqual([
      ['GD-B-1', true, 1],
      ['GD-B-1', false, 2],
      ['GD-B-2', false, 1],
      ['GD-B-2', true, 1],
      ['GD-B-3', false, 1],
      ['GD-B-3', false, 2],
    ]);
    expect(response.json().summary).toEqual({ accepted: 4, duplicates: 2, rejected: 0, unavailable: 0 });
    // Orders that repeat a number in one batch are taken one after the other: a second round trip.
    expect(state.produceCalls).toBe(2);
    expect(events().map((event) => [event.sourceRef, event.revision])).toEqual([
      ['GD-B-1', 1],
      ['GD-B-2', 1],
      ['GD-B-3', 1],
      ['GD-B-1', 2],
      ['GD-B-3', 2],
    ]);
  });

  it('answers 503 per item, with Retry-After, when the broker is down — and the retry is accepted', async () => {
    const { app, state, written } = setup();
    await push(app, order(1));
    state.down = true;
    const refused = await pushBatch(app, [order(1), order(2), order(3, { location: {} })]);
    expect(refused.statusCode).toBe(200);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json().results.map((result: { status: number }) => result.status)).toEqual([
      202, 503, 400,
    ]);
    expect(refused.json().results[1].error.code).toBe('unavailable');
    expect(refused.json().summary).toEqual({ accepted: 0, duplicates: 1, rejected: 1, unavailable: 1 });
    state.down = false;
    const retried = await pushBatch(app, [order(2)]);
    expect(retried.headers['retry-after']).toBeUndefined();
    expect(retried.json().results[0]).toMatchObject({ status: 202, duplicate: false, revision: 1 });
    expect(written.map((record) => record.key)).toEqual([idOf('GD-B-1'), idOf('GD-B-2')]);
  });

  it('is one request for the rate limit, whatever its size', async () => {
    const { app } = setup(testSettings({ rateLimitPerMinute: 2 }));
    const sizes = [300, 200, 1];
    const statuses = [];
    for (const [start, size] of sizes.entries())
      statuses.push(
        (
          await pushBatch(
            app,
            Array.from({ length: size }, (_, n) => order(1000 * start + n)),
          )
        ).statusCode,
      );
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('takes a full order, and can be pushed by any client', async () => {
    const { app } = setup();
    const response = await pushBatch(app, [fullOrder], hotlineB);
    expect(response.json().results[0]).toMatchObject({ status: 202, orderNo: fullOrder.orderNo });
  });

  it.each([
    ['a bare array', [guo], '(body)'],
    ['no orders', { orders: [] }, 'orders'],
    ['orders that are not a list', { orders: guo }, 'orders'],
    ['501 orders', { orders: Array.from({ length: 501 }, (_, n) => order(n)) }, 'orders'],
  ])('rejects %s as a whole with 400', async (_label, body, field) => {
    const { app, written } = setup();
    const response = await push(app, body, { url: '/v1/work-orders/batch' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields.map((problem: { field: string }) => problem.field)).toEqual([field]);
    expect(written).toHaveLength(0);
  });

  it('reads a batch over 1 MiB (up to 16 MiB), and refuses more with 413', async () => {
    const { app } = setup();
    const long = '欠薪'.repeat(9_000);
    const big = await pushBatch(
      app,
      Array.from({ length: 40 }, (_, n) => order(n, { content: long })),
    );
    expect(big.statusCode).toBe(200);
    expect(big.json().summary.accepted).toBe(40);
    const huge = await pushBatch(
      app,
      Array.from({ length: 320 }, (_, n) => order(n, { content: long })),
    );
    expect(huge.statusCode).toBe(413);
  });

  it('checks the signature of the batch as a whole', async () => {
    const { app, written } = setup();
    const response = await push(
      app,
      { orders: [guo] },
      {
        url: '/v1/work-orders/batch',
        headers: { 'x-huijie-signature': 'ab'.repeat(32) },
      },
    );
    expect(response.statusCode).toBe(401);
    expect(written).toHaveLength(0);
  });
});
