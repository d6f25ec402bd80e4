import { createEventBus } from '@huijie/event-bus/bus.ts';
import type { Engine, RawRecord } from '@huijie/event-bus/engine.ts';
import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { memoryRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { sign } from '@huijie/service-kit/signing.ts';
import type { FastifyInstance } from 'fastify';
import { buildIngestCourtsApp, type IngestCourtsDeps } from '../src/app.ts';
import { courtClients, type IngestCourtsConfig } from '../src/config.ts';

/** The clock of the unit tests: 2024-09-01 10:00 in China. */
export const now = new Date('2024-09-01T02:00:00Z');

/** A pre-litigation mediation referral from 永定区人民法院, as a court system pushes it. */
export function referral(overrides: Record<string, unknown> = {}) {
  return {
    caseNumber: '（2024）闽0803民诉前调123号',
    court: { code: '闽0803', name: '龙岩市永定区人民法院' },
    causeOfAction: { name: '民间借贷纠纷' },
    parties: [
      {
        role: 'applicant',
        kind: 'person',
        name: '杨某',
        phone: '13800000001',
        idNumber: '35082219800101001x',
        address: '福建省龙岩市永定区凤城街道',
      },
      { role: 'respondent', kind: 'person', name: '胡某', address: '福建省龙岩市永定区下洋镇中川村' },
    ],
    claims: ['判令被告归还借款人民币50000元', '本案诉讼费用由被告承担'],
    facts: '2023年3月被告向原告借款50000元，约定半年内归还，至今未还。',
    amount: 50000,
    referralDate: '2024-08-20',
    mediationDeadline: '2024-09-19',
    ...overrides,
  };
}

export const demoClient = { id: 'demo-court', secret: 'demo-secret' };

export function testConfig(overrides: Partial<IngestCourtsConfig> = {}): IngestCourtsConfig {
  return {
    clients: courtClients([
      { ...demoClient, courts: ['闽0803', '闽0802'] },
      { id: 'city-court', secret: 'city-secret-0123', courts: ['闽08'] },
    ]),
    rateLimitPerMinute: 1000,
    ...overrides,
  };
}

/** Signs a raw body the way a court system does. */
export function signedHeaders(
  raw: string,
  client = demoClient,
  timestamp = Math.floor(now.getTime() / 1000),
) {
  return {
    'content-type': 'application/json',
    'x-huijie-client': client.id,
    'x-huijie-timestamp': String(timestamp),
    'x-huijie-signature': sign(client.secret, String(timestamp), raw),
  };
}

export function push(app: FastifyInstance, body: unknown, client = demoClient) {
  const raw = JSON.stringify(body);
  return app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: signedHeaders(raw, client),
    payload: raw,
  });
}

export function testApp(
  deps: Partial<IngestCourtsDeps> & Pick<IngestCourtsDeps, 'bus'>,
  config: IngestCourtsConfig = testConfig(),
) {
  return buildIngestCourtsApp(config, {
    idempotency: memoryIdempotency(),
    rateLimiter: memoryRateLimiter(),
    logger: createLogger({ service: 'ingest-courts-test', level: 'silent' }),
    metrics: createMetrics('ingest-courts-test'),
    now: () => now,
    ...deps,
  });
}

/** An engine in memory for unit tests: keeps what was produced; `down` makes it fail like an unreachable broker. */
export function memoryEngine(options: { writeMs?: number } = {}) {
  const records: RawRecord[] = [];
  const state = { down: false, produceCalls: 0 };
  const engine: Engine = {
    name: 'embedded',
    async produce(batch) {
      state.produceCalls++;
      // A real write takes a moment: concurrent duplicates must overlap it.
      await new Promise((resolve) => setTimeout(resolve, options.writeMs ?? 5));
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      records.push(...batch);
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
  return { engine, records, state, bus: createEventBus(engine, { source: '/huijie/ingest-courts' }) };
}
