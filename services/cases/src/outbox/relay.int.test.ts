import { randomUUID } from 'node:crypto';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { outboxRetentionMs, pruneOutbox } from './relay.ts';

const servers = await requireServers('postgres');

describe.runIf(servers)('outbox pruning on PostgreSQL', () => {
  let db: CasesDb;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
  });
  afterAll(() => drop?.());

  it('deletes what was published before the retention, oldest first, and never an event not published yet', async () => {
    const now = Date.now();
    const daysAgo = (days: number) => new Date(now - days * 24 * 3600 * 1000);
    const event = (label: string, createdAt: Date, publishedAt: Date | null) => ({
      eventId: randomUUID(),
      eventName: 'case.status.v1',
      topic: 'case.status',
      key: label,
      data: {},
      createdAt,
      publishedAt,
    });
    await db.outboxEvent.createMany({
      data: [
        event('published 30 days ago', daysAgo(30), daysAgo(30)),
        event('published 9 days ago', daysAgo(9), daysAgo(9)),
        event('published 8 days ago', daysAgo(8), daysAgo(8)),
        event('published yesterday', daysAgo(2), daysAgo(1)),
        // The relay could not publish it for a month (the broker away): it is still owed.
        event('never published', daysAgo(30), null),
      ],
    });
    const before = new Date(now - outboxRetentionMs);
    const left = async () => (await db.outboxEvent.findMany({ orderBy: { id: 'asc' } })).map((e) => e.key);

    expect(await pruneOutbox(db, before, 2)).toBe(2);
    expect(await left()).toEqual(['published 8 days ago', 'published yesterday', 'never published']);
    expect(await pruneOutbox(db, before, 2)).toBe(1);
    expect(await pruneOutbox(db, before, 2)).toBe(0);
    expect(await left()).toEqual(['published yesterday', 'never published']);
  });
});
