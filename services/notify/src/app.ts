import { topics } from '@huijie/contracts/topics.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import { loadDepartmentDirectory } from '@huijie/routing/domain/departments.ts';
import { consumes, createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { consumerLagGauge, type Metrics, sampledGauge } from '@huijie/service-kit/metrics.ts';
import { memoryRateLimiter, type RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { serveApiDocs } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { type DeliveryChannel, defaultSendTimeoutMs } from './channels/channel.ts';
import { outboxChannel } from './channels/outbox-channel.ts';
import { type SmsSettings, smsChannel } from './channels/sms-channel.ts';
import { memoryTokenStore, type TokenStore } from './channels/token-store.ts';
import { signedPostChannel, type WebhookTarget, webhookChannel } from './channels/webhook-channel.ts';
import { type WechatMessaging, wechatChannel } from './channels/wechat-channel.ts';
import { type WechatAccount, wechatAccessToken } from './channels/wechat-token.ts';
import { recordAssignment } from './consumers/record-assignment.ts';
import { recordEscalation } from './consumers/record-escalation.ts';
import { recordOperatorAccess } from './consumers/record-operator-access.ts';
import { recordCaseStatus } from './consumers/record-status.ts';
import { createRouting, type ExpressLaneContact } from './consumers/routing.ts';
import type { NotifyDb } from './db/prisma.ts';
import {
  type DispatchOutcome,
  defaultSchedule,
  defaultSendsPerRecipient,
  type RetrySchedule,
  startDispatcher,
} from './dispatch/dispatcher.ts';
import { type ChannelLimits, createThrottle, defaultThrottles } from './dispatch/throttle.ts';
import { deliveryRoutes } from './http/delivery-routes.ts';
import type { Notice } from './notices/notices.ts';

export interface NotifyDeps {
  db: NotifyDb;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
  /** Shared (Redis) with several replicas; in-process by default. */
  rateLimiter?: RateLimiter;
  /** Where the WeChat access token is kept: Redis with several replicas; in-process by default. */
  tokenStore?: TokenStore;
  /** Readiness of the shared store, when there is one. */
  storeReady?: () => Promise<unknown>;
}

/**
 * What notify needs to know. Only `jwtSecret`, `webhooks` and `outboxFile` are required: every
 * provider left out (SMS gateway, WeChat account, hotline/court callbacks) writes what it would
 * have sent to the outbox file instead — standalone mode runs exactly so.
 */
export interface NotifySettings {
  jwtSecret: string;
  /** Agencies that take webhooks, by department code. */
  webhooks: ReadonlyMap<string, WebhookTarget>;
  outboxFile: string;
  /** 12345 hotline systems' 办结反馈 endpoints, by client id. */
  hotlineCallbacks?: ReadonlyMap<string, WebhookTarget>;
  /** Court clients' outcome endpoints, by client id. */
  courtCallbacks?: ReadonlyMap<string, WebhookTarget>;
  sms?: SmsSettings;
  /** `refreshMarginMs`: how long before its expiry the access token is replaced (5 minutes). */
  wechat?: { account: WechatAccount; messaging: WechatMessaging; refreshMarginMs?: number };
  /** The express lane's people, by division code. */
  expressLane?: ReadonlyMap<string, ExpressLaneContact[]>;
  schedule?: RetrySchedule;
  /** Per channel: in all, and per recipient. Defaults in `dispatch/throttle.ts`. */
  throttles?: Record<string, ChannelLimits>;
  sendTimeoutMs?: number;
  slaReminderBeforeMs?: number;
  /** `perRecipient`: of the `concurrency` sends in flight (8), the most one receiver holds (2). */
  dispatch?: {
    intervalMs?: number;
    batch?: number;
    concurrency?: number;
    perRecipient?: number;
    leaseMs?: number;
  };
}

export const notifyGroup = 'notify';
/** `operator.access.v1`: what cases announces of operators' accounts, which the delivery routes judge tokens by. */
export const notifyTopics = [
  topics.assignment,
  topics.caseStatus,
  topics.caseEscalation,
  topics.operatorAccess,
];

function counter(metrics: Metrics, name: string, help: string, labelNames: string[]) {
  return (
    (metrics.registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help, labelNames, registers: [metrics.registry] })
  );
}

/**
 * The providers that may be left out, each a channel: whether it is configured, what it sends,
 * and the variable (as main.ts reads it) that gives it a real sender. Left out, the channel
 * writes what it would have sent to the outbox file instead.
 */
const providers = {
  hotline: {
    configured: (settings: NotifySettings) => (settings.hotlineCallbacks?.size ?? 0) > 0,
    sends: "the 12345 hotline's result callbacks (办结反馈)",
    variable: 'HOTLINE_CALLBACKS',
  },
  court: {
    configured: (settings: NotifySettings) => (settings.courtCallbacks?.size ?? 0) > 0,
    sends: "the courts' result callbacks",
    variable: 'COURT_CALLBACKS',
  },
  sms: {
    configured: (settings: NotifySettings) => settings.sms !== undefined,
    sends: "citizens' and the express lane's SMS",
    variable: 'SMS_GATEWAY_URL (with SMS_SECRET)',
  },
  wechat: {
    configured: (settings: NotifySettings) => settings.wechat !== undefined,
    sends: "citizens' and the express lane's WeChat messages",
    variable: 'WECHAT_APPID (with WECHAT_APP_SECRET; NOTIFY_WECHAT_APPID under docker compose)',
  },
} as const;

/** A channel whose deliveries go to the outbox file, not to a real sender. */
export interface OutboxStandIn {
  /** The deliveries' `channel`, as the deliveries API and the metrics name it. */
  channel: string;
  sends: string;
  /** What to set for a real sender. */
  variable: string;
}

/**
 * Which channels write to the outbox file instead of sending: each provider left out, and the
 * departments without a webhook (those in `AGENCY_WEBHOOKS` get theirs; the others still read
 * their agency topic on Kafka). Names channels and variables only, never a recipient.
 */
export function outboxStandIns(
  settings: NotifySettings,
  departments: readonly { code: string }[] = loadDepartmentDirectory().all(),
): OutboxStandIn[] {
  const webhooks = settings.webhooks.size;
  const everyDepartmentHasOne = departments.every((department) => settings.webhooks.has(department.code));
  return [
    ...(everyDepartmentHasOne
      ? []
      : [
          {
            channel: 'outbox',
            sends:
              webhooks === 0
                ? "every department's webhooks (assignments, updates, withdrawals, reminders, results)"
                : `the webhooks of every department but the ${webhooks} in AGENCY_WEBHOOKS`,
            variable: 'AGENCY_WEBHOOKS',
          },
        ]),
    ...Object.entries(providers)
      .filter(([, provider]) => !provider.configured(settings))
      .map(([channel, { sends, variable }]) => ({ channel, sends, variable })),
  ];
}

/**
 * One warning at start naming each channel that goes to the outbox file (as standalone mode runs
 * by design): a deployment that forgot a variable is told so, not left with deliveries recorded
 * `delivered` that were never sent. None when every channel has its sender.
 */
export function warnOfOutboxStandIns(logger: Logger, settings: NotifySettings): void {
  const standIns = outboxStandIns(settings);
  if (standIns.length === 0) return;
  logger.warn(
    {
      outboxFile: settings.outboxFile,
      channels: standIns.map((standIn) => standIn.channel),
    },
    `no sender configured: written to the outbox file ${settings.outboxFile} instead of sent (their state says delivered; huijie_notify_sends_total counts them as outcome="outbox_file"): ${standIns
      .map((standIn) => `${standIn.sends} [channel ${standIn.channel}; set ${standIn.variable}]`)
      .join('; ')}`,
  );
}

/** The channels, each a real provider when configured, else the outbox file under the channel's name. */
export function buildChannels(
  settings: NotifySettings,
  tokenStore: TokenStore,
): { channels: Map<string, DeliveryChannel>; real: Set<string> } {
  const timeoutMs = settings.sendTimeoutMs ?? defaultSendTimeoutMs;
  const standIn = (name: string) => outboxChannel(settings.outboxFile, name);
  const real = new Set<string>(['webhook']);
  const pick = (name: keyof typeof providers, build: () => DeliveryChannel) => {
    const configured = providers[name].configured(settings);
    if (configured) real.add(name);
    return configured ? build() : standIn(name);
  };
  const outbox = outboxChannel(settings.outboxFile);
  const list = [
    outbox,
    webhookChannel(settings.webhooks, timeoutMs),
    pick('hotline', () => signedPostChannel('hotline', settings.hotlineCallbacks ?? new Map(), timeoutMs)),
    pick('court', () => signedPostChannel('court', settings.courtCallbacks ?? new Map(), timeoutMs)),
    pick('sms', () => smsChannel({ timeoutMs, ...settings.sms! })),
    pick('wechat', () =>
      wechatChannel(
        { timeoutMs, ...settings.wechat!.messaging },
        wechatAccessToken(settings.wechat!.account, tokenStore, {
          timeoutMs,
          ...(settings.wechat!.refreshMarginMs !== undefined && {
            refreshMarginMs: settings.wechat!.refreshMarginMs,
          }),
        }),
      ),
    ),
  ];
  const channels = new Map(list.map((channel) => [channel.name, channel]));
  // Deliveries recorded before the outbox had its name.
  channels.set('file', outbox);
  return { channels, real };
}

export function buildNotifyApp(settings: NotifySettings, deps: NotifyDeps): FastifyInstance {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      database: () => deps.db.$queryRaw`SELECT 1`,
      broker: () => deps.bus.engine.ping(),
      ...(deps.storeReady && { store: deps.storeReady }),
    },
  });
  consumerLagGauge(deps.metrics, deps.bus);
  // What is waiting to go out: a dispatcher that stopped, or a receiver that is down, shows here.
  const backlog = () =>
    deps.db.$queryRaw<{ state: string; n: number; due_age: number | null }[]>`
      SELECT state, count(*)::int AS n,
        EXTRACT(EPOCH FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now()))::float8 AS due_age
      FROM notify.deliveries WHERE state IN ('pending', 'sending', 'failed') GROUP BY state`;
  sampledGauge(
    deps.metrics,
    'huijie_notify_deliveries',
    'Deliveries not done, by state (pending, sending, failed = dead letters awaiting replay)',
    ['state'],
    async () => {
      const rows = await backlog();
      return ['pending', 'sending', 'failed'].map((state) => ({
        labels: { state },
        value: rows.find((row) => row.state === state)?.n ?? 0,
      }));
    },
  );
  sampledGauge(
    deps.metrics,
    'huijie_notify_oldest_due_pending_age_seconds',
    'How long the oldest pending delivery has been due (0 when none is due)',
    [],
    async () => [{ value: (await backlog()).find((row) => row.state === 'pending')?.due_age ?? 0 }],
  );
  const sendTimeoutMs = settings.sendTimeoutMs ?? defaultSendTimeoutMs;
  const { channels, real } = buildChannels(settings, deps.tokenStore ?? memoryTokenStore());
  const limits = Object.fromEntries(
    Object.entries(settings.throttles ?? defaultThrottles).filter(([channel]) => real.has(channel)),
  );
  // The recipients' throttle keys are keyed by the one secret every replica has and keeps across
  // restarts (standalone keeps it in its data directory); a new JWT_SECRET only restarts the
  // current windows' counts.
  const throttle = createThrottle(
    deps.rateLimiter ?? memoryRateLimiter(),
    limits,
    deps.logger,
    settings.jwtSecret,
  );
  const wechatTemplates = settings.wechat?.messaging.templates;
  const routing = createRouting({
    webhookDepartments: new Set(settings.webhooks.keys()),
    wechatNotices: wechatTemplates ? new Set(Object.keys(wechatTemplates) as Notice[]) : 'all',
    hotlineClients: [...(settings.hotlineCallbacks?.keys() ?? [])],
    courtClients: [...(settings.courtCallbacks?.keys() ?? [])],
    expressLane: settings.expressLane ?? new Map(),
    slaReminderBeforeMs: settings.slaReminderBeforeMs ?? 24 * 3600_000,
  });

  const outcomes = counter(
    deps.metrics,
    'huijie_notify_sends_total',
    'Delivery tries by channel and outcome (delivered, outbox_file = written to the outbox file: no sender configured, retry, failed = dead letter, replaced = texted instead, throttled)',
    ['channel', 'outcome'],
  );
  const recorded = counter(deps.metrics, 'huijie_notify_recorded_total', 'Deliveries recorded by event', [
    'event',
  ]);

  let dispatcher: ReturnType<typeof startDispatcher> | undefined;
  serveApiDocs(app, {
    title: 'Huijie notify API',
    version: '1',
    description:
      "Operators' view of what was sent to whom: deliveries, their tries, and replaying dead letters. An operator sees and replays those of the cases in their jurisdiction now, where routing last placed each case, as the cases API shows the cases: a town a correction moved a case out of sees none of its deliveries, and a report folded into another town's case is that town's. An express-lane notice is the division's of the secretary it went to.",
  });
  deliveryRoutes(app, { db: deps.db, jwtSecret: settings.jwtSecret, onReplay: () => dispatcher?.poke() });

  const recordedNew = (event: string, count: number) => {
    if (count === 0) return;
    recorded.inc({ event }, count);
    dispatcher?.poke();
  };
  app.addHook('onReady', async () => {
    dispatcher = startDispatcher({
      db: deps.db,
      channels,
      logger: deps.logger,
      schedule: settings.schedule ?? defaultSchedule,
      throttle,
      // A sender that is alive always records its result before another may take the delivery.
      leaseMs: settings.dispatch?.leaseMs ?? Math.max(60_000, 3 * sendTimeoutMs),
      batch: settings.dispatch?.batch ?? 50,
      concurrency: settings.dispatch?.concurrency ?? 8,
      perRecipient: settings.dispatch?.perRecipient ?? defaultSendsPerRecipient,
      intervalMs: settings.dispatch?.intervalMs ?? 500,
      observe: (channel: string, outcome: DispatchOutcome) => outcomes.inc({ channel, outcome }),
    });
  });
  consumes(app, () =>
    deps.bus.subscribe({
      group: notifyGroup,
      topics: notifyTopics,
      handlers: {
        'dispute.assignment.v1': async (decision) =>
          recordedNew('dispute.assignment.v1', await recordAssignment(deps.db, decision, routing)),
        'case.status.v1': async (event) =>
          recordedNew('case.status.v1', await recordCaseStatus(deps.db, event, routing)),
        'case.escalation.v1': async (event) =>
          recordedNew('case.escalation.v1', await recordEscalation(deps.db, event, routing)),
        'operator.access.v1': (event) => recordOperatorAccess(deps.db, event),
      },
    }),
  );
  app.addHook('preClose', async () => {
    // Events stop coming first (the consumer stops before this), then the sends in flight finish and are recorded.
    await dispatcher?.stop();
  });
  return app;
}
