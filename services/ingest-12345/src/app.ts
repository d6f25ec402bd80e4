import type { EventBus } from '@huijie/event-bus/bus.ts';
import {
  AppError,
  absentIsRequired,
  badRequest,
  type ErrorBody,
  type FieldProblem,
  fieldsOf,
} from '@huijie/service-kit/errors.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { IdempotencyStore } from '@huijie/service-kit/idempotency.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import type { Metrics } from '@huijie/service-kit/metrics.ts';
import { enforceRateLimit, memoryRateLimiter, type RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { keepRawJsonBody, signedJsonBody } from '@huijie/service-kit/raw-json.ts';
import { knownClientsOnly, verifySignature } from '@huijie/service-kit/signing.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { defaultRateLimitPerMinute, type Ingest12345Settings } from './config.ts';
import { type Outcome, takeIn } from './intake.ts';
import { type WorkOrder, workOrderSchema } from './work-order.ts';

export interface Ingest12345Deps {
  bus: EventBus;
  idempotency: IdempotencyStore;
  logger: Logger;
  metrics: Metrics;
  /**
   * Per-client limits, shared by every replica when it is Redis. Without one, each process
   * counts for itself (fine for one process; replicas need the shared one).
   */
  rateLimiter?: RateLimiter;
  /** Readiness of the idempotency store (Redis), when there is one. */
  storeReady?: () => Promise<unknown>;
  /** How long a push waits for a concurrent push of the same order before answering 503. */
  concurrentWaitMs?: number;
  /** The clock: signatures' time window and how far ahead a 受理时间 may be are judged by it. */
  now?: () => Date;
}

/** Orders in one batch push. */
export const maxBatchOrders = 500;
/** One order is at most ~60 KB of UTF-8 (20,000 Chinese characters of content): 1 MiB is plenty. */
const singleBodyLimit = 1024 * 1024;
/** 500 orders of ~32 KB each; a batch of long orders beyond that is split by the client. */
const batchBodyLimit = 16 * 1024 * 1024;

/** One item of a batch answer. */
export interface BatchItemResult {
  index: number;
  /** The item's order number as sent, when it sent a string (cut to 64 characters). */
  orderNo: string | null;
  status: 202 | 400 | 409 | 503;
  disputeId?: string;
  duplicate?: boolean;
  revision?: number;
  /** Acknowledged but not written: a newer state of the order (more 催办) was already taken. */
  superseded?: true;
  error?: ErrorBody['error'];
}

export function buildIngest12345App(settings: Ingest12345Settings, deps: Ingest12345Deps): FastifyInstance {
  const rateLimiter = deps.rateLimiter ?? memoryRateLimiter();
  const now = deps.now ?? (() => new Date());
  const workOrder = workOrderSchema(now);
  // A required field missing (or null) is named as required, in a single push and a batch item alike.
  const parseOrder = (body: unknown) => workOrder.safeParse(body, { error: absentIsRequired });
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { broker: () => deps.bus.engine.ping(), ...(deps.storeReady && { store: deps.storeReady }) },
    bodyLimit: singleBodyLimit,
  });
  keepRawJsonBody(app);
  const counted = new Counter({
    name: 'huijie_hotline_work_orders_total',
    help: '12345 work orders by what became of them: accepted (new dispute), updated (new revision), duplicate, rejected (answered 4xx: invalid, unknown client, bad signature, not JSON, too large, over the rate limit; a batch refused whole counts once), unavailable (5xx, mostly 503: not written, to be pushed again)',
    labelNames: ['result'],
    registers: [deps.metrics.registry],
  });
  /** A push or batch item answered with an error: not written and to be pushed again (5xx), or refused (4xx). */
  const refusedAs = (status: number) => (status >= 500 ? 'unavailable' : 'rejected');
  const count = (outcome: Outcome | { status: 400 }) => {
    if (outcome.status === 202)
      counted.inc({
        result: outcome.duplicate ? 'duplicate' : outcome.revision > 1 ? 'updated' : 'accepted',
      });
    else counted.inc({ result: refusedAs(outcome.status) });
  };

  // The batch route reads up to 16 MiB before the signature can be checked.
  const knownClients = knownClientsOnly((id) => settings.clients.has(id));
  /**
   * A push answered with an error, counted once whatever refused it (the client, the signature, the
   * body, the rate limit, the order, the store). A batch's items are counted by its handler; the
   * batch itself only when it is refused whole.
   */
  const countRefused = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (reply.statusCode >= 400) counted.inc({ result: refusedAs(reply.statusCode) });
    done();
  };
  const pushRoute = { onRequest: knownClients, onResponse: countRefused };

  /** Signature, then the client's rate limit: the checks every push passes before its body is parsed. */
  async function admit(request: FastifyRequest): Promise<string> {
    // Signatures cover the JSON bytes as sent; any other body would only fail them with a misleading reason.
    if (request.rawBody === undefined)
      throw new AppError(415, 'unsupported_media_type', 'the body must be application/json', [
        { field: 'content-type', reason: 'must be application/json' },
      ]);
    const { clientId } = verifySignature(
      request.headers,
      request.rawBody,
      (id) => settings.clients.get(id),
      Math.floor(now().getTime() / 1000),
    );
    const limit =
      settings.rateLimits?.get(clientId) ?? settings.rateLimitPerMinute ?? defaultRateLimitPerMinute;
    await enforceRateLimit(rateLimiter, `12345:${clientId}`, limit, 60_000);
    return clientId;
  }

  const intake = (clientId: string, request: FastifyRequest) => ({
    clientId,
    bus: deps.bus,
    store: deps.idempotency,
    log: request.log,
    ...(deps.concurrentWaitMs !== undefined && { waitMs: deps.concurrentWaitMs }),
  });

  app.post('/v1/work-orders', pushRoute, async (request, reply) => {
    const clientId = await admit(request);
    const parsed = parseOrder(signedJsonBody(request));
    if (!parsed.success) throw badRequest(fieldsOf(parsed.error));
    const [outcome] = (await takeIn([parsed.data], intake(clientId, request))) as [Outcome];
    if (outcome.status !== 202) {
      throw new AppError(
        outcome.status,
        outcome.error.code,
        outcome.error.message,
        outcome.error.fields,
        outcome.retryAfterSeconds ? { 'retry-after': String(outcome.retryAfterSeconds) } : {},
      );
    }
    count(outcome);
    request.log.info(
      {
        clientId,
        orderNo: parsed.data.orderNo,
        disputeId: outcome.disputeId,
        revision: outcome.revision,
        duplicate: outcome.duplicate,
      },
      'work order accepted',
    );
    return reply.status(202).send({
      disputeId: outcome.disputeId,
      duplicate: outcome.duplicate,
      revision: outcome.revision,
      ...(outcome.superseded && { superseded: true }),
    });
  });

  app.post(
    '/v1/work-orders/batch',
    { bodyLimit: batchBodyLimit, onRequest: knownClients, onResponse: countRefused },
    async (request, reply) => {
      const clientId = await admit(request);
      const orders = ordersOf(signedJsonBody(request));
      const results: BatchItemResult[] = orders.map((item, index) => ({
        index,
        orderNo: orderNoOf(item),
        status: 400,
      }));
      const valid: { index: number; order: WorkOrder }[] = [];
      orders.forEach((item, index) => {
        const parsed = parseOrder(item);
        if (parsed.success) valid.push({ index, order: parsed.data });
        else {
          count({ status: 400 });
          results[index]!.error = {
            code: 'invalid_request',
            message: 'the order is not valid',
            fields: fieldsOf(parsed.error),
          };
        }
      });
      const outcomes = await takeIn(
        valid.map(({ order }) => order),
        intake(clientId, request),
      );
      let retryAfter = 0;
      valid.forEach(({ index }, position) => {
        const outcome = outcomes[position]!;
        count(outcome);
        const result = results[index]!;
        result.status = outcome.status;
        if (outcome.status === 202) {
          result.disputeId = outcome.disputeId;
          result.duplicate = outcome.duplicate;
          result.revision = outcome.revision;
          if (outcome.superseded) result.superseded = true;
        } else {
          result.error = outcome.error;
          retryAfter = Math.max(retryAfter, outcome.retryAfterSeconds ?? 0);
        }
      });
      const tally = (status: number) => results.filter((result) => result.status === status).length;
      const summary = {
        accepted: results.filter((result) => result.status === 202 && !result.duplicate).length,
        duplicates: results.filter((result) => result.duplicate === true).length,
        rejected: tally(400) + tally(409),
        unavailable: tally(503),
      };
      request.log.info({ clientId, orders: orders.length, ...summary }, 'work order batch answered');
      // Per-item answers: the batch itself was taken. Items answered 503 are to be pushed again.
      if (retryAfter > 0) reply.header('retry-after', String(retryAfter));
      return reply.status(200).send({ results, summary });
    },
  );
  return app;
}

/** The batch's orders, or a 400 for the whole request when there is no list to answer item by item. */
function ordersOf(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest([{ field: '(body)', reason: 'must be an object {"orders": [...]}' }]);
  const problem = (reason: string): FieldProblem[] => [{ field: 'orders', reason }];
  const { orders } = body as { orders?: unknown };
  if (!Array.isArray(orders)) throw badRequest(problem('must be an array of work orders'));
  if (orders.length === 0) throw badRequest(problem('must hold at least one order'));
  if (orders.length > maxBatchOrders)
    throw badRequest(problem(`at most ${maxBatchOrders} orders per batch; split it`));
  return orders;
}

/** The order number an item claims, valid or not, so that the client can match the answer to its order. */
function orderNoOf(item: unknown): string | null {
  const orderNo = (item as { orderNo?: unknown } | null)?.orderNo;
  return typeof orderNo === 'string' ? orderNo.slice(0, 64) : null;
}
