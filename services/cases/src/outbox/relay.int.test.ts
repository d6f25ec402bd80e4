import { randomUUID } from 'node:crypto';
import { topics } from '@huijie/contracts/topics.ts';
import { createEventBus, type EventBus, type OutgoingEvent } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { HeldBack, outboxRetentionMs, pruneOutbox, relayOnce } from './relay.ts';

const servers = await requireServers('postgres');

/** A case's status as cases announces it. */
const caseStatus = (caseId: string, status: string, occurredAt: string) => ({
  caseId,
  disputeIds: [randomUUID()],
  status,
  previousStatus: 'assigned',
  occurredAt,
  category: 'labor',
  divisionCode: '350802107',
});
// Kafka too, where the relay publishes for real (a missing broker fails that test under CI).
const kafka = await requireServers('postgres', 'kafka');

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
      data: caseStatus(key, status, '2030-01-01T10:00:00+08:00'),
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

  it.runIf(kafka)(
    "an event its contract refuses is held back with the unpublished events of its case, told once; the others go out; mended, it goes out at the relay's next look, in order",
    async () => {
      await db.outboxEvent.deleteMany();
      const engine = namespaced(
        createKafkaEngine({ brokers: kafka!.kafkaBrokers!, clientId: 'relay-held-back' }),
        uniqueName('relay-held-back'),
      );
      const bus = createEventBus(engine, { source: '/huijie/cases' });
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const row = (key: string, eventName: string, data: object) => ({
        eventId: randomUUID(),
        eventName,
        topic: topics.caseStatus,
        key,
        data,
      });
      const rows = [
        row(a, 'case.status.v1', caseStatus(a, 'accepted', '2030-01-01T10:00:00+08:00')),
        // Written by a bug: a status no version knows, then an event of a name none knows.
        row(b, 'case.status.v1', caseStatus(b, 'half-closed', '2030-01-01T10:01:00+08:00')),
        row(c, 'case.renamed.v9', { caseId: c }),
        row(b, 'case.status.v1', caseStatus(b, 'mediating', '2030-01-01T10:02:00+08:00')),
        row(a, 'case.status.v1', caseStatus(a, 'mediating', '2030-01-01T10:03:00+08:00')),
      ];
      for (const data of rows) await db.outboxEvent.create({ data });
      const { logger, lines } = capturedLogger('cases');
      const published = async () => {
        const seen: { key: string; status: string }[] = [];
        await engine.read(topics.caseStatus, (message) => {
          seen.push({ key: message.key, status: JSON.parse(message.value.toString()).status });
        });
        return seen;
      };
      try {
        // It looks again at what it holds back every 300 ms here (every minute in the service).
        const heldBack = new HeldBack(logger, 300);
        while ((await relayOnce(db, bus, { heldBack })) > 0);
        // Case a's events went out; b's and c's wait, every later one of theirs too.
        expect(await published()).toEqual([
          { key: a, status: 'accepted' },
          { key: a, status: 'mediating' },
        ]);
        expect([...heldBack.keys.keys()].sort()).toEqual([b, c].sort());
        expect(heldBack.keys.get(b)).toMatchObject({
          eventId: rows[1]!.eventId,
          reason: expect.stringMatching(/^status: /),
        });
        expect(heldBack.keys.get(c)).toMatchObject({ reason: 'not an event this version knows' });
        expect(await db.outboxEvent.count({ where: { publishedAt: null } })).toBe(3);
        const errors = lines.map((line) => JSON.parse(line)).filter((line) => line.level === 50);
        expect(errors.map((line) => [line.eventId, line.msg])).toEqual([
          [
            rows[1]!.eventId,
            'outbox event refused by its contract: held back, with the events of its key not yet published',
          ],
          [
            rows[2]!.eventId,
            'outbox event refused by its contract: held back, with the events of its key not yet published',
          ],
        ]);

        // Mended (the data put right in the database): at the next look at what it holds back, b's
        // events go out, in their order; c's is held back again, and not told of again.
        await db.outboxEvent.updateMany({
          where: { eventId: rows[1]!.eventId },
          data: { data: caseStatus(b, 'accepted', '2030-01-01T10:01:00+08:00') },
        });
        await new Promise((resolve) => setTimeout(resolve, 350));
        for (let round = 0; round < 3; round++) await relayOnce(db, bus, { heldBack });
        expect((await published()).filter((event) => event.key === b)).toEqual([
          { key: b, status: 'accepted' },
          { key: b, status: 'mediating' },
        ]);
        expect([...heldBack.keys.keys()]).toEqual([c]);
        expect(await db.outboxEvent.count({ where: { publishedAt: null } })).toBe(1);
        expect(lines.map((line) => JSON.parse(line)).filter((line) => line.level === 50)).toHaveLength(2);
      } finally {
        await engine.close();
      }
    },
  );
});
