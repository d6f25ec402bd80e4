import { topics } from '@huijie/contracts/topics.ts';
import { isDatabaseUnavailable } from '@huijie/database/unavailable.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import { clientIp } from '@huijie/service-kit/client-ip.ts';
import { consumes, createServiceApp } from '@huijie/service-kit/http-app.ts';
import type { IdempotencyStore } from '@huijie/service-kit/idempotency.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { consumerLagGauge, type Metrics } from '@huijie/service-kit/metrics.ts';
import { type RateLimiter, rateLimited } from '@huijie/service-kit/rate-limit.ts';
import { isRedisUnavailable } from '@huijie/service-kit/redis.ts';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { applicationRoutes, citizenLimitMessages } from './application/routes.ts';
import type { ApplicationStore } from './application/store.ts';
import { defaultLimits, type IngestWechatSettings } from './config.ts';
import { qrCodeRoutes } from './qrcodes.ts';
import { type TownDirectory, townDirectory } from './towns.ts';
import { pageRoutes } from './web/pages.ts';
import { applicantLinks } from './wechat/applicant-link.ts';
import { wechatEndpoint } from './wechat/endpoint.ts';

export interface IngestWechatDeps {
  bus: EventBus;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  applications: ApplicationStore;
  logger: Logger;
  metrics: Metrics;
  /** Readiness of the stores (Redis), when there is one. */
  storeReady?: () => Promise<unknown>;
  towns?: TownDirectory;
  now?: () => Date;
  /** Follow case.status.v1 so an applicant can see the case's progress (default on). */
  followCaseStatus?: boolean;
}

/** The consumer group that keeps the applications' statuses. */
export const ingestWechatGroup = 'ingest-wechat';

/**
 * The WeChat channel: the official account's server endpoint, the citizen's application form
 * and API, and the townships' QR codes. Built, never listening: only main.ts owns the process.
 */
export function buildIngestWechatApp(
  settings: IngestWechatSettings,
  deps: IngestWechatDeps,
): FastifyInstance {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { broker: () => deps.bus.engine.ping(), ...(deps.storeReady && { store: deps.storeReady }) },
    bodyLimit: 256 * 1024,
  });
  // It follows case status for the tracking page: how far behind that consumer is.
  consumerLagGauge(deps.metrics, deps.bus);
  const towns = deps.towns ?? townDirectory();
  const now = deps.now ?? (() => new Date());
  const applyUrl = (townCode?: string, wechatRef?: string) => {
    const query = new URLSearchParams();
    if (townCode) query.set('town', townCode);
    if (wechatRef) query.set('wx', wechatRef);
    return `${settings.publicBaseUrl}/apply${query.size > 0 ? `?${query}` : ''}`;
  };
  const links = applicantLinks(`${settings.wechat.appId}:${settings.wechat.token}`);
  const counters = wechatCounters(deps.metrics);
  const limits = { ...defaultLimits, ...settings.limits };

  // The public pages and QR codes, per address: a large PNG costs a quarter of a second of CPU.
  const pages = new Set(['/apply', '/track', '/v1/qrcodes/:file']);
  app.addHook('onRequest', async (request) => {
    if (!pages.has(request.routeOptions.url ?? '')) return;
    const ip = clientIp(request, settings.trustedProxyHops ?? 0);
    const verdict = await deps.rateLimiter
      .hit(`wechat:page:ip:${ip}`, limits.pagesPerIpPer10Min, 600_000)
      .catch((error: Error) => {
        // A page holds nothing to protect: without the store it is served rather than refused.
        request.log.warn({ err: error }, 'page rate limit unavailable; serving anyway');
        return { allowed: true, retryAfterMs: 0 };
      });
    if (!verdict.allowed) throw rateLimited(verdict.retryAfterMs, citizenLimitMessages.limited);
  });

  app.register(wechatEndpoint, {
    wechat: settings.wechat,
    towns,
    applyUrl,
    links,
    idempotency: deps.idempotency,
    now,
    count: (kind, outcome) => counters.messages.inc({ kind, outcome }),
  });
  app.register(applicationRoutes, {
    bus: deps.bus,
    idempotency: deps.idempotency,
    rateLimiter: deps.rateLimiter,
    applications: deps.applications,
    towns,
    links,
    rateKeySecret: `${settings.wechat.appId}:${settings.wechat.token}`,
    limits,
    trustedProxyHops: settings.trustedProxyHops ?? 0,
    now,
    count: (outcome) => counters.applications.inc({ outcome }),
  });
  app.register(qrCodeRoutes, { towns, applyUrl });
  app.register(pageRoutes, { towns, links, now });

  if (deps.followCaseStatus ?? true) {
    consumes(app, () =>
      deps.bus.subscribe({
        group: ingestWechatGroup,
        topics: [topics.caseStatus],
        retry: { transient: applicationStoreUnavailable },
        handlers: {
          'case.status.v1': async (event) => {
            // A case folded into another is "closed", but its reports live on in the case they
            // joined: the applicant keeps their status until that case's next change, never 已办结
            // for a matter in hand.
            if (event.mergedInto) return;
            for (const disputeId of event.disputeIds) {
              const noted = await deps.applications.noteStatus(disputeId, {
                status: event.status,
                at: event.occurredAt,
              });
              if (noted) deps.logger.info({ disputeId, status: event.status }, 'application status noted');
            }
          },
        },
      }),
    );
  }
  return app;
}

/**
 * The statuses are noted in the application store: Redis in the service, the SQL database in
 * standalone mode. While it cannot be reached every status event fails alike, and dead-lettering
 * them would leave the applicants' pages at their old status for good: they wait until it is back.
 */
function applicationStoreUnavailable(error: unknown): boolean {
  return isRedisUnavailable(error) || isDatabaseUnavailable(error);
}

/** Counters on the service's own registry; a second app on the same registry (tests) reuses them. */
function wechatCounters(metrics: Metrics) {
  const counter = (name: string, help: string, labelNames: string[]) =>
    (metrics.registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({ name, help, labelNames, registers: [metrics.registry] });
  return {
    messages: counter('huijie_wechat_messages_total', 'Official-account requests by kind and outcome', [
      'kind',
      'outcome',
    ]),
    applications: counter('huijie_wechat_applications_total', 'Application submissions by outcome', [
      'outcome',
    ]),
  };
}
