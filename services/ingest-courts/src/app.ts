import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { intakeEventId } from '@huijie/contracts/ids.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import { AppError, badRequest, fieldsOf, forbidden, unavailable } from '@huijie/service-kit/errors.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { IdempotencyStore } from '@huijie/service-kit/idempotency.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import type { Metrics } from '@huijie/service-kit/metrics.ts';
import { enforceRateLimit, type RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { keepRawJsonBody, signedJsonBody } from '@huijie/service-kit/raw-json.ts';
import { abandon, planRevision, type RevisionPlan, recordWritten } from '@huijie/service-kit/revisions.ts';
import { knownClientsOnly, verifySignature } from '@huijie/service-kit/signing.ts';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { z } from 'zod';
import { parseCaseNumber } from './case-number.ts';
import type { IngestCourtsConfig } from './config.ts';
import { courtOf } from './courts.ts';
import { normaliseReferral, referralFingerprint, referralSchema, validateReferral } from './referral.ts';

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
        request.rawBody,
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

      const taken = await takeIn(dispute, deps, request.log);
      const court = courtOf(caseNumber.court);
      referrals.inc({ court: court.slug, result: taken.duplicate ? 'duplicate' : 'accepted' });
      request.log.info(
        {
          clientId,
          court: court.slug,
          caseType: caseNumber.type,
          caseNumber: caseNumber.canonical,
          disputeId: dispute.disputeId,
          revision: taken.revision,
          duplicate: taken.duplicate,
        },
        'referral accepted',
      );
      return reply.status(202).send({
        disputeId: dispute.disputeId,
        duplicate: taken.duplicate,
        revision: taken.revision,
        caseNumber: caseNumber.canonical,
      });
    },
  );
  return app;
}

/**
 * Revision 1 keeps the key referrals had before court updates were taken, so a referral pushed
 * then is still known (its stored value is the dispute id, not a fingerprint: its first re-push
 * becomes revision 2, even if unchanged — an update too many rather than one lost).
 */
export const referralKey = (caseNumber: string, revision: number) =>
  revision === 1 ? `court:${caseNumber}` : `court:${caseNumber}:r${revision}`;

/**
 * Takes one referral in as a new dispute (revision 1), an update of it (revision n + 1: the court
 * moved its deadline, added a party, corrected a claim) or a duplicate of a revision already
 * written, in the order the pushes arrive (`@huijie/service-kit/revisions.ts`). Answers only once
 * the revision's event is durable; otherwise throws the error to answer.
 */
export async function takeIn(
  dispute: DisputeReceivedV1,
  deps: Pick<IngestCourtsDeps, 'bus' | 'idempotency'>,
  log: FastifyBaseLogger,
): Promise<{ revision: number; duplicate: boolean }> {
  const caseNumber = dispute.sourceRef;
  const print = referralFingerprint(dispute);
  let plan: RevisionPlan;
  try {
    plan = await planRevision(deps.idempotency, (n) => referralKey(caseNumber, n), print);
  } catch (error) {
    log.warn({ caseNumber, err: error }, 'store unreachable');
    throw unavailable('the idempotency store is unavailable; retry later', 5);
  }
  switch (plan.kind) {
    case 'duplicate':
    case 'superseded':
      return { revision: plan.revision, duplicate: true };
    case 'busy':
      throw unavailable('the same referral is being written by another request; retry', 1);
    case 'exhausted':
      throw new AppError(
        409,
        'too_many_revisions',
        'this referral already has the most revisions one may have',
        [{ field: 'caseNumber', reason: 'too many updates of one referral' }],
      );
    case 'write':
      break;
    default: {
      const unreachable: never = plan;
      throw new Error(`unknown plan ${JSON.stringify(unreachable)}`);
    }
  }
  const revision = { ...dispute, revision: plan.revision };
  try {
    await deps.bus.publish([
      {
        name: 'dispute.intake.v1',
        key: revision.disputeId,
        data: revision,
        id: intakeEventId(revision.disputeId, revision.revision),
        correlationId: revision.disputeId,
      },
    ]);
  } catch (error) {
    await abandon(deps.idempotency, plan.key);
    // An event that does not fit its contract was refused before anything was written: our bug,
    // a 500 the court should report, not a 503 it would retry for ever.
    if (error instanceof z.ZodError) throw error;
    log.warn({ caseNumber, err: error }, 'referral not written');
    throw unavailable('the event log is unavailable; retry later', 5);
  }
  try {
    await recordWritten(deps.idempotency, plan.key, print);
  } catch (error) {
    // Written but not remembered: a retry writes the same event again (same event id, so
    // consumers drop it) — better than a 202 a retry could not reproduce.
    await abandon(deps.idempotency, plan.key);
    log.warn({ caseNumber, err: error }, 'store unreachable');
    throw unavailable('the idempotency store is unavailable; retry later', 5);
  }
  return { revision: plan.revision, duplicate: false };
}
