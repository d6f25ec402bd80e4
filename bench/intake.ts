/**
 * Intake: signed 12345 pushes per second and latency through ingest-12345 with durable Kafka
 * writes (acks=all, idempotent producer, Redis idempotency keys), against bare Fastify
 * answering the same route on the same machine, measured in the same run.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 REDIS_URL=redis://127.0.0.1:6379 npx tsx bench/intake.ts
 */
import { randomUUID } from 'node:crypto';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { buildIngest12345App } from '@huijie/ingest-12345/app.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { sign } from '@huijie/service-kit/signing.ts';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { machine, median, table } from './lib/report.ts';

const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const seconds = Number(env.BENCH_SECONDS ?? 10);
const rounds = Number(env.BENCH_ROUNDS ?? 3);
const connections = Number(env.BENCH_CONNECTIONS ?? 50);
const secret = 'bench-secret-123';

const body = (orderNo: string) =>
  JSON.stringify({
    orderNo,
    receivedAt: '2024-08-24T09:30:00+08:00',
    content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
    caller: { name: '郭某', phone: '13800000000' },
    location: { address: '福建省龙岩市新罗区江山镇' },
    category: { name: '劳动保障-欠薪' },
  });

async function load(url: string) {
  const run = prefix(randomUUID().slice(0, 8));
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/work-orders',
        // Every request is a new order, signed as a hotline system signs it.
        setupRequest: (request) => {
          const raw = body(run());
          const timestamp = String(Math.floor(Date.now() / 1000));
          return {
            ...request,
            body: raw,
            headers: {
              'content-type': 'application/json',
              'x-huijie-client': 'bench',
              'x-huijie-timestamp': timestamp,
              'x-huijie-signature': sign(secret, timestamp, raw),
            },
          };
        },
      },
    ],
  });
  const non2xx = result.non2xx + result.errors;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx };
}

function prefix(tag: string) {
  let n = 0;
  return () => `B${tag}-${++n}`;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** The baseline: Fastify parsing the same JSON and answering 202, nothing written anywhere. */
function bareFastify(): FastifyInstance {
  const app = Fastify();
  app.post('/v1/work-orders', async (_request, reply) =>
    reply.status(202).send({ disputeId: randomUUID(), duplicate: false }),
  );
  return app;
}

const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const engine = namespaced(createKafkaEngine({ brokers, clientId: 'bench-intake' }), `bench-${Date.now()}`);
const bus = createEventBus(engine, { source: '/bench' });
await bus.ensureTopics(['dispute.intake.v1']);
const ingest = buildIngest12345App(
  // The per-client limit protects production from a runaway client; the benchmark is one on purpose.
  { clients: new Map([['bench', secret]]), rateLimitPerMinute: 1_000_000_000 },
  {
    bus,
    idempotency: redisIdempotency(redis, `bench:${Date.now()}:`),
    logger: createLogger({ service: 'bench', level: 'silent' }),
    metrics: createMetrics('bench'),
  },
);
const bare = bareFastify();
const targets = {
  'bare Fastify (baseline)': await listen(bare),
  'ingest-12345 → Kafka': await listen(ingest),
};

console.log(`Intake benchmark — ${machine()}`);
console.log(
  `${connections} connections, ${rounds} rounds of ${seconds} s each, alternating; medians of the rounds\n`,
);
const results: Record<string, { rps: number[]; p50: number[]; p99: number[]; non2xx: number }> = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, url] of Object.entries(targets)) {
    const r = await load(url);
    results[name] ??= { rps: [], p50: [], p99: [], non2xx: 0 };
    const entry = results[name];
    entry.rps.push(r.rps);
    entry.p50.push(r.p50);
    entry.p99.push(r.p99);
    entry.non2xx += r.non2xx;
  }
}
const baseline = median(results['bare Fastify (baseline)']!.rps);
console.log(
  table(
    ['target', 'pushes/s (median)', 'p50 ms', 'p99 ms', 'ratio to baseline', 'non-2xx'],
    Object.entries(results).map(([name, r]) => [
      name,
      Math.round(median(r.rps)),
      median(r.p50),
      median(r.p99),
      `${((median(r.rps) / baseline) * 100).toFixed(0)} %`,
      r.non2xx,
    ]),
  ),
);
await ingest.close();
await bare.close();
await bus.close();
redis.disconnect();
