import { Writable } from 'node:stream';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import type { Engine, RawRecord } from '@huijie/event-bus/engine.ts';
import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { memoryRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { sign } from '@huijie/service-kit/signing.ts';
import type { FastifyInstance } from 'fastify';
import { buildIngest12345App, type Ingest12345Deps } from '../src/app.ts';
import type { Ingest12345Settings } from '../src/config.ts';

export const hotlineA = { id: 'hotline-a', secret: 'secret-of-hotline-a' };
export const hotlineB = { id: 'hotline-b', secret: 'secret-of-hotline-b' };

export function testSettings(overrides: Partial<Ingest12345Settings> = {}): Ingest12345Settings {
  return {
    clients: new Map([
      [hotlineA.id, hotlineA.secret],
      [hotlineB.id, hotlineB.secret],
    ]),
    rateLimitPerMinute: 1_000_000,
    ...overrides,
  };
}

/** Guo's story (MISSION.md) in the minimal shape the first version took, and the README shows. */
export const guo = {
  orderNo: 'GD20240824001',
  receivedAt: '2024-08-24T09:30:00+08:00',
  content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
  caller: { name: '郭某', phone: '13800000000' },
  location: { address: '福建省龙岩市新罗区江山镇' },
  category: { code: '0301', name: '劳动保障-欠薪' },
};

/** A work order with every field a hotline system holds. */
export const fullOrder = {
  orderNo: 'LY12345-20240601-0007',
  receivedAt: '2024-06-01T10:00:00+08:00',
  intakeChannel: '电话',
  requestType: '求助',
  category: {
    levels: [
      { code: '11', name: '政法' },
      { code: '1103', name: '司法' },
      { code: '110302', name: '涉法涉诉' },
    ],
  },
  title: '法院判决后对方拒不赔偿',
  content: '法院判决胡某赔偿我损失，胡某在法庭上拒不履行，至今不给赔偿款，请政府帮忙。',
  caller: { name: '杨某', phone: '13900000001', confidential: true },
  location: { divisionCode: '350803', address: '龙岩市永定区下洋镇中川村' },
  urgency: '紧急',
  dueAt: '2024-06-08T18:00:00+08:00',
  attachments: [{ url: 'https://12345.longyan.example/files/judgement.pdf', name: '判决书.pdf' }],
};

/** An engine in memory: keeps what is produced, counts the round trips, and fails like a broker when `down`. */
export function memoryEngine(options: { writeMs?: number } = {}) {
  const written: RawRecord[] = [];
  const state = { down: false, produceCalls: 0 };
  const engine: Engine = {
    name: 'embedded',
    async produce(records) {
      state.produceCalls++;
      // A real write takes a moment: concurrent duplicates must overlap it.
      if (options.writeMs !== 0) await new Promise((resolve) => setTimeout(resolve, options.writeMs ?? 5));
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      written.push(...records);
    },
    async consume() {
      throw new Error('not used by the ingest tests');
    },
    async ensureTopics() {},
    async committedOffsets() {
      return new Map();
    },
    async read() {
      throw new Error('not used by the ingest tests');
    },
    async lag() {
      return 0;
    },
    async ping() {
      if (state.down) throw new Error('broker unreachable');
    },
    async close() {},
  };
  const events = () => written.map((record) => JSON.parse(record.value.toString()));
  return { engine, written, events, state, bus: createEventBus(engine, { source: '/huijie/ingest-12345' }) };
}

/** Everything the service logs, as text: personal data must never be in it. */
export function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return {
    logger: createLogger({ service: 'ingest-12345-test', level: 'debug' }, stream),
    text: () => lines.join(''),
  };
}

export function setup(
  settings: Ingest12345Settings = testSettings(),
  deps: Partial<Ingest12345Deps> = {},
  engineOptions: { writeMs?: number } = {},
) {
  const memory = memoryEngine(engineOptions);
  const app = buildIngest12345App(settings, {
    bus: memory.bus,
    idempotency: memoryIdempotency(),
    rateLimiter: memoryRateLimiter(),
    logger: createLogger({ service: 'ingest-12345-test', level: 'silent' }),
    metrics: createMetrics('ingest-12345-test'),
    ...deps,
  });
  return { app, ...memory };
}

/** Signs a raw body the way a hotline system does. */
export function signedHeaders(
  raw: string | Buffer,
  client = hotlineA,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-huijie-client': client.id,
    'x-huijie-timestamp': String(timestamp),
    'x-huijie-signature': sign(client.secret, String(timestamp), raw),
  };
}

export function push(
  app: FastifyInstance,
  body: unknown,
  options: { client?: typeof hotlineA; headers?: Record<string, string>; url?: string } = {},
) {
  // A string or bytes as they are (malformed JSON, another encoding), anything else as JSON.
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return app.inject({
    method: 'POST',
    url: options.url ?? '/v1/work-orders',
    headers: { ...signedHeaders(raw, options.client), ...options.headers },
    payload: raw,
  });
}

export const pushBatch = (app: FastifyInstance, orders: unknown[], client = hotlineA) =>
  push(app, { orders }, { client, url: '/v1/work-orders/batch' });
