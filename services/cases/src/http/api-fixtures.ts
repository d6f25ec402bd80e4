import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { buildCasesApp } from '../app.ts';
import type { CasesDb } from '../db/prisma.ts';
import { hashApiKey } from './actor.ts';

/**
 * For integration tests that act through the API: the cases app on its own Kafka namespace, ready.
 * The outbox is polled once a minute only: what an action announces must go out because it pokes
 * the relay.
 */
export async function casesAppOnKafka(
  db: CasesDb,
  brokers: string[],
  name: string,
): Promise<FastifyInstance> {
  const engine = namespaced(createKafkaEngine({ brokers, clientId: `cases-${name}` }), uniqueName(name));
  const app = buildCasesApp(
    { jwtSecret: 'x'.repeat(40), outboxPollMs: 60_000 },
    {
      db,
      bus: createEventBus(engine, { source: '/test' }),
      logger: createLogger({ service: 'test', level: 'silent' }),
      metrics: createMetrics('test'),
    },
  );
  await startConsuming(app);
  return app;
}

/** Gives a department the `x-api-key` its agency sends. */
export async function issueAgencyKey(
  db: CasesDb,
  key: string,
  department: { code: string; name: string },
): Promise<void> {
  await db.agencyKey.create({
    data: { keyHash: hashApiKey(key), departmentCode: department.code, label: department.name },
  });
}
