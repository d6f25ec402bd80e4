import { postgresClient } from '@huijie/database/sql-client.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { hashPassword } from '@huijie/service-kit/auth-token.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { connectRedis } from '@huijie/service-kit/redis.ts';
import { eventually, freshDatabase, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { TcpProxy } from '@huijie/testing/tcp-proxy.ts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCasesApp } from '../app.ts';
import { seedRoutedCase, towns } from '../consumers/routed-case-fixtures.ts';
import { type CasesDb, casesDb, migrateCases } from '../db/prisma.ts';
import { sharedLoginLimiter } from './auth.ts';

const servers = await requireServers('postgres', 'kafka', 'redis');

interface Line {
  level: number;
  msg: string;
  reason?: string;
  err?: unknown;
}

/**
 * The cases service with its PostgreSQL and its Redis each behind a TCP proxy of the test's own,
 * cut (connections destroyed, new ones refused) or stalled to take the server away from it, as an
 * outage or a partition does, while the servers other tests use keep running.
 */
describe.runIf(servers)(
  'cases while PostgreSQL or Redis is away (real servers behind proxies the test cuts)',
  () => {
    let db: CasesDb;
    let dropDatabase: () => Promise<void>;
    let databaseProxy: TcpProxy;
    let redisProxy: TcpProxy;
    let proxiedDb: CasesDb;
    let redis: Redis;
    let shared: Redis;
    let app: FastifyInstance;
    let lines: string[];
    let caseId: string;
    let token: string;
    const prefix = `${uniqueName('cases-outage')}:`;
    const windowMs = 10 * 60_000;
    const logged = (): Line[] => lines.map((line) => JSON.parse(line) as Line);

    const signIn = (username: string, password = 'pw', remoteAddress = '10.7.0.1') =>
      app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username, password }, remoteAddress });
    const readCase = () =>
      app.inject({ url: `/v1/cases/${caseId}`, headers: { authorization: `Bearer ${token}` } });
    const unavailable = {
      error: { code: 'unavailable', message: 'the database is unavailable; retry later', fields: [] },
    };

    beforeAll(async () => {
      const database = await freshDatabase(servers!.databaseUrl!);
      const sql = postgresClient(database.url, { max: 1 });
      await migrateCases(sql);
      await sql.close();
      db = casesDb({ kind: 'postgres', url: database.url });
      dropDatabase = database.drop;
      for (const username of ['city', 'redis-outage', 'neighbour']) {
        await db.operator.create({
          data: { username, passwordHash: await hashPassword('pw'), role: 'operator', scopeCode: '350800' },
        });
      }
      ({ caseId } = await seedRoutedCase(db, { place: towns.jiangshan, content: '工地欠薪两个月' }));

      const postgres = new URL(database.url);
      databaseProxy = new TcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) });
      await databaseProxy.start();
      proxiedDb = casesDb({ kind: 'postgres', url: databaseProxy.rewrite(database.url) });
      const redisUrl = new URL(servers!.redisUrl!);
      redisProxy = new TcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
      await redisProxy.start();

      const captured = capturedLogger('cases');
      lines = captured.lines;
      redis = connectRedis(redisProxy.rewrite(servers!.redisUrl!), {
        logger: captured.logger,
        namespace: undefined,
      });
      await redis.ping();
      shared = new Redis(servers!.redisUrl!);
      const engine = namespaced(
        createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'cases-outage' }),
        uniqueName('cases-outage'),
      );
      // As main.ts builds it, with the relay's and folder's own intervals (200 ms, 1 s).
      app = buildCasesApp(
        {
          jwtSecret: 'x'.repeat(40),
          loginLimits: { perUsernameFromAddress: 1000, perUsername: 3, perAddress: 1000, windowMs },
        },
        {
          db: proxiedDb,
          bus: createEventBus(engine, { source: '/test' }),
          logger: captured.logger,
          metrics: createMetrics('cases-outage'),
          rateLimiter: sharedLoginLimiter(redis, captured.logger, { prefix, probeMs: 200 }),
        },
      );
      await app.ready();
      token = (await signIn('city')).json().token;
    });

    afterAll(async () => {
      await app?.close();
      await proxiedDb?.$disconnect();
      redis?.disconnect();
      shared?.disconnect();
      await databaseProxy?.close();
      await redisProxy?.close();
      await db?.$disconnect();
      await dropDatabase?.();
    });

    it('answers 503 with Retry-After while the database is away, and 200 once it is back; the background loops log once each way', async () => {
      expect((await readCase()).statusCode).toBe(200);
      const before = lines.length;

      await databaseProxy.cut();
      const cutAt = Date.now();
      try {
        const read = await readCase();
        expect(read.statusCode).toBe(503);
        expect(read.json()).toEqual(unavailable);
        expect(read.headers['retry-after']).toBe('5');
        // Signing in reads the operator: the same answer.
        const signedIn = await signIn('city');
        expect(signedIn.statusCode).toBe(503);
        expect(signedIn.json()).toEqual(unavailable);
        expect(signedIn.headers['retry-after']).toBe('5');
        // Long enough for the outbox relay (every 200 ms) to fail a few times in a row.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3_500 - (Date.now() - cutAt))));

        const during = logged().slice(before);
        const requests = during.filter((line) => line.msg === 'request failed: database unavailable');
        expect(requests).toHaveLength(2);
        for (const line of requests) {
          expect(line.level).toBe(40);
          expect(line.reason).toMatch(/Can't reach database server|Connection terminated/);
          expect(line).not.toHaveProperty('err');
        }
        expect(during.filter((line) => line.level >= 50)).toEqual([]);
        // The relay tried again, with backoff (200, 400, 800, 1600 ms…), and said so once, without a stack.
        const relay = during.filter((line) => line.msg.startsWith('outbox relay'));
        expect(relay.map((line) => line.msg)).toEqual([
          'outbox relay failed; retrying with backoff (up to every 3s)',
        ]);
        expect(relay[0]).not.toHaveProperty('err');
      } finally {
        await databaseProxy.restore();
      }
      await eventually(async () => (await readCase()).statusCode === 200, {
        what: 'the case to be readable again',
        timeoutMs: 15_000,
        intervalMs: 200,
      });
      expect((await signIn('city')).statusCode).toBe(200);
      await eventually(
        () =>
          logged().some((line) =>
            /^outbox relay recovered after \d+ failed attempts?, [\d.]+s$/.test(line.msg),
          ),
        { what: "the relay's recovery line", timeoutMs: 10_000, intervalMs: 100 },
      );
      const relayLines = logged()
        .slice(before)
        .filter((line) => line.msg.startsWith('outbox relay'));
      expect(relayLines).toHaveLength(2);
    });

    it('answers 503 for a query whose connection is cut under it', async () => {
      // The database stops answering mid-query (connections kept open), then the connection drops.
      databaseProxy.stall();
      try {
        const reading = readCase();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await databaseProxy.cut();
        const read = await reading;
        expect(read.statusCode).toBe(503);
        expect(read.json()).toEqual(unavailable);
        expect(read.headers['retry-after']).toBe('5');
      } finally {
        await databaseProxy.cut();
        await databaseProxy.restore();
      }
      await eventually(async () => (await readCase()).statusCode === 200, {
        what: 'the case to be readable again',
        timeoutMs: 15_000,
        intervalMs: 200,
      });
    });

    it("signs in while Redis is away, counting this replica's attempts: the limit still holds", async () => {
      // The attempts of a test must fall in one window of the clock (rate-limit.ts counts in fixed windows).
      const left = windowMs - (Date.now() % windowMs);
      if (left < 30_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
      const redisKeys = async () => (await shared.keys(`${prefix}*`)).length;
      expect((await signIn('redis-outage', 'wrong')).statusCode).toBe(401);
      const keysBefore = await redisKeys();
      expect(keysBefore).toBeGreaterThan(0);
      const before = lines.length;

      await redisProxy.cut();
      try {
        // Was: 503 "the rate-limit store is unavailable" for every sign-in.
        const right = await signIn('redis-outage');
        expect(right.statusCode).toBe(200);
        expect(right.json().token).toEqual(expect.any(String));
        // Counted here from the cut: three attempts per username, right or wrong, then 429.
        expect((await signIn('redis-outage', 'wrong')).statusCode).toBe(401);
        expect((await signIn('redis-outage', 'wrong')).statusCode).toBe(401);
        const limited = await signIn('redis-outage');
        expect(limited.statusCode).toBe(429);
        expect(limited.json().error.code).toBe('rate_limited');
        expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(windowMs / 1000);
        expect(limited.body).not.toContain('token');
        // Another account is not locked by it.
        expect((await signIn('neighbour', 'pw', '10.7.0.2')).statusCode).toBe(200);
        const away = logged()
          .slice(before)
          .filter((line) => line.msg.startsWith('sign-in limits'));
        expect(away).toMatchObject([
          {
            level: 40,
            msg: 'sign-in limits: the shared rate-limit store is unreachable; counting in this process alone until it is back',
          },
        ]);
      } finally {
        await redisProxy.restore();
      }
      // Attempts by names nobody has (401) until one reaches Redis again.
      let attempt = 0;
      await eventually(
        async () => {
          expect((await signIn(`nobody-${attempt++}`, 'pw', '10.7.0.3')).statusCode).toBe(401);
          return logged().some((line) =>
            line.msg.startsWith('sign-in limits: the shared rate-limit store is reachable again'),
          );
        },
        { what: 'the sign-in limits to count in Redis again', timeoutMs: 15_000, intervalMs: 100 },
      );
      const counted = await redisKeys();
      expect((await signIn('neighbour', 'wrong', '10.7.0.4')).statusCode).toBe(401);
      expect(await redisKeys()).toBeGreaterThan(counted);
      const all = logged()
        .slice(before)
        .filter((line) => line.msg.startsWith('sign-in limits'));
      expect(all.map((line) => line.level)).toEqual([40, 30]);
    });
  },
);
