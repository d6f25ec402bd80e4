import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addOperator } from '@huijie/cases/accounts/accounts.ts';
import { buildCasesApp } from '@huijie/cases/app.ts';
import { type CasesDb, casesDb, migrateCases } from '@huijie/cases/db/prisma.ts';
import { hashApiKey } from '@huijie/cases/http/actor.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { openPglite, pgliteClient } from '@huijie/database/sql-client.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { buildIngest12345App } from '@huijie/ingest-12345/app.ts';
import { buildIngestCourtsApp } from '@huijie/ingest-courts/app.ts';
import { type CourtClient, courtClients } from '@huijie/ingest-courts/config.ts';
import { buildIngestWechatApp } from '@huijie/ingest-wechat/app.ts';
import type { ApplicationStore } from '@huijie/ingest-wechat/application/store.ts';
import { buildNotifyApp, type NotifySettings } from '@huijie/notify/app.ts';
import type { WebhookTarget } from '@huijie/notify/channels/webhook-channel.ts';
import { migrateNotify, type NotifyDb, notifyDb } from '@huijie/notify/db/prisma.ts';
import { buildRoutingApp } from '@huijie/routing/app.ts';
import { createRouter } from '@huijie/routing/domain/router.ts';
import { lockDataDir } from '@huijie/service-kit/data-lock.ts';
import type { IdempotencyStore } from '@huijie/service-kit/idempotency.ts';
import { createLogger, type DestinationStream } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { memoryRateLimiter, type RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import type { FastifyInstance } from 'fastify';
import { demo, type StandaloneConfig } from './config.ts';
import { sqlApplicationStore, sqlIdempotency } from './sql-stores.ts';

/** What the services run on: one engine, the services' databases, the idempotency store. */
export interface Infrastructure {
  engine: Engine;
  casesDb: CasesDb;
  notifyDb: NotifyDb;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  /** WeChat applications, so an applicant can follow theirs. */
  applications: ApplicationStore;
  release(): Promise<void>;
}

export interface PlatformSettings {
  ports: {
    ingest12345: number;
    ingestWechat: number;
    ingestCourts: number;
    routing: number;
    cases: number;
    notify: number;
  };
  wechat: { token: string; appId: string; encodingAesKey: string; publicBaseUrl: string };
  jwtSecret: string;
  hotlineClients: Map<string, string>;
  courtClients: ReadonlyMap<string, CourtClient>;
  outboxFile: string;
  /** Agencies that take webhooks, by department code; the others' deliveries go to `outboxFile`. */
  agencyWebhooks?: ReadonlyMap<string, WebhookTarget>;
  /** 12345 systems' 办结反馈 endpoints, by client id; with none, the callbacks go to `outboxFile`. */
  hotlineCallbacks?: ReadonlyMap<string, WebhookTarget>;
  /** Court clients' outcome endpoints, by client id; the others' outcomes go to `outboxFile`. */
  courtCallbacks?: ReadonlyMap<string, WebhookTarget>;
  logLevel: string;
  /** When set, every service's /metrics asks for it as a bearer token. */
  metricsToken?: string | undefined;
  /** Where every service's log lines go (stdout by default); tests capture them here to scan them. */
  logDestination?: DestinationStream;
}

export interface Platform {
  /** Edges first: closing them in this order stops intake before the consumers behind it. */
  apps: { name: string; app: FastifyInstance; port: number }[];
  /** Releases the engine and the databases; call after every app is closed. */
  release(): Promise<void>;
}

/** Every service, composed on the given infrastructure, not yet listening. */
export async function assemblePlatform(infra: Infrastructure, settings: PlatformSettings): Promise<Platform> {
  const service = (name: string) => {
    const metrics = createMetrics(name, { scrapeToken: settings.metricsToken });
    const logger = createLogger({ service: name, level: settings.logLevel }, settings.logDestination);
    return {
      logger,
      metrics,
      bus: createEventBus(infra.engine, { source: `/huijie/${name}`, observer: metrics.busObserver, logger }),
    };
  };
  const ingest = service('ingest-12345');
  const wechat = service('ingest-wechat');
  const courts = service('ingest-courts');
  const routing = service('routing');
  const cases = service('cases');
  const notify = service('notify');
  await ingest.bus.ensureTopics(Object.values(topics));
  const { jwtSecret } = settings;
  const apps = [
    {
      name: 'ingest-12345',
      port: settings.ports.ingest12345,
      app: buildIngest12345App(
        { clients: settings.hotlineClients },
        { ...ingest, idempotency: infra.idempotency, rateLimiter: infra.rateLimiter },
      ),
    },
    {
      name: 'ingest-wechat',
      port: settings.ports.ingestWechat,
      app: buildIngestWechatApp(
        {
          wechat: {
            token: settings.wechat.token,
            appId: settings.wechat.appId,
            encodingAesKey: settings.wechat.encodingAesKey,
            mode: 'compatible',
          },
          publicBaseUrl: settings.wechat.publicBaseUrl,
        },
        {
          ...wechat,
          idempotency: infra.idempotency,
          rateLimiter: infra.rateLimiter,
          applications: infra.applications,
        },
      ),
    },
    {
      name: 'ingest-courts',
      port: settings.ports.ingestCourts,
      app: buildIngestCourtsApp(
        { clients: settings.courtClients, rateLimitPerMinute: 120 },
        { ...courts, idempotency: infra.idempotency, rateLimiter: infra.rateLimiter },
      ),
    },
    {
      name: 'routing',
      port: settings.ports.routing,
      app: buildRoutingApp({ ...routing, router: createRouter() }),
    },
    {
      name: 'cases',
      port: settings.ports.cases,
      app: buildCasesApp({ jwtSecret }, { ...cases, db: infra.casesDb, rateLimiter: infra.rateLimiter }),
    },
    {
      name: 'notify',
      port: settings.ports.notify,
      app: buildNotifyApp(notifySettings(settings), {
        ...notify,
        db: infra.notifyDb,
        rateLimiter: infra.rateLimiter,
      }),
    },
  ];
  return { apps, release: () => infra.release() };
}

/** What notify runs with on the platform: the receivers it calls by signed HTTP, the outbox file for the rest. */
export function notifySettings(settings: PlatformSettings): NotifySettings {
  return {
    jwtSecret: settings.jwtSecret,
    webhooks: settings.agencyWebhooks ?? new Map(),
    hotlineCallbacks: settings.hotlineCallbacks ?? new Map(),
    courtCallbacks: settings.courtCallbacks ?? new Map(),
    outboxFile: settings.outboxFile,
  };
}

/** Standalone mode's infrastructure: one PGlite data directory holds the cases, the deliveries and the event log. */
export async function embeddedInfrastructure(dataDir: string): Promise<Infrastructure> {
  const pglite = await openPglite(join(dataDir, 'pglite'));
  const sql = pgliteClient(pglite);
  await migrateCases(sql);
  await migrateNotify(sql);
  const engine = createEmbeddedEngine(sql);
  const cases = casesDb({ kind: 'pglite', db: pglite });
  const notify = notifyDb({ kind: 'pglite', db: pglite });
  return {
    engine,
    casesDb: cases,
    notifyDb: notify,
    // In the data directory, not in memory: a restart must not forget what ingest acknowledged,
    // nor a citizen's tracking number. (Rate limits may start afresh.)
    idempotency: await sqlIdempotency(sql),
    rateLimiter: memoryRateLimiter(),
    applications: await sqlApplicationStore(sql),
    async release() {
      await engine.close();
      await cases.$disconnect();
      await notify.$disconnect();
      await pglite.close();
    },
  };
}

/** The token-signing secret is made once per data directory, so tokens survive a restart. */
function jwtSecretIn(dataDir: string): string {
  const path = join(dataDir, 'jwt-secret');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

export async function seedDemoOperator(db: CasesDb): Promise<void> {
  // Hashing is slow on purpose: only when the operator is missing, not on every start.
  const existing = await db.operator.findUnique({ where: { username: demo.operator.username } });
  if (existing) return;
  // As the accounts command adds one: announced (operator.access.v1), so notify knows the account
  // and refuses its tokens once it is disabled. One process holds the data directory (lockDataDir).
  await addOperator(db, demo.operator);
}

/**
 * The demo agency's key, so a partner can try the agency side of the API at once. SHA-256 is cheap
 * (no scrypt as for the operator): one upsert, nothing measurable at start.
 */
export async function seedDemoAgencyKey(db: CasesDb): Promise<void> {
  const { key, department } = demo.agencyKey;
  await db.agencyKey.upsert({
    where: { keyHash: hashApiKey(key) },
    create: { keyHash: hashApiKey(key), departmentCode: department.code, label: `${department.name} (demo)` },
    update: {},
  });
}

/** `npm start`: the whole platform on embedded engines with the demo credentials. */
export async function standalonePlatform(config: StandaloneConfig): Promise<Platform> {
  mkdirSync(config.DATA_DIR, { recursive: true });
  lockDataDir(config.DATA_DIR, 'the platform (npm start)');
  const infra = await embeddedInfrastructure(config.DATA_DIR);
  await seedDemoOperator(infra.casesDb);
  await seedDemoAgencyKey(infra.casesDb);
  return assemblePlatform(infra, standaloneSettings(config));
}

/** What `npm start` runs the services with: the demo clients, its data directory, the variables it reads. */
export function standaloneSettings(config: StandaloneConfig): PlatformSettings {
  return {
    ports: {
      ingest12345: config.INGEST_12345_PORT,
      ingestWechat: config.INGEST_WECHAT_PORT,
      ingestCourts: config.INGEST_COURTS_PORT,
      routing: config.ROUTING_PORT,
      cases: config.CASES_PORT,
      notify: config.NOTIFY_PORT,
    },
    jwtSecret: jwtSecretIn(config.DATA_DIR),
    hotlineClients: new Map([[demo.hotlineClient.id, demo.hotlineClient.secret]]),
    courtClients: courtClients([{ ...demo.courtClient, courts: [...demo.courtClient.courts] }]),
    wechat: { ...demo.wechat, publicBaseUrl: config.PUBLIC_BASE_URL },
    outboxFile: join(config.DATA_DIR, 'notify-outbox.jsonl'),
    agencyWebhooks: config.AGENCY_WEBHOOKS,
    hotlineCallbacks: config.HOTLINE_CALLBACKS,
    courtCallbacks: config.COURT_CALLBACKS,
    logLevel: config.LOG_LEVEL,
    metricsToken: config.METRICS_TOKEN,
  };
}
