import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryChannel } from '../channels/channel.ts';
import { webhookChannel } from '../channels/webhook-channel.ts';
import { withdrawFolded } from '../consumers/folded-withdrawal.ts';
import { createRouting } from '../consumers/routing.ts';
import { freshNotifyDb } from '../db/fresh-notify-db.ts';
import { deliveryRoutes } from '../http/delivery-routes.ts';
import { dispatchDue } from './dispatcher.ts';

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
