import type { EventBus } from '@huijie/event-bus/bus.ts';
import { AppError, badRequest, fieldsOf, forbidden, unavailable } from '@huijie/service-kit/errors.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import { type IdempotencyStore, onceForKey } from '@huijie/service-kit/idempotency.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import type { Metrics } from '@huijie/service-kit/metrics.ts';
import { enforceRateLimit, type RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { keepRawJsonBody, signedJsonBody } from '@huijie/service-kit/raw-json.ts';
import { knownClientsOnly, verifySignature } from '@huijie/service-kit/signing.ts';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { parseCaseNumber } from './case-number.ts';
import type { IngestCourtsConfig } from './config.ts';
import { courtOf } from './courts.ts';
import { intakeEventId, normaliseReferral, referralSchema, validateReferral } from './referral.ts';

export interface IngestCourtsDeps {
  bus: EventBus;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  logger: Logger;
  metrics: Metrics;
  /** Readiness of the idempotency store (Redis), when there is one. */
  storeReady?: () => Promise<unknown>;
  /** The clock: signatures' time window, case-number years and dates are judged by it. */
  now?: () => Date;
}

/**
 * A case number is a court's own unique id, so it is remembered far longer than a hotline order:
 * a court that re-pushes a referral months later still gets the same answer. (Past this, cases
 * still drops the repeat: the dispute id is the same and reports are unique by it.)
 */
const rememberMs = 400 * 24 * 3600_000;

export function buildIngestCourtsApp(config: IngestCourtsConfig, deps: IngestCourtsDeps): FastifyInstance {
  const now = deps.now ?? (() => new Date());
  const schema = referralSchema(now);
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { broker: () => deps.bus.engine.ping(), ...(deps.storeReady && { store: deps.storeReady }) },
  });
  keepRawJsonBody(app);
  const referrals = new Counter({
    name: 'huijie_court_referrals_total',
    help: 'Court referrals answered 202, by court and whether they were repeats',
    labelNames: ['court', 'result'],
    registers: [deps.metrics.registry],
  });

  app.post(
    '/v1/referrals',
    { onRequest: knownClientsOnly((id) => config.clients.has(id)) },
    async (request, reply) => {
      const at = now();
      // Signatures cover the JSON bytes as sent; any other body would only fail them with a misleading reason.
      if (request.rawBody === undefined)
        throw new AppError(415, 'unsupported_media_type', 'the body must be application/json', [
          { field: 'content-type', reason: 'must be application/json' },
        ]);
      const { clientId } = verifySignature(
        request.headers,
        request.rawBody ?? Buffer.alloc(0),
        (id) => config.clients.get(id)?.secret,
        Math.floor(at.getTime() / 1000),
      );
      const client = config.clients.get(clientId)!;
      await enforceRateLimit(deps.rateLimiter, `court:${clientId}`, config.rateLimitPerMinute, 60_000);
      const body = signedJsonBody(request);

      // Who may speak for the court is decided before anything else about the referral is judged.
      const claimed = parseCaseNumber((body as { caseNumber?: unknown } | null)?.caseNumber, at);
      if (claimed.ok && !client.courts.has(claimed.value.court)) {
        throw forbidden(`client ${clientId} may not refer cases of court ${claimed.value.court}`);
      }
      const checked = validateReferral(schema, body, at);
      if (!checked.ok) throw badRequest(fieldsOf(checked.error));
      const { caseNumber } = checked.value;
      const dispute = normaliseReferral(checked.value, { clientId, receivedAt: at });

      let outcome: Awaited<ReturnType<typeof onceForKey>>;
      try {
        outcome = await onceForKey(
          deps.idempotency,
          `court:${caseNumber.canonical}`,
          async () => {
            await deps.bus.publish([
              {
                name: 'dispute.intake.v1',
                key: dispute.disputeId,
                data: dispute,
                id: intakeEventId(dispute.disputeId),
                correlationId: dispute.disputeId,
              },
            ]);
            return dispute.disputeId;
          },
          { ttlMs: rememberMs },
        );
      } catch (error) {
        request.log.warn({ caseNumber: caseNumber.canonical, err: error }, 'referral not written');
        throw unavailable('the event log is unavailable; retry later', 5);
      }
      if ('busy' in outcome)
        throw unavailable('the same referral is being written by another request; retry', 1);
      const court = courtOf(caseNumber.court);
      referrals.inc({ court: court.slug, result: outcome.duplicate ? 'duplicate' : 'accepted' });
      request.log.info(
        {
          clientId,
          court: court.slug,
          caseType: caseNumber.type,
          caseNumber: caseNumber.canonical,
          disputeId: outcome.value,
          duplicate: outcome.duplicate,
        },
        'referral accepted',
      );
      return reply
        .status(202)
        .send({ disputeId: outcome.value, duplicate: outcome.duplicate, caseNumber: caseNumber.canonical });
    },
  );
  return app;
}
