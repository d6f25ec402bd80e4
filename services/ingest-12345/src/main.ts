import { topics } from '@huijie/contracts/topics.ts';
import { kafkaBus } from '@huijie/event-bus/kafka-bus.ts';
import { parseConfig } from '@huijie/service-kit/config.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import { kafkaBusEnv } from '@huijie/service-kit/kafka-env.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { exitOnFatal, exitOnStartupFailure, reachAtStart, serve } from '@huijie/service-kit/process.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { connectRedis, pingRedis } from '@huijie/service-kit/redis.ts';
import { buildIngest12345App } from './app.ts';
import { ingest12345ConfigSchema, settingsFrom } from './config.ts';

exitOnStartupFailure('ingest-12345');
const config = parseConfig(ingest12345ConfigSchema, process.env);
const kafkaEnv = parseConfig(kafkaBusEnv, process.env);
const logger = createLogger({ service: 'ingest-12345', level: config.LOG_LEVEL });
const metrics = createMetrics('ingest-12345', { scrapeToken: config.METRICS_TOKEN });
const redis = connectRedis(config.REDIS_URL, { logger, namespace: kafkaEnv.KAFKA_NAMESPACE });
await reachAtStart('REDIS_URL', 'Redis', () => pingRedis(redis));
const bus = kafkaBus({
  brokers: config.KAFKA_BROKERS,
  service: 'ingest-12345',
  observer: metrics.busObserver,
  logger,
  onFatal: exitOnFatal(logger),
  namespace: kafkaEnv.KAFKA_NAMESPACE,
  sessionTimeoutMs: kafkaEnv.KAFKA_SESSION_TIMEOUT_MS,
});
// Created here, not on the first push: with the partitions consumers expect, whichever service starts first.
await reachAtStart('KAFKA_BROKERS', 'Kafka', () => bus.ensureTopics([topics.intake]));
const app = buildIngest12345App(settingsFrom(config), {
  bus,
  idempotency: redisIdempotency(redis),
  rateLimiter: redisRateLimiter(redis),
  logger,
  metrics,
  storeReady: () => redis.ping(),
});
await serve([{ name: 'ingest-12345', app, port: config.INGEST_12345_PORT }], {
  host: config.HOST,
  logger,
  cleanup: async () => {
    await bus.close();
    redis.disconnect();
  },
});
