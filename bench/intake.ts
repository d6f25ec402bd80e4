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
import { connectRedis } from '@huijie/service-kit/redis.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadAverage, machine, median, table } from './lib/report.ts';
import { signedLoad } from './lib/signed-load.ts';

const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const seconds = Number(env.BENCH_SECONDS ?? 10);
const rounds = Number(env.BENCH_ROUNDS ?? 3);
const connections = Number(env.BENCH_CONNECTIONS ?? 50);
const warmupSeconds = Number(env.BENCH_WARMUP_SECONDS ?? 3);
const secret = 'bench-secret-123';

/** Signed pushes from a child process: the generator's CPU is not taken from the server's event loop. */
const load = (url: string, duration = seconds) =>
  signedLoad({ url, path: '/v1/work-orders', connections, seconds: duration, client: 'bench', secret });

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

// The client ingest-12345's main.ts makes.
const redis = connectRedis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { namespace: undefined });
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
  `${connections} connections, ${warmupSeconds} s warm-up each, then ${rounds} rounds of ${seconds} s each, alternating; medians of the rounds;` +
    ' signed requests from a separate load-generator process (autocannon)\n',
);
// Unmeasured: the first pushes connect the Kafka producer and run before the JIT has compiled anything.
for (const url of Object.values(targets)) if (warmupSeconds > 0) await load(url, warmupSeconds);
const results: Record<
  string,
  { rps: number[]; p50: number[]; p99: number[]; cpu: number[]; non2xx: number }
> = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, url] of Object.entries(targets)) {
    // Both servers live in this process (the load does not): its CPU per answer is the server's
    // cost, which other work on the machine disturbs far less than the rate.
    const before = process.cpuUsage();
    const r = await load(url);
    const cpu = process.cpuUsage(before);
    results[name] ??= { rps: [], p50: [], p99: [], cpu: [], non2xx: 0 };
    const entry = results[name];
    entry.rps.push(r.rps);
    entry.p50.push(r.p50);
    entry.p99.push(r.p99);
    entry.cpu.push((cpu.user + cpu.system) / (r.rps * seconds));
    entry.non2xx += r.non2xx;
  }
}
const baseline = median(results['bare Fastify (baseline)']!.rps);
console.log(
  table(
    ['target', 'pushes/s (median)', 'p50 ms', 'p99 ms', 'ratio to baseline', 'server CPU µs/push', 'non-2xx'],
    Object.entries(results).map(([name, r]) => [
      name,
      Math.round(median(r.rps)),
      median(r.p50),
      median(r.p99),
      `${((median(r.rps) / baseline) * 100).toFixed(0)} %`,
      Math.round(median(r.cpu)),
      r.non2xx,
    ]),
  ),
);
console.log(`\nload at the end: ${loadAverage()}`);
await ingest.close();
await bare.close();
await bus.close();
redis.disconnect();
