import { randomUUID } from 'node:crypto';
import type { EventBus, OutgoingEvent } from '@huijie/event-bus/bus.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { outboxRetentionMs, pruneOutbox, relayOnce } from './relay.ts';

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

  it('two relays (two replicas of the service) never publish an event again after a later one of its key', async () => {
    await db.outboxEvent.deleteMany();
    const key = randomUUID();
    const row = (status: string) => ({
      eventId: randomUUID(),
      eventName: 'case.status.v1',
      topic: 'case.status.v1',
      key,
      data: { status },
    });
    const published: { id: string; status: string }[] = [];
    let release: () => void = () => {};
    let holding = false;
    // Replica A's relay: its publish is slow (a broker retry), and only returns when released.
    const slowBus = {
      engine: { name: 'kafka' },
      async publish(events: OutgoingEvent[]) {
        holding = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        for (const e of events) published.push({ id: e.id!, status: (e.data as { status: string }).status });
      },
    } as unknown as EventBus;
    const fastBus = {
      engine: { name: 'kafka' },
      async publish(events: OutgoingEvent[]) {
        for (const e of events) published.push({ id: e.id!, status: (e.data as { status: string }).status });
      },
    } as unknown as EventBus;

    await db.outboxEvent.create({ data: row('accepted') });
    const a = relayOnce(db, slowBus);
    while (!holding) await new Promise((resolve) => setTimeout(resolve, 5));
    // The case moves on meanwhile, and replica B's relay runs.
    await db.outboxEvent.create({ data: row('closed') });
    await relayOnce(db, fastBus);
    release();
    await a;
    while ((await relayOnce(db, fastBus)) > 0);

    // The last status a consumer sees for the case is the case's own: closed, not accepted again.
    expect(published.at(-1)?.status).toBe('closed');
    expect(published.map((p) => p.status)).toEqual(['accepted', 'closed']);
    expect(await db.outboxEvent.count({ where: { publishedAt: null } })).toBe(0);
  });
});
