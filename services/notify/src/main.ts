import { topics } from '@huijie/contracts/topics.ts';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { kafkaBus } from '@huijie/event-bus/kafka-bus.ts';
import { parseConfig } from '@huijie/service-kit/config.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { exitOnFatal, serve } from '@huijie/service-kit/process.ts';
import { buildNotifyApp } from './app.ts';
import { notifyConfigSchema } from './config.ts';
import { migrateNotify, notifyDb } from './db/prisma.ts';

const config = parseConfig(notifyConfigSchema, process.env);
const logger = createLogger({ service: 'notify', level: config.LOG_LEVEL });
const metrics = createMetrics('notify');
const sql = postgresClient(config.DATABASE_URL, { max: 1 });
const applied = await migrateNotify(sql);
await sql.close();
if (applied.length > 0) logger.info({ applied }, 'migrations applied');
const db = notifyDb({ kind: 'postgres', url: config.DATABASE_URL });
const bus = kafkaBus({
  brokers: config.KAFKA_BROKERS,
  service: 'notify',
  observer: metrics.busObserver,
  onFatal: exitOnFatal(logger),
});
await bus.ensureTopics([topics.assignment]);
const app = buildNotifyApp(
  {
    jwtSecret: config.JWT_SECRET,
    webhooks: new Map(Object.entries(config.AGENCY_WEBHOOKS)),
    outboxFile: config.NOTIFY_OUTBOX_FILE,
  },
  { db, bus, logger, metrics },
);
await serve([{ name: 'notify', app, port: config.NOTIFY_PORT }], {
  host: config.HOST,
  logger,
  cleanup: async () => {
    await bus.close();
    await db.$disconnect();
  },
});
