import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisApplicationStore } from '../src/application/store.ts';

const servers = await requireServers('redis');

describe.runIf(servers)('the application read model on Redis', () => {
  const redis = servers ? new Redis(servers.redisUrl!) : undefined;
  afterAll(() => redis?.disconnect());

  it('keeps the first record, notes statuses only for its own disputes, in delivery order', async () => {
    const store = redisApplicationStore(redis!, { prefix: `${uniqueName('wechat-store')}:`, ttlMs: 60_000 });
    const disputeId = crypto.randomUUID();
    const record = {
      trackingNo: 'WX23456789ABCD',
      disputeId,
      townCode: '350802107',
      receivedAt: '2024-08-24T01:30:00.000Z',
      phoneLast4: '1234',
    };
    expect(await store.noteStatus(disputeId, { status: 'assigned', at: '2024-08-24T01:31:00Z' })).toBe(false);
    await store.expect(disputeId, record.trackingNo);
    expect(await store.save(record)).toEqual(record);
    expect(await store.save({ ...record, receivedAt: '2024-08-25T00:00:00.000Z' })).toEqual(record);
    expect(await store.find(record.trackingNo)).toEqual(record);
    expect(await store.find('WX0000000000XX')).toBeUndefined();
    expect(await store.noteStatus(disputeId, { status: 'assigned', at: '2024-08-24T01:31:00Z' })).toBe(true);
    expect(await store.noteStatus(disputeId, { status: 'mediating', at: '2024-08-24T01:30:59Z' })).toBe(true);
    expect(await store.status(disputeId)).toEqual({ status: 'mediating', at: '2024-08-24T01:30:59Z' });
    expect(
      await store.noteStatus(crypto.randomUUID(), { status: 'closed', at: '2024-08-24T01:31:00Z' }),
    ).toBe(false);
  });
});
