import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../../test/receivers.ts';
import type { DeliveryChannel } from '../channels/channel.ts';
import { webhookChannel } from '../channels/webhook-channel.ts';
import { withdrawFolded } from '../consumers/folded-withdrawal.ts';
import { createRouting } from '../consumers/routing.ts';
import { freshNotifyDb } from '../db/fresh-notify-db.ts';
import { deliveryRoutes } from '../http/delivery-routes.ts';
import { dispatchDue, startDispatcher } from './dispatcher.ts';

const servers = await requireServers('postgres');
const jwtSecret = 'dispatcher-test-jwt-secret-0123456789abcdef';

describe.runIf(servers)('the dispatcher on PostgreSQL', () => {
  let fresh: Awaited<ReturnType<typeof freshNotifyDb>>;
  beforeAll(async () => {
    fresh = await freshNotifyDb(servers!.databaseUrl!);
  });
  afterAll(() => fresh?.drop());

  it('a channel that throws with a phone number in its message leaves the number out of the attempt, the delivery and the log', async () => {
    const { db } = fresh;
    const phone = '13800001234';
    const delivery = await db.delivery.create({
      data: {
        dedupeKey: randomUUID(),
        kind: 'citizen_notice',
        channel: 'sms',
        recipient: phone,
        payload: {},
      },
    });
    // Adapters answer rather than throw; a bug in one must still not copy what it was sending.
    const broken: DeliveryChannel = {
      name: 'sms',
      send: async (message) => {
        throw new TypeError(`cannot send to ${message.recipient}: template missing`);
      },
    };
    const { logger, lines } = capturedLogger('notify');
    await dispatchDue({
      db,
      channels: new Map([['sms', broken]]),
      logger,
      schedule: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 },
      leaseMs: 30_000,
      batch: 10,
      concurrency: 1,
      perRecipient: 1,
    });
    const after = await db.delivery.findUniqueOrThrow({
      where: { id: delivery.id },
      include: { attemptLog: true },
    });
    expect(after.state).toBe('pending');
    expect(after.attemptLog).toHaveLength(1);
    // What went wrong is still there for the operator replaying it.
    expect(after.attemptLog[0]!.detail).toContain('template missing');
    expect(after.lastError).toContain('template missing');
    for (const text of [after.attemptLog[0]!.detail, after.lastError, ...lines])
      expect(text).not.toContain(phone);
  });

  /**
   * A department's webhook (a real HTTP server) holding an assignment of a dispute. While the
   * first try is in flight the case is merged into another (notify records the withdrawal), then
   * that try fails with a 503. The agency acts on what it is answered 2xx for, in that order.
   */
  async function mergedWhileInFlight(maxAttempts: number) {
    const { db } = fresh;
    const department = `police-${randomUUID().slice(0, 8)}`;
    const disputeId = randomUUID();
    const routing = createRouting({
      webhookDepartments: new Set([department]),
      wechatNotices: 'all',
      hotlineClients: [],
      courtClients: [],
      expressLane: new Map(),
      slaReminderBeforeMs: 3_600_000,
    });
    const assignment = await db.delivery.create({
      data: {
        dedupeKey: `assignment:${disputeId}:v1:${department}`,
        kind: 'assignment',
        channel: 'webhook',
        recipient: department,
        disputeId,
        version: 1,
        divisionCode: '350803105',
        payload: { disputeId, version: 1, role: 'lead' },
      },
    });
    const told: string[] = [];
    let first = true;
    const server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const { kind } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind: string };
      if (first) {
        first = false;
        await withdrawFolded(db, { disputeIds: [disputeId], mergedInto: randomUUID() }, routing);
        response.writeHead(503).end();
        return;
      }
      told.push(kind);
      response.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/hook`;
    const deps = {
      db,
      channels: new Map([['webhook', webhookChannel(new Map([[department, { url, secret: 's' }]]))]]),
      logger: capturedLogger('notify').logger,
      schedule: { maxAttempts, baseDelayMs: 400, maxDelayMs: 400 },
      leaseMs: 30_000,
      batch: 10,
      concurrency: 4,
      perRecipient: 2,
    };
    /** Dispatches until nothing of the dispute is pending or sending. */
    const settle = () =>
      eventually(
        async () => {
          await dispatchDue(deps);
          const left = await db.delivery.count({
            where: { disputeId, state: { in: ['pending', 'sending'] } },
          });
          return left === 0;
        },
        { what: "the dispute's deliveries settled" },
      );
    const close = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    return { assignment, told, settle, close };
  }

  it('an assignment that was in flight when its case was merged, and failed, reaches the department before the withdrawal, not after it', async () => {
    const agency = await mergedWhileInFlight(5);
    try {
      await agency.settle();
    } finally {
      await agency.close();
    }
    // The department's last word on the dispute is that it lost it.
    expect(agency.told).toEqual(['assignment', 'withdrawal']);
  });

  it('a dead assignment whose withdrawal went out after it is not replayed: the department keeps the withdrawal as its last word', async () => {
    const agency = await mergedWhileInFlight(1);
    const app = createServiceApp({
      logger: capturedLogger('notify').logger,
      metrics: createMetrics('notify'),
      readiness: {},
    });
    deliveryRoutes(app, { db: fresh.db, jwtSecret });
    try {
      await agency.settle();
      expect(agency.told).toEqual(['withdrawal']);
      const replay = await app.inject({
        method: 'POST',
        url: `/v1/deliveries/${agency.assignment.id}/replay`,
        headers: {
          authorization: `Bearer ${signToken({ sub: 'op', role: 'admin', scope: '350800' }, jwtSecret)}`,
        },
      });
      expect(replay.statusCode).toBe(409);
      expect(replay.json().error.code).toBe('superseded');
      await agency.settle();
    } finally {
      await agency.close();
      await app.close();
    }
    expect(agency.told).toEqual(['withdrawal']);
    const dead = await fresh.db.delivery.findUniqueOrThrow({ where: { id: agency.assignment.id } });
    expect(dead.state).toBe('failed');
  });
});

describe.runIf(servers)('the send slots, with a receiver that hangs', () => {
  let fresh: Awaited<ReturnType<typeof freshNotifyDb>>;
  beforeAll(async () => {
    fresh = await freshNotifyDb(servers!.databaseUrl!);
  });
  afterAll(() => fresh?.drop());

  it("an agency whose webhook never answers holds 2 of the 8 slots: the others' deliveries go at once, also those recorded while it hangs", async () => {
    const { db } = fresh;
    const sendTimeoutMs = 2_000;
    // The slow agency's endpoint takes each request and never answers; we count how many it holds.
    let holding = 0;
    let mostHeld = 0;
    const slowServer = createServer((_request, response) => {
      holding += 1;
      mostHeld = Math.max(mostHeld, holding);
      response.on('close', () => {
        holding -= 1;
      });
    });
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    const fast = await startReceiver('s');
    const slowUrl = `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/hook`;
    const record = (recipient: string, count: number) =>
      db.delivery.createMany({
        data: Array.from({ length: count }, () => {
          const disputeId = randomUUID();
          return {
            dedupeKey: `assignment:${disputeId}:v1:${recipient}`,
            kind: 'assignment',
            channel: 'webhook',
            recipient,
            disputeId,
            version: 1,
            payload: { disputeId, version: 1, role: 'lead' },
          };
        }),
      });
    // After an outage of the slow agency's: a dozen of its deliveries are due first.
    await record('slow-agency', 12);
    await record('fast-agency', 6);
    const dispatcher = startDispatcher({
      db,
      channels: new Map([
        [
          'webhook',
          webhookChannel(
            new Map([
              ['slow-agency', { url: slowUrl, secret: 's' }],
              ['fast-agency', { url: fast.url, secret: 's' }],
            ]),
            sendTimeoutMs,
          ),
        ],
      ]),
      logger: capturedLogger('notify').logger,
      schedule: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      leaseMs: 30_000,
      batch: 50,
      concurrency: 8,
      perRecipient: 2,
      intervalMs: 50,
    });
    /** Tries of the slow agency's that have ended (each one at the send timeout). */
    const slowTriesEnded = () =>
      db.deliveryAttempt.count({ where: { delivery: { recipient: 'slow-agency' } } });
    try {
      await eventually(() => fast.applied.size === 6, { what: "the fast agency's first six" });
      expect(await slowTriesEnded(), 'the fast agency waited for the slow one to time out').toBe(0);
      // New work while the slow agency still holds its slots: it goes in a free one, now.
      await record('fast-agency', 3);
      dispatcher.poke();
      await eventually(() => fast.applied.size === 9, { what: "the fast agency's next three" });
      expect(await slowTriesEnded(), 'the fast agency waited for the slow one to time out').toBe(0);
      expect(mostHeld).toBe(2);
    } finally {
      await dispatcher.stop();
      await fast.close();
      slowServer.closeAllConnections();
      await new Promise<void>((resolve) => slowServer.close(() => resolve()));
    }
    // The slow agency's two tries were cut at the timeout and wait for their retry; the rest are untouched.
    const slow = await db.delivery.findMany({
      where: { recipient: 'slow-agency' },
      include: { attemptLog: true },
    });
    expect(slow.filter((row) => row.attempts > 0).map((row) => [row.state, row.lastError])).toEqual([
      ['pending', `timed out after ${sendTimeoutMs} ms`],
      ['pending', `timed out after ${sendTimeoutMs} ms`],
    ]);
    expect(await db.delivery.count({ where: { recipient: 'fast-agency', state: 'delivered' } })).toBe(9);
  });
});
