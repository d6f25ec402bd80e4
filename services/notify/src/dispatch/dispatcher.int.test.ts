import { randomUUID } from 'node:crypto';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryChannel } from '../channels/channel.ts';
import { freshNotifyDb } from '../db/fresh-notify-db.ts';
import { dispatchDue } from './dispatcher.ts';

const servers = await requireServers('postgres');

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
});
