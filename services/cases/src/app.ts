import { topics } from '@huijie/contracts/topics.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { EngineSubscription } from '@huijie/event-bus/engine.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import type { Metrics } from '@huijie/service-kit/metrics.ts';
import { serveApiDocs } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { recordAssignment } from './consumers/record-assignment.ts';
import { recordIntake } from './consumers/record-intake.ts';
import type { CasesDb } from './db/prisma.ts';
import { actionRoutes } from './http/action-routes.ts';
import { authRoutes } from './http/auth.ts';
import { caseRoutes } from './http/case-routes.ts';
import { startOutboxRelay } from './outbox/relay.ts';

export interface CasesDeps {
  db: CasesDb;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
}

export const casesGroup = 'cases';

/** The cases service: its API, its consumer of intake and assignment events, and its outbox relay. */
export function buildCasesApp(config: { jwtSecret: string }, deps: CasesDeps): FastifyInstance {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      database: () => deps.db.$queryRaw`SELECT 1`,
      broker: () => deps.bus.engine.ping(),
    },
  });
  serveApiDocs(app, {
    title: 'Huijie cases API',
    version: '1',
    description: "Operators' and agencies' API: search and follow cases in your jurisdiction, act on them.",
  });
  authRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });
  caseRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });
  actionRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });

  let subscription: EngineSubscription | undefined;
  let relay: ReturnType<typeof startOutboxRelay> | undefined;
  app.addHook('onReady', async () => {
    relay = startOutboxRelay({ db: deps.db, bus: deps.bus, logger: deps.logger });
    subscription = await deps.bus.subscribe({
      group: casesGroup,
      topics: [topics.intake, topics.assignment],
      handlers: {
        'dispute.intake.v1': async (event) => {
          await recordIntake(deps.db, event);
          relay?.poke();
        },
        'dispute.assignment.v1': async (event) => {
          await recordAssignment(deps.db, event);
          relay?.poke();
        },
      },
    });
  });
  // Stop taking work before the server and the database go away.
  app.addHook('preClose', async () => {
    await subscription?.stop();
    await relay?.stop();
  });
  return app;
}
