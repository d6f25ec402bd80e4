import { topics } from '@huijie/contracts/topics.ts';
import { kafkaBus } from '@huijie/event-bus/kafka-bus.ts';
import { parseConfig } from '@huijie/service-kit/config.ts';
import { kafkaBusEnv } from '@huijie/service-kit/kafka-env.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { exitOnFatal, exitOnStartupFailure, reachAtStart, serve } from '@huijie/service-kit/process.ts';
import { buildRoutingApp } from './app.ts';
import { routingConfigSchema } from './config.ts';
import { createRouter } from './domain/router.ts';

exitOnStartupFailure('routing');
const config = parseConfig(routingConfigSchema, process.env);
const kafkaEnv = parseConfig(kafkaBusEnv, process.env);
const logger = createLogger({ service: 'routing', level: config.LOG_LEVEL });
const metrics = createMetrics('routing', { scrapeToken: config.METRICS_TOKEN });
const bus = kafkaBus({
  brokers: config.KAFKA_BROKERS,
  service: 'routing',
  observer: metrics.busObserver,
  logger,
  onFatal: exitOnFatal(logger),
  namespace: kafkaEnv.KAFKA_NAMESPACE,
  sessionTimeoutMs: kafkaEnv.KAFKA_SESSION_TIMEOUT_MS,
});
await reachAtStart('KAFKA_BROKERS', 'Kafka', () => bus.ensureTopics([topics.intake, topics.assignment]));
const app = buildRoutingApp({ bus, router: createRouter(), logger, metrics });
await serve([{ name: 'routing', app, port: config.ROUTING_PORT }], {
  host: config.HOST,
  logger,
  cleanup: () => bus.close(),
});
