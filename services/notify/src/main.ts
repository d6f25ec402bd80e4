import { postgresClient } from '@huijie/database/sql-client.ts';
import { kafkaBus } from '@huijie/event-bus/kafka-bus.ts';
import { parseConfig } from '@huijie/service-kit/config.ts';
import { kafkaBusEnv } from '@huijie/service-kit/kafka-env.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { exitOnFatal, exitOnStartupFailure, reachAtStart, serve } from '@huijie/service-kit/process.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { connectRedis, pingRedis } from '@huijie/service-kit/redis.ts';
import {
  buildNotifyApp,
  type NotifyDeps,
  type NotifySettings,
  notifyTopics,
  warnOfOutboxStandIns,
} from './app.ts';
import { redisTokenStore } from './channels/token-store.ts';
import { defaultWechatFields } from './channels/wechat-channel.ts';
import { expressLaneFrom, notifyConfigSchema, throttlesFrom, wechatTemplatesFrom } from './config.ts';
import { migrateNotify, notifyDb } from './db/prisma.ts';
import { defaultThrottles } from './dispatch/throttle.ts';

exitOnStartupFailure('notify');
const config = parseConfig(notifyConfigSchema, process.env);
const kafkaEnv = parseConfig(kafkaBusEnv, process.env);
const logger = createLogger({ service: 'notify', level: config.LOG_LEVEL });
const metrics = createMetrics('notify', { scrapeToken: config.METRICS_TOKEN });
const sql = postgresClient(config.DATABASE_URL, { max: 1 });
const applied = await reachAtStart('DATABASE_URL', 'PostgreSQL', () => migrateNotify(sql, logger));
await sql.close();
if (applied.length > 0) logger.info({ applied }, 'migrations applied');
const db = notifyDb({ kind: 'postgres', url: config.DATABASE_URL });
const redis = config.REDIS_URL
  ? connectRedis(config.REDIS_URL, { logger, namespace: kafkaEnv.KAFKA_NAMESPACE })
  : undefined;
if (redis) await reachAtStart('REDIS_URL', 'Redis', () => pingRedis(redis));
if (!redis) logger.warn('REDIS_URL not set: throttles count per replica');
// The WeChat access token is the AppID's, not the namespace's: every environment sending as one
// AppID must share it, as each fetch invalidates the token fetched before (channels/token-store.ts).
const appIdRedis =
  config.REDIS_URL && config.WECHAT_APPID
    ? connectRedis(config.REDIS_URL, { logger, namespace: undefined })
    : undefined;
const bus = kafkaBus({
  brokers: config.KAFKA_BROKERS,
  service: 'notify',
  observer: metrics.busObserver,
  logger,
  onFatal: exitOnFatal(logger),
  namespace: kafkaEnv.KAFKA_NAMESPACE,
  sessionTimeoutMs: kafkaEnv.KAFKA_SESSION_TIMEOUT_MS,
});
await reachAtStart('KAFKA_BROKERS', 'Kafka', () => bus.ensureTopics(notifyTopics));

const stores: Partial<NotifyDeps> = redis
  ? {
      rateLimiter: redisRateLimiter(redis, 'huijie:notify:rate:'),
      tokenStore: redisTokenStore(appIdRedis ?? redis),
      storeReady: () => redis.ping(),
    }
  : {};
const settings: NotifySettings = {
  jwtSecret: config.JWT_SECRET,
  webhooks: config.AGENCY_WEBHOOKS,
  hotlineCallbacks: config.HOTLINE_CALLBACKS,
  courtCallbacks: config.COURT_CALLBACKS,
  outboxFile: config.NOTIFY_OUTBOX_FILE,
  ...(config.SMS_GATEWAY_URL &&
    config.SMS_SECRET && {
      sms: {
        provider: config.SMS_PROVIDER,
        url: config.SMS_GATEWAY_URL,
        secret: config.SMS_SECRET,
        accessKey: config.SMS_ACCESS_KEY,
        signName: config.SMS_SIGN_NAME,
        templateIds: config.SMS_TEMPLATE_IDS,
      },
    }),
  ...(config.WECHAT_APPID &&
    config.WECHAT_APP_SECRET && {
      wechat: {
        account: {
          appId: config.WECHAT_APPID,
          appSecret: config.WECHAT_APP_SECRET,
          apiBase: config.WECHAT_API_BASE,
        },
        messaging: {
          api: config.WECHAT_MESSAGE_API,
          templates: wechatTemplatesFrom(config, defaultWechatFields),
          linkBase: config.WECHAT_LINK_BASE,
        },
      },
    }),
  expressLane: expressLaneFrom(config),
  schedule: {
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
    baseDelayMs: config.NOTIFY_RETRY_BASE_MS,
    maxDelayMs: config.NOTIFY_RETRY_MAX_MS,
  },
  throttles: throttlesFrom(config, defaultThrottles),
  sendTimeoutMs: config.NOTIFY_SEND_TIMEOUT_MS,
  dispatch: { perRecipient: config.NOTIFY_SENDS_PER_RECIPIENT },
  slaReminderBeforeMs: config.NOTIFY_SLA_REMINDER_HOURS * 3600_000,
};
// Every channel without a real sender, named once: deliveries there reach nobody.
warnOfOutboxStandIns(logger, settings);
const app = buildNotifyApp(settings, { db, bus, logger, metrics, ...stores });
await serve([{ name: 'notify', app, port: config.NOTIFY_PORT }], {
  host: config.HOST,
  logger,
  cleanup: async () => {
    await bus.close();
    await db.$disconnect();
    redis?.disconnect();
    appIdRedis?.disconnect();
  },
});
