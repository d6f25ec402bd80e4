import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { type RateLimiter, redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { freshDatabase, type Servers, uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildNotifyApp, type NotifySettings } from '../src/app.ts';
import { redisTokenStore } from '../src/channels/token-store.ts';
import { migrateNotify, type NotifyDb, notifyDb } from '../src/db/prisma.ts';

export const jwtSecret = 'notify-test-jwt-secret-0123456789abcdef';
export const operatorToken = (scope = '350800') =>
  `Bearer ${signToken({ sub: 'test-operator', role: 'admin', scope }, jwtSecret)}`;

/** One test file's world: a fresh database, a private Kafka namespace, a Redis prefix, a publisher. */
export interface World {
  databaseUrl: string;
  kafkaBrokers: string[];
  namespace: string;
  redisUrl: string;
  redisPrefix: string;
  redis: Redis;
  publisher: EventBus;
  release(): Promise<void>;
}

export async function openWorld(servers: Partial<Servers>): Promise<World> {
  const database = await freshDatabase(servers.databaseUrl!);
  const sql = postgresClient(database.url, { max: 1 });
  await migrateNotify(sql);
  await sql.close();
  const namespace = uniqueName('notify');
  const publisher = createEventBus(
    namespaced(
      createKafkaEngine({ brokers: servers.kafkaBrokers!, clientId: 'notify-test-publisher' }),
      namespace,
    ),
    { source: '/huijie/test' },
  );
  const redis = new Redis(servers.redisUrl!);
  return {
    databaseUrl: database.url,
    kafkaBrokers: servers.kafkaBrokers!,
    namespace,
    redisUrl: servers.redisUrl!,
    redisPrefix: `${uniqueName('notify')}:`,
    redis,
    publisher,
    async release() {
      await publisher.close();
      redis.disconnect();
      await database.drop();
    },
  };
}

export interface RunningNotify {
  app: FastifyInstance;
  db: NotifyDb;
  close(): Promise<void>;
}

/** Notify as `main.ts` composes it (Kafka, PostgreSQL, Redis), on the world's namespace, not listening. */
export async function startNotify(
  world: Pick<World, 'databaseUrl' | 'kafkaBrokers' | 'namespace' | 'redisUrl' | 'redisPrefix'>,
  settings: Partial<NotifySettings>,
  options: { wrapLimiter?: (limiter: RateLimiter) => RateLimiter } = {},
): Promise<RunningNotify> {
  const db = notifyDb({ kind: 'postgres', url: world.databaseUrl });
  const redis = new Redis(world.redisUrl, { maxRetriesPerRequest: 2 });
  const metrics = createMetrics('notify');
  const bus = createEventBus(
    namespaced(
      // A short session: a killed notify's partitions go to its successor within seconds.
      createKafkaEngine({ brokers: world.kafkaBrokers, clientId: 'notify-test', sessionTimeoutMs: 6_000 }),
      world.namespace,
    ),
    { source: '/huijie/notify', observer: metrics.busObserver },
  );
  const app = buildNotifyApp(
    { jwtSecret, webhooks: new Map(), outboxFile: '/dev/null', ...settings },
    {
      db,
      bus,
      logger: createLogger({ service: 'notify', level: process.env.NOTIFY_TEST_LOG ?? 'silent' }),
      metrics,
      rateLimiter: (options.wrapLimiter ?? ((limiter) => limiter))(
        redisRateLimiter(redis, `${world.redisPrefix}rate:`),
      ),
      tokenStore: redisTokenStore(redis, world.redisPrefix),
      storeReady: () => redis.ping(),
    },
  );
  await startConsuming(app);
  return {
    app,
    db,
    async close() {
      await app.close();
      await bus.close();
      await db.$disconnect();
      redis.disconnect();
    },
  };
}

/** Settings a child process can take through its environment (Maps as entry lists). */
export interface ChildSettings {
  webhooks: [string, { url: string; secret: string }][];
  schedule: NonNullable<NotifySettings['schedule']>;
  sendTimeoutMs: number;
  dispatch: NonNullable<NotifySettings['dispatch']>;
}

/**
 * Notify in its own process, so a test can kill it with SIGKILL — no preClose, no finishing
 * in-flight work — as a crash or an OOM kill would. Resolves once it is ready.
 */
export async function spawnNotify(world: World, settings: ChildSettings): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'notify-process.ts')], {
    env: {
      ...process.env,
      NOTIFY_TEST_WORLD: JSON.stringify({
        databaseUrl: world.databaseUrl,
        kafkaBrokers: world.kafkaBrokers,
        namespace: world.namespace,
        redisUrl: world.redisUrl,
        redisPrefix: world.redisPrefix,
      }),
      NOTIFY_TEST_SETTINGS: JSON.stringify(settings),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('notify ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`notify process exited early (${code})`)));
  });
  return child;
}

export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
