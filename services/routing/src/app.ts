import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import { topics } from '@huijie/contracts/topics.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import { consumes, createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { consumerLagGauge, type Metrics } from '@huijie/service-kit/metrics.ts';
import type { FastifyInstance } from 'fastify';
import { eventsForCorrection, eventsForDecision } from './assign.ts';
import type { Router } from './domain/router.ts';

export interface RoutingDeps {
  bus: EventBus;
  router: Router;
  logger: Logger;
  metrics: Metrics;
  now?: () => Date;
}

export const routingGroup = 'routing';
/**
 * Disputes routed at once. A decision is microseconds of CPU and then a wait for the broker to
 * acknowledge its events, so many wait together (their events share produce requests); one
 * dispute's events are still handled one at a time, in order.
 */
export const routingConcurrency = 128;

/** Routing has no API of its own: health, readiness and metrics, and its consumer. */
export function buildRoutingApp(deps: RoutingDeps): FastifyInstance {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { broker: () => deps.bus.engine.ping() },
  });
  consumerLagGauge(deps.metrics, deps.bus);
  const now = deps.now ?? (() => new Date());
  consumes(app, () =>
    deps.bus.subscribe({
      group: routingGroup,
      topics: [topics.intake, topics.caseCorrection],
      concurrency: routingConcurrency,
      handlers: {
        'dispute.intake.v1': async (dispute, ctx) => {
          const events = eventsForDecision(deps.router, dispute, now(), { correlationId: ctx.correlationId });
          await deps.bus.publish(events);
          const { lead, triage, jurisdiction, category, trace } = events[0]!.data as DisputeAssignedV1;
          deps.logger.info(
            {
              disputeId: dispute.disputeId,
              lead: lead?.code ?? null,
              triage: triage?.divisionCode ?? null,
              place: jurisdiction.resolution,
              category,
              rules: trace.rules.map((rule) => rule.id),
            },
            'dispute routed',
          );
        },
        'case.correction.v1': async (correction, ctx) => {
          const events = eventsForCorrection(deps.router, correction, now(), ctx.correlationId);
          await deps.bus.publish(events);
          deps.logger.info(
            { caseId: correction.caseId, version: correction.version, events: events.length },
            'case re-routed after a correction',
          );
        },
      },
    }),
  );
  return app;
}
