import { topics } from '@huijie/contracts/topics.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { EngineSubscription } from '@huijie/event-bus/engine.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import type { Metrics } from '@huijie/service-kit/metrics.ts';
import type { FastifyInstance } from 'fastify';
import type { DeliveryChannel } from './channels/channel.ts';
import { fileChannel } from './channels/file-channel.ts';
import { type WebhookTarget, webhookChannel } from './channels/webhook-channel.ts';
import { recordAssignmentDeliveries } from './consumers/record-assignment.ts';
import type { NotifyDb } from './db/prisma.ts';
import { type RetrySchedule, startDispatcher } from './dispatch/dispatcher.ts';
import { deliveryRoutes } from './http/delivery-routes.ts';

export interface NotifyDeps {
  db: NotifyDb;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
}

export interface NotifySettings {
  jwtSecret: string;
  webhooks: Map<string, WebhookTarget>;
  outboxFile: string;
  schedule?: RetrySchedule;
}

export const notifyGroup = 'notify';

export function buildNotifyApp(settings: NotifySettings, deps: NotifyDeps): FastifyInstance {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      database: () => deps.db.$queryRaw`SELECT 1`,
      broker: () => deps.bus.engine.ping(),
    },
  });
  deliveryRoutes(app, { db: deps.db, jwtSecret: settings.jwtSecret });

  const channels = new Map<string, DeliveryChannel>(
    [webhookChannel(settings.webhooks), fileChannel(settings.outboxFile)].map((channel) => [
      channel.name,
      channel,
    ]),
  );
  const channelFor = (department: string) => (settings.webhooks.has(department) ? 'webhook' : 'file');

  let subscription: EngineSubscription | undefined;
  let dispatcher: ReturnType<typeof startDispatcher> | undefined;
  app.addHook('onReady', async () => {
    dispatcher = startDispatcher({
      db: deps.db,
      channels,
      logger: deps.logger,
      ...(settings.schedule && { schedule: settings.schedule }),
    });
    subscription = await deps.bus.subscribe({
      group: notifyGroup,
      topics: [topics.assignment],
      handlers: {
        'dispute.assignment.v1': async (decision) => {
          if ((await recordAssignmentDeliveries(deps.db, decision, channelFor)) > 0) dispatcher?.poke();
        },
      },
    });
  });
  app.addHook('preClose', async () => {
    await subscription?.stop();
    await dispatcher?.stop();
  });
  return app;
}
