import type { ChildProcess } from 'node:child_process';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NotifyDb, notifyDb } from '../src/db/prisma.ts';
import { assignment, departments, dispute } from './events.ts';
import { type ChildSettings, kill, openWorld, spawnNotify, type World } from './harness.ts';
import { failFirst, type Receiver, startReceiver } from './receivers.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');
const secret = 'agency-webhook-secret-0123456789';

/**
 * Notify in its own process, killed with SIGKILL (no shutdown hooks, nothing finished), then
 * started again on the same database and Kafka group: what a crash and a supervisor's restart do.
 */
describe.runIf(servers)(
  'notify killed and restarted (separate processes, Kafka + PostgreSQL + Redis)',
  () => {
    let world: World;
    let receiver: Receiver;
    const children: ChildProcess[] = [];
    const depts = departments(uniqueName('r'));
    let notify: NotifyDb;
    const settings = (overrides: Partial<ChildSettings>): ChildSettings => ({
      webhooks: [[depts.police.code, { url: receiver.url, secret }]],
      schedule: { maxAttempts: 6, baseDelayMs: 2_000, maxDelayMs: 4_000 },
      sendTimeoutMs: 1_000,
      dispatch: { intervalMs: 100, leaseMs: 3_000 },
      ...overrides,
    });
    const start = async (overrides: Partial<ChildSettings> = {}) => {
      const child = await spawnNotify(world, settings(overrides));
      children.push(child);
      return child;
    };

    beforeAll(async () => {
      world = await openWorld(servers!);
      receiver = await startReceiver(secret);
      // Warmed here: a Prisma client's first query loads its engine and blocks this process (and
      // so the receiver it hosts) for a moment, which a test must not mistake for a slow receiver.
      notify = notifyDb({ kind: 'postgres', url: world.databaseUrl });
      await notify.delivery.count();
    });
    afterEach(async () => {
      for (const child of children.splice(0)) await kill(child);
    });
    afterAll(async () => {
      await notify?.$disconnect();
      await receiver?.close();
      await world?.release();
    });

    it('killed mid-retry, during the backoff: the restarted notify completes the delivery, once', async () => {
      receiver.behave(failFirst(2));
      receiver.requests.length = 0;
      receiver.applied.clear();
      const first = await start();
      const report = dispute();
      await world.publisher.publish([
        {
          name: 'dispute.assignment.v1',
          key: report.disputeId,
          data: assignment(report, { lead: depts.police }),
        },
      ]);
      // The first try has failed and is recorded; the next one waits out its backoff (1–2 s).
      const waiting = await eventually(
        async () => {
          const row = await notify.delivery.findFirst({
            where: { disputeId: report.disputeId, recipient: depts.police.code },
          });
          return row?.state === 'pending' && row.attempts === 1 ? row : undefined;
        },
        { what: 'the first failed try', timeoutMs: 30_000 },
      );
      await kill(first);
      const killedAt = Date.now();

      await start();
      const done = await eventually(
        async () => {
          const row = await notify.delivery.findUnique({
            where: { id: waiting.id },
            include: { attemptLog: { orderBy: { id: 'asc' } } },
          });
          return row?.state === 'delivered' ? row : undefined;
        },
        { what: 'the delivery after the restart', timeoutMs: 30_000 },
      );
      expect(done.attemptLog.map((attempt) => [attempt.statusCode, attempt.detail])).toEqual([
        [503, 'HTTP 503'],
        [503, 'HTTP 503'],
        [200, 'HTTP 200'],
      ]);
      const tries = receiver.requests.filter((request) => request.deliveryId === waiting.id);
      expect(tries).toHaveLength(3);
      expect(tries[1]!.at).toBeGreaterThan(killedAt);
      expect([...receiver.applied.keys()]).toEqual([waiting.id]);
      expect(receiver.duplicates).toHaveLength(0);
      // The restarted consumer may read the assignment again (its offset may not have been
      // committed before the kill): still one delivery.
      expect(
        await notify.delivery.count({ where: { disputeId: report.disputeId, kind: 'assignment' } }),
      ).toBe(1);
    });

    it('killed after the receiver took the delivery but before notify recorded it: the retry carries the same id, the receiver acts once', async () => {
      receiver.requests.length = 0;
      receiver.applied.clear();
      receiver.duplicates.length = 0;
      // The receiver takes a moment over the first try; notify dies meanwhile; the receiver then acts and answers 200.
      receiver.behave((_request, index) => (index === 0 ? { holdMs: 500, status: 200 } : { status: 200 }));
      const first = await start();
      let killed: Promise<void> | undefined;
      receiver.onRequest(() => {
        killed ??= kill(first);
      });
      const firstTryArrived = () => killed !== undefined;
      const report = dispute();
      await world.publisher.publish([
        {
          name: 'dispute.assignment.v1',
          key: report.disputeId,
          data: assignment(report, { lead: depts.police }),
        },
      ]);
      await eventually(firstTryArrived, { what: 'the first try', timeoutMs: 30_000 });
      await killed;
      const firstTry = receiver.requests[0]!;
      await eventually(() => receiver.applied.size === 1, { what: 'the receiver to act' });
      const inFlight = await notify.delivery.findUniqueOrThrow({ where: { id: firstTry.deliveryId! } });
      expect(inFlight.state).toBe('sending');

      await start();
      const done = await eventually(
        async () => {
          const row = await notify.delivery.findUnique({
            where: { id: firstTry.deliveryId! },
            include: { attemptLog: { orderBy: { id: 'asc' } } },
          });
          return row?.state === 'delivered' ? row : undefined;
        },
        { what: 'the delivery after the restart', timeoutMs: 30_000 },
      );
      const tries = receiver.requests.filter((request) => request.deliveryId === firstTry.deliveryId);
      expect(tries).toHaveLength(2);
      // Not before the dead sender's lease (3 s) ran out.
      expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(2_900);
      expect(receiver.applied.size).toBe(1);
      expect(receiver.duplicates.map((request) => request.deliveryId)).toEqual([firstTry.deliveryId]);
      expect(done.attemptLog.map((attempt) => [attempt.ok, attempt.detail])).toEqual([
        [false, 'no result recorded: the sender stopped while sending (the lease ran out)'],
        [true, 'HTTP 200'],
      ]);
      receiver.onRequest(() => {});
    });
  },
);
