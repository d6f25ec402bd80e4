import { casesDb, migrateCases } from '@huijie/cases/db/prisma.ts';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { courtClients } from '@huijie/ingest-courts/config.ts';
import { redisApplicationStore } from '@huijie/ingest-wechat/application/store.ts';
import { migrateNotify, notifyDb } from '@huijie/notify/db/prisma.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { redisIdempotency } from '@huijie/service-kit/idempotency.ts';
import type { DestinationStream } from '@huijie/service-kit/logger.ts';
import { redisRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import {
  assemblePlatform,
  type Infrastructure,
  type Platform,
  seedDemoOperator,
} from '@huijie/standalone/platform.ts';
import { eventually, freshDatabase, type Servers, uniqueName } from '@huijie/testing/servers.ts';
import { Redis } from 'ioredis';
import { expect } from 'vitest';

/** The distributed mode's infrastructure for one test file: its own database, topics, groups and Redis keys. */
export async function kafkaInfrastructure(servers: Partial<Servers>): Promise<Infrastructure> {
  const database = await freshDatabase(servers.databaseUrl!);
  const sql = postgresClient(database.url, { max: 1 });
  await migrateCases(sql);
  await migrateNotify(sql);
  await sql.close();
  const redis = new Redis(servers.redisUrl!);
  const engine = namespaced(
    createKafkaEngine({ brokers: servers.kafkaBrokers!, clientId: 'e2e' }),
    uniqueName('e2e'),
  );
  const cases = casesDb({ kind: 'postgres', url: database.url });
  const notify = notifyDb({ kind: 'postgres', url: database.url });
  return {
    engine,
    casesDb: cases,
    notifyDb: notify,
    idempotency: redisIdempotency(redis, `${uniqueName('e2e')}:`),
    rateLimiter: redisRateLimiter(redis, `${uniqueName('e2e-rate')}:`),
    applications: redisApplicationStore(redis, { prefix: `${uniqueName('e2e-apps')}:` }),
    async release() {
      await engine.close();
      await cases.$disconnect();
      await notify.$disconnect();
      redis.disconnect();
      await database.drop();
    },
  };
}

/** A case as GET /v1/cases/:id answers it (the fields these tests read). */
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON, checked field by field by the tests
export type CaseDetail = { caseId: string; [field: string]: any };

export const e2eClient = { id: 'e2e-12345', secret: 'e2e-secret-123' };

/** A mainland mobile number, or an 18-character resident ID number, standing alone. */
const personalPatterns = [
  // Not inside a longer run of letters and digits (a request id, a UUID: 18767586881a is hex).
  /(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])/,
  /(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/,
];

/**
 * Every log line the platform writes, kept in memory, and the check that none of them carries
 * personal data: no mobile or ID-card number, and none of the names a test pushed.
 */
export function logScan() {
  const lines: string[] = [];
  const names = new Set<string>();
  const destination: DestinationStream = {
    write(chunk: string) {
      lines.push(...chunk.split('\n').filter((line) => line.length > 0));
    },
  };
  return {
    destination,
    lines,
    /** Fails the test with the offending lines; also when nothing was logged, so that the scan is never vacuous. */
    assertClean(pushedNames: string[] = []) {
      for (const name of pushedNames) names.add(name);
      expect(lines.length, 'the platform wrote no log line: the capture is broken').toBeGreaterThan(0);
      const leaks = lines.filter(
        (line) =>
          personalPatterns.some((pattern) => pattern.test(line)) || [...names].some((n) => line.includes(n)),
      );
      expect(leaks, 'log lines with a phone number, an ID number or a pushed name').toEqual([]);
    },
  };
}

/** The whole platform on `infra`, ready, with the demo operator; HTTP through `app(name).inject`. */
export async function readyPlatform(infra: Infrastructure, outboxFile: string) {
  await seedDemoOperator(infra.casesDb);
  const logs = logScan();
  const platform: Platform = await assemblePlatform(infra, {
    ports: { ingest12345: 0, ingestWechat: 0, ingestCourts: 0, routing: 0, cases: 0, notify: 0 },
    wechat: {
      token: 'e2etoken',
      appId: 'wxe2e0000000000000',
      encodingAesKey: 'HuijieDemoEncodingAesKey0123456789abcdefghi',
      publicBaseUrl: 'http://127.0.0.1:8102',
    },
    jwtSecret: 'e2e-jwt-secret-0123456789abcdef0123',
    hotlineClients: new Map([[e2eClient.id, e2eClient.secret]]),
    courtClients: courtClients([{ id: 'e2e-court', secret: 'e2e-secret-123', courts: ['闽0803'] }]),
    outboxFile,
    // Everything down to debug, into memory: each test then scans it for personal data.
    logLevel: 'debug',
    logDestination: logs.destination,
  });
  for (const { app } of platform.apps) await startConsuming(app);
  const app = (name: string) => platform.apps.find((entry) => entry.name === name)!.app;
  const login = await app('cases').inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { username: 'demo-operator', password: 'demo-password' },
  });
  const auth = { authorization: `Bearer ${login.json().token}` };
  /** The case a dispute belongs to, read as an operator, once `until` holds for it. */
  const caseOf = (disputeId: string, until: (detail: CaseDetail) => boolean, what = 'the case') =>
    eventually<CaseDetail>(
      async () => {
        const found = await app('cases').inject({ url: `/v1/disputes/${disputeId}`, headers: auth });
        if (found.statusCode !== 200) return undefined;
        const detail = (
          await app('cases').inject({ url: `/v1/cases/${found.json().caseId}`, headers: auth })
        ).json();
        return until(detail) ? detail : undefined;
      },
      { what, timeoutMs: 30_000 },
    );
  return {
    platform,
    app,
    auth,
    caseOf,
    logs,
    async close() {
      for (const { app: each } of platform.apps) await each.close();
      await platform.release();
    },
  };
}
