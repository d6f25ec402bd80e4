import { topics } from '@huijie/contracts/topics.ts';
import { isDatabaseUnavailable } from '@huijie/database/unavailable.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import { consumes, createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { consumerLagGauge, type Metrics, sampledGauge } from '@huijie/service-kit/metrics.ts';
import { memoryRateLimiter, type RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { serveApiDocs } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { type CasesEvent, recordEvents } from './consumers/record-events.ts';
import { groupCommit } from './db/group-commit.ts';
import { startIdempotencyKeyPruning } from './db/idempotency-keys.ts';
import type { CasesDb } from './db/prisma.ts';
import { actionRoutes } from './http/action-routes.ts';
import { authRoutes, type LoginLimits } from './http/auth.ts';
import { bulkRoutes } from './http/bulk-routes.ts';
import { caseRoutes } from './http/case-routes.ts';
import { overviewRoutes } from './http/overview-routes.ts';
import { searchRoutes } from './http/search-routes.ts';
import { statsRoutes } from './http/stats-routes.ts';
import { startOutboxPruning, startOutboxRelay } from './outbox/relay.ts';
import { startSlaSweeper } from './sla/sla-sweeper.ts';
import { startStatsFolder } from './stats/fold.ts';

export interface CasesDeps {
  db: CasesDb;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
  /** Counts sign-in attempts; shared (Redis) by several replicas, else each process counts its own. */
  rateLimiter?: RateLimiter;
}

export const casesGroup = 'cases';
/** Events in flight at once, and so the largest batch one transaction records (see groupCommit). */
const consumerConcurrency = 256;

/** The cases service: its API, its consumer of intake and assignment events, its outbox relay (and pruning) and its statistics folder. */
export interface CasesSettings {
  jwtSecret: string;
  /** After the due time, each such period of further delay moves the case one level up the express lane. */
  slaPeriodMs?: number;
  /** How long before its deadline the lead is reminded on its agency status topic. */
  slaDueSoonMs?: number;
  slaSweepIntervalMs?: number;
  /** How often the changes to the statistics are folded into the sums (readers count them either way). */
  statsFoldIntervalMs?: number;
  /** How often the outbox relay looks for events nobody announced (commits poke it). */
  outboxPollMs?: number;
  /** Sign-in attempts per username and per address; defaults in `http/auth.ts`. */
  loginLimits?: LoginLimits;
  /** Proxies in front that append to X-Forwarded-For (client-ip.ts): the sign-in limits' addresses. */
  trustedProxyHops?: number;
}

export function buildCasesApp(config: CasesSettings, deps: CasesDeps): FastifyInstance {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      database: () => deps.db.$queryRaw`SELECT 1`,
      broker: () => deps.bus.engine.ping(),
    },
  });
  consumerLagGauge(deps.metrics, deps.bus);
  // A relay that stopped publishing shows here first: events committed with a case change, not yet on the topic.
  const outbox = async () =>
    (
      await deps.db.$queryRaw<{ n: number; age: number | null }[]>`
        SELECT count(*)::int AS n, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age
        FROM cases.outbox WHERE published_at IS NULL`
    )[0]!;
  sampledGauge(deps.metrics, 'huijie_outbox_unpublished', 'Outbox events not yet published', [], async () => [
    { value: (await outbox()).n },
  ]);
  sampledGauge(
    deps.metrics,
    'huijie_outbox_oldest_unpublished_age_seconds',
    'Age of the oldest outbox event not yet published (0 when none)',
    [],
    async () => [{ value: (await outbox()).age ?? 0 }],
  );
  // A routing service that stopped shows here: its own lag disappears with it, the cases it has not
  // decided on wait at "received". Aged from the arrival of the report that opened the case (its
  // row's created_at): a case's own created_at is when the channel received it, years ago for an
  // imported record. Through the status index, then each case's reports (few at "received").
  sampledGauge(
    deps.metrics,
    'huijie_cases_oldest_unrouted_age_seconds',
    'Age of the oldest case still waiting for routing\'s first decision (status "received"), from its arrival (0 when none)',
    [],
    async () => [
      {
        value:
          (
            await deps.db.$queryRaw<{ age: number | null }[]>`
              SELECT EXTRACT(EPOCH FROM now() - min(r.created_at))::float8 AS age
              FROM cases.cases c JOIN cases.reports r ON r.case_id = c.id
              WHERE c.status = 'received'`
          )[0]?.age ?? 0,
      },
    ],
  );
  serveApiDocs(app, {
    title: 'Huijie cases API',
    version: '1',
    description: "Operators' and agencies' API: search and follow cases in your jurisdiction, act on them.",
  });
  authRoutes(app, {
    db: deps.db,
    jwtSecret: config.jwtSecret,
    rateLimiter: deps.rateLimiter ?? memoryRateLimiter(),
    ...(config.loginLimits && { loginLimits: config.loginLimits }),
    trustedProxyHops: config.trustedProxyHops ?? 0,
  });
  caseRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });
  searchRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });
  bulkRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });
  statsRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });
  actionRoutes(app, { db: deps.db, jwtSecret: config.jwtSecret });
  overviewRoutes(app);

  let relay: ReturnType<typeof startOutboxRelay> | undefined;
  let sla: ReturnType<typeof startSlaSweeper> | undefined;
  let folder: ReturnType<typeof startStatsFolder> | undefined;
  let pruning: ReturnType<typeof startOutboxPruning> | undefined;
  let keyPruning: ReturnType<typeof startIdempotencyKeyPruning> | undefined;
  app.addHook('onReady', async () => {
    relay = startOutboxRelay({
      db: deps.db,
      bus: deps.bus,
      logger: deps.logger,
      ...(config.outboxPollMs !== undefined && { intervalMs: config.outboxPollMs }),
    });
    pruning = startOutboxPruning({ db: deps.db, logger: deps.logger });
    keyPruning = startIdempotencyKeyPruning({ db: deps.db, logger: deps.logger });
    folder = startStatsFolder({
      db: deps.db,
      logger: deps.logger,
      ...(config.statsFoldIntervalMs !== undefined && { intervalMs: config.statsFoldIntervalMs }),
    });
    sla = startSlaSweeper({
      db: deps.db,
      logger: deps.logger,
      periodMs: config.slaPeriodMs ?? 72 * 3600 * 1000,
      dueSoonMs: config.slaDueSoonMs ?? 24 * 3600 * 1000,
      intervalMs: config.slaSweepIntervalMs ?? 60_000,
      poke: () => relay?.poke(),
    });
  });
  // The events handled at once are recorded together, a transaction per batch.
  const record = groupCommit((events: CasesEvent[]) => recordEvents(deps.db, events, deps.logger), {
    maxBatch: consumerConcurrency,
    transient: isDatabaseUnavailable,
  });
  consumes(app, () =>
    deps.bus.subscribe({
      group: casesGroup,
      topics: [topics.intake, topics.assignment],
      concurrency: consumerConcurrency,
      handlers: {
        'dispute.intake.v1': async (event) => {
          await record({ name: 'dispute.intake.v1', data: event });
          relay?.poke();
        },
        'dispute.assignment.v1': async (event) => {
          await record({ name: 'dispute.assignment.v1', data: event });
          relay?.poke();
        },
      },
    }),
  );
  // An action's events are in the outbox when it answers: they go out now, not at the next poll.
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && reply.statusCode < 300) relay?.poke();
  });
  // Stop taking work before the server and the database go away (the consumer stops first).
  app.addHook('preClose', async () => {
    await sla?.stop();
    await relay?.stop();
    await folder?.stop();
    await pruning?.stop();
    await keyPruning?.stop();
  });
  return app;
}
