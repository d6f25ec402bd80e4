import type { EventBus } from '@huijie/event-bus/bus.ts';
import { parseOr400, unavailable } from '@huijie/service-kit/errors.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import { type IdempotencyStore, onceForKey } from '@huijie/service-kit/idempotency.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import type { Metrics } from '@huijie/service-kit/metrics.ts';
import { keepRawJsonBody } from '@huijie/service-kit/raw-json.ts';
import { verifySignature } from '@huijie/service-kit/signing.ts';
import type { FastifyInstance } from 'fastify';
import { normaliseWorkOrder, WorkOrder } from './work-order.ts';

export interface Ingest12345Deps {
  bus: EventBus;
  idempotency: IdempotencyStore;
  logger: Logger;
  metrics: Metrics;
  /** Readiness of the idempotency store (Redis), when there is one. */
  storeReady?: () => Promise<unknown>;
}

export function buildIngest12345App(
  config: { clients: Map<string, string> },
  deps: Ingest12345Deps,
): FastifyInstance {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { broker: () => deps.bus.engine.ping(), ...(deps.storeReady && { store: deps.storeReady }) },
  });
  keepRawJsonBody(app);

  app.post('/v1/work-orders', async (request, reply) => {
    const { clientId } = verifySignature(request.headers, request.rawBody ?? Buffer.alloc(0), (id) =>
      config.clients.get(id),
    );
    const order = parseOr400(WorkOrder, request.body);
    const dispute = normaliseWorkOrder(order);
    let outcome: Awaited<ReturnType<typeof onceForKey>>;
    try {
      outcome = await onceForKey(deps.idempotency, `12345:${clientId}:${order.orderNo}`, async () => {
        await deps.bus.publish([
          {
            name: 'dispute.intake.v1',
            key: dispute.disputeId,
            data: dispute,
            correlationId: dispute.disputeId,
          },
        ]);
        return dispute.disputeId;
      });
    } catch (error) {
      request.log.warn({ orderNo: order.orderNo, err: (error as Error).message }, 'work order not written');
      throw unavailable('the event log is unavailable; retry later', 5);
    }
    if ('busy' in outcome) throw unavailable('the same order is being written by another request; retry', 1);
    request.log.info(
      { clientId, orderNo: order.orderNo, disputeId: outcome.value, duplicate: outcome.duplicate },
      'work order accepted',
    );
    return reply.status(202).send({ disputeId: outcome.value, duplicate: outcome.duplicate });
  });
  return app;
}
