import { createEventBus } from '@huijie/event-bus/bus.ts';
import type { Engine, RawRecord } from '@huijie/event-bus/engine.ts';
import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { sign } from '@huijie/service-kit/signing.ts';
import { describe, expect, it } from 'vitest';
import { buildIngest12345App } from './app.ts';

/** An engine that keeps what is produced in memory and can be told to fail: the HTTP edge's logic only. */
function memoryEngine() {
  const written: RawRecord[] = [];
  let failing = false;
  const engine: Engine = {
    name: 'embedded',
    produce: async (records) => {
      if (failing) throw new Error('broker unreachable');
      written.push(...records);
    },
    consume: async () => ({ stop: async () => {} }),
    ensureTopics: async () => {},
    committedOffsets: async () => new Map(),
    ping: async () => {},
    close: async () => {},
  };
  return { engine, written, fail: (value: boolean) => (failing = value) };
}

function setup() {
  const memory = memoryEngine();
  const app = buildIngest12345App(
    { clients: new Map([['hotline-a', 'secret-of-hotline-a']]) },
    {
      bus: createEventBus(memory.engine, { source: '/test' }),
      idempotency: memoryIdempotency(),
      logger: createLogger({ service: 'test', level: 'silent' }),
      metrics: createMetrics('test'),
    },
  );
  return { app, ...memory };
}

const order = {
  orderNo: 'GD20240824001',
  receivedAt: '2024-08-24T09:30:00+08:00',
  content: '老板拖欠工资3800元',
  caller: { name: '郭某', phone: '13800000000' },
  location: { address: '福建省龙岩市新罗区江山镇' },
  category: { code: '0301', name: '劳动保障-欠薪' },
};

function push(app: ReturnType<typeof setup>['app'], body: unknown, headers: Record<string, string> = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = headers['x-huijie-timestamp'] ?? String(Math.floor(Date.now() / 1000));
  return app.inject({
    method: 'POST',
    url: '/v1/work-orders',
    headers: {
      'content-type': 'application/json',
      'x-huijie-client': 'hotline-a',
      'x-huijie-timestamp': timestamp,
      'x-huijie-signature': sign('secret-of-hotline-a', timestamp, raw),
      ...headers,
    },
    payload: raw,
  });
}

describe('POST /v1/work-orders', () => {
  it('answers 202 with the dispute id once the normalised event is written', async () => {
    const { app, written } = setup();
    const response = await push(app, order);
    expect(response.statusCode).toBe(202);
    const { disputeId, duplicate } = response.json();
    expect(duplicate).toBe(false);
    expect(written).toHaveLength(1);
    expect(written[0]!.key).toBe(disputeId);
    expect(written[0]!.headers['ce_type']).toBe('cn.huijie.dispute.intake.v1');
    expect(JSON.parse(written[0]!.value.toString())).toMatchObject({
      disputeId,
      channel: 'hotline_12345',
      sourceRef: 'GD20240824001',
      parties: [{ role: 'caller', name: '郭某', phone: '13800000000' }],
      sourceCategory: { scheme: '12345', code: '0301', name: '劳动保障-欠薪' },
    });
  });

  it('a repeated push returns the same dispute id and writes nothing more', async () => {
    const { app, written } = setup();
    const first = (await push(app, order)).json();
    const again = await push(app, order);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ disputeId: first.disputeId, duplicate: true });
    expect(written).toHaveLength(1);
  });

  it('says 503 with Retry-After when the event cannot be written, and a retry later succeeds', async () => {
    const { app, written, fail } = setup();
    fail(true);
    const refused = await push(app, order);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json().error.code).toBe('unavailable');
    fail(false);
    const retried = await push(app, order);
    expect(retried.statusCode).toBe(202);
    expect(retried.json().duplicate).toBe(false);
    expect(written).toHaveLength(1);
  });

  it.each([
    ['no signature', { 'x-huijie-signature': '' }, 'x-huijie-signature', 'missing signature'],
    [
      'a wrong signature',
      { 'x-huijie-signature': 'ab'.repeat(32) },
      'x-huijie-signature',
      'signature does not match the body',
    ],
    ['an unknown client', { 'x-huijie-client': 'hotline-x' }, 'x-huijie-client', 'unknown client'],
    [
      'an old timestamp',
      { 'x-huijie-timestamp': String(Math.floor(Date.now() / 1000) - 301) },
      'x-huijie-timestamp',
      'timestamp outside the ±300 s window',
    ],
  ])('rejects %s with 401 and the reason', async (_label, headers, field, reason) => {
    const { app, written } = setup();
    const response = await push(app, order, headers);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.fields).toEqual([{ field, reason }]);
    expect(written).toHaveLength(0);
  });

  it('rejects a body signed by someone else (tampered after signing)', async () => {
    const { app } = setup();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = sign('secret-of-hotline-a', timestamp, JSON.stringify(order));
    const response = await app.inject({
      method: 'POST',
      url: '/v1/work-orders',
      headers: {
        'content-type': 'application/json',
        'x-huijie-client': 'hotline-a',
        'x-huijie-timestamp': timestamp,
        'x-huijie-signature': signature,
      },
      payload: JSON.stringify({ ...order, content: '改过的内容' }),
    });
    expect(response.statusCode).toBe(401);
  });

  it('names every field that is wrong', async () => {
    const { app, written } = setup();
    const response = await push(app, {
      ...order,
      orderNo: 'GD 1',
      caller: { phone: 'call me' },
      location: {},
    });
    expect(response.statusCode).toBe(400);
    const fields = response.json().error.fields.map((problem: { field: string }) => problem.field);
    expect(fields).toEqual(expect.arrayContaining(['orderNo', 'caller.phone', 'location']));
    expect(written).toHaveLength(0);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const { app } = setup();
    const response = await push(app, '{"orderNo":');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });
});
