import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCasesApp } from '@huijie/cases/app.ts';
import { casesDb, migrateCases } from '@huijie/cases/db/prisma.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { openPglite, pgliteClient } from '@huijie/database/sql-client.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import { buildIngest12345App } from '@huijie/ingest-12345/app.ts';
import { buildNotifyApp } from '@huijie/notify/app.ts';
import { migrateNotify, notifyDb } from '@huijie/notify/db/prisma.ts';
import { buildRoutingApp } from '@huijie/routing/app.ts';
import { createRouter } from '@huijie/routing/domain/router.ts';
import { hashPassword } from '@huijie/service-kit/auth-token.ts';
import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import type { FastifyInstance } from 'fastify';
import { demo, type StandaloneConfig } from './config.ts';

export interface Platform {
  /** Edges first: closing them in this order stops intake before the consumers behind it. */
  apps: { name: string; app: FastifyInstance; port: number }[];
  /** Releases the engines and the database; call after every app is closed. */
  release(): Promise<void>;
}

/** The token-signing secret is made once per data directory, so tokens survive a restart. */
function jwtSecretIn(dataDir: string): string {
  const path = join(dataDir, 'jwt-secret');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

/** Builds every service on the embedded engines (one PGlite database, its event log), not yet listening. */
export async function buildPlatform(config: StandaloneConfig): Promise<Platform> {
  mkdirSync(config.DATA_DIR, { recursive: true });
  const pglite = await openPglite(join(config.DATA_DIR, 'pglite'));
  const sql = pgliteClient(pglite);
  await migrateCases(sql);
  await migrateNotify(sql);

  const engine = createEmbeddedEngine(sql);
  const busFor = (service: string, observer: ReturnType<typeof createMetrics>['busObserver']) =>
    createEventBus(engine, { source: `/huijie/${service}`, observer });
  const jwtSecret = jwtSecretIn(config.DATA_DIR);
  const service = (name: string) => ({
    logger: createLogger({ service: name, level: config.LOG_LEVEL }),
    metrics: createMetrics(name),
  });

  const ingest = service('ingest-12345');
  const routing = service('routing');
  const cases = service('cases');
  const notify = service('notify');
  const casesStore = casesDb({ kind: 'pglite', db: pglite });
  const notifyStore = notifyDb({ kind: 'pglite', db: pglite });
  await busFor('standalone', cases.metrics.busObserver).ensureTopics(Object.values(topics));

  await casesStore.operator.upsert({
    where: { username: demo.operator.username },
    create: {
      username: demo.operator.username,
      passwordHash: await hashPassword(demo.operator.password),
      role: demo.operator.role,
      scopeCode: demo.operator.scope,
    },
    update: {},
  });

  const apps = [
    {
      name: 'ingest-12345',
      port: config.INGEST_12345_PORT,
      app: buildIngest12345App(
        { clients: new Map([[demo.hotlineClient.id, demo.hotlineClient.secret]]) },
        {
          bus: busFor('ingest-12345', ingest.metrics.busObserver),
          idempotency: memoryIdempotency(),
          ...ingest,
        },
      ),
    },
    {
      name: 'routing',
      port: config.ROUTING_PORT,
      app: buildRoutingApp({
        bus: busFor('routing', routing.metrics.busObserver),
        router: createRouter(),
        ...routing,
      }),
    },
    {
      name: 'cases',
      port: config.CASES_PORT,
      app: buildCasesApp(
        { jwtSecret },
        { db: casesStore, bus: busFor('cases', cases.metrics.busObserver), ...cases },
      ),
    },
    {
      name: 'notify',
      port: config.NOTIFY_PORT,
      app: buildNotifyApp(
        { jwtSecret, webhooks: new Map(), outboxFile: join(config.DATA_DIR, 'notify-outbox.jsonl') },
        { db: notifyStore, bus: busFor('notify', notify.metrics.busObserver), ...notify },
      ),
    },
  ];
  return {
    apps,
    async release() {
      await engine.close();
      await casesStore.$disconnect();
      await notifyStore.$disconnect();
      await pglite.close();
    },
  };
}
