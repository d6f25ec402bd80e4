import { topics } from '@huijie/contracts/topics.ts';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { kafkaBus } from '@huijie/event-bus/kafka-bus.ts';
import { parseConfig } from '@huijie/service-kit/config.ts';
import { kafkaBusEnv } from '@huijie/service-kit/kafka-env.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { exitOnFatal, exitOnStartupFailure, reachAtStart, serve } from '@huijie/service-kit/process.ts';
import { connectRedis, pingRedis } from '@huijie/service-kit/redis.ts';
import { buildCasesApp } from './app.ts';
import { casesConfigSchema } from './config.ts';
import { casesDb, migrateCases } from './db/prisma.ts';
import { sharedLoginLimiter } from './http/auth.ts';
import { outboxTopics } from './outbox/outbox.ts';

exitOnStartupFailure('cases');
const config = parseConfig(casesConfigSchema, process.env);
const kafkaEnv = parseConfig(kafkaBusEnv, process.env);
const logger = createLogger({ service: 'cases', level: config.LOG_LEVEL });
const metrics = createMetrics('cases', { scrapeToken: config.METRICS_TOKEN });
const sql = postgresClient(config.DATABASE_URL, { max: 1 });
const applied = await reachAtStart('DATABASE_URL', 'PostgreSQL', () => migrateCases(sql, logger));
await sql.close();
if (applied.length > 0) logger.info({ applied }, 'migrations applied');
const db = casesDb({ kind: 'postgres', url: config.DATABASE_URL });
const redis = config.REDIS_URL
  ? connectRedis(config.REDIS_URL, { logger, namespace: kafkaEnv.KAFKA_NAMESPACE })
  : undefined;
if (redis) await reachAtStart('REDIS_URL', 'Redis', () => pingRedis(redis));
if (!redis) logger.warn('REDIS_URL not set: sign-in attempt limits count per replica');
const bus = kafkaBus({
  brokers: config.KAFKA_BROKERS,
  service: 'cases',
  observer: metrics.busObserver,
  logger,
  onFatal: exitOnFatal(logger),
  namespace: kafkaEnv.KAFKA_NAMESPACE,
  sessionTimeoutMs: kafkaEnv.KAFKA_SESSION_TIMEOUT_MS,
});
await reachAtStart('KAFKA_BROKERS', 'Kafka', () =>
  bus.ensureTopics([topics.intake, topics.assignment, ...outboxTopics]),
);
const app = buildCasesApp(
  {
    jwtSecret: config.JWT_SECRET,
    slaPeriodMs: config.SLA_ESCALATION_PERIOD_HOURS * 3600 * 1000,
    slaDueSoonMs: config.SLA_DUE_SOON_HOURS * 3600 * 1000,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
  },
  { db, bus, logger, metrics, ...(redis && { rateLimiter: sharedLoginLimiter(redis, logger) }) },
);
await serve([{ name: 'cases', app, port: config.CASES_PORT }], {
  host: config.HOST,
  logger,
  cleanup: async () => {
    await bus.close();
    await db.$disconnect();
    redis?.disconnect();
  },
});
