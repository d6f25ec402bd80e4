import type { EventName } from '@huijie/contracts/catalogue.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop } from '@huijie/service-kit/work-loop.ts';
import type { CasesDb } from '../db/prisma.ts';
import type { Tx } from './outbox.ts';

/**
 * Publishes what the outbox holds, oldest first, and marks it published. A crash between the
 * publish and the mark publishes again: consumers deduplicate by the CloudEvents id (the
 * outbox event id), which stays the same on every attempt.
 */
export function startOutboxRelay(deps: { db: CasesDb; bus: EventBus; logger: Logger; intervalMs?: number }) {
  // Poked after a commit, so that events go out without waiting for the next poll.
  return startWorkLoop({
    name: 'outbox relay',
    logger: deps.logger,
    intervalMs: deps.intervalMs ?? 200,
    work: async () => (await relayOnce(deps.db, deps.bus)) > 0,
  });
}

/** How long a relay may hold its turn while a publish waits for the broker. */
const relayTurnMs = 120_000;

export async function relayOnce(db: CasesDb, bus: EventBus, batch = 200): Promise<number> {
  // The embedded engine serves one process, so one relay; its log may live in this very embedded
  // database, which a transaction held over the publish would lock out.
  if (bus.engine.name === 'embedded') return relayBatch(db, bus, batch);
  // Several replicas relay the same outbox: one at a time. A relay that read the rows before
  // another published and marked them would otherwise publish them again, after the later
  // events of their key — and a consumer keeping the latest status would go back to an old one.
  return db.$transaction(
    async (tx) => {
      const [turn] = await tx.$queryRaw<{ ours: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtextextended('cases.outbox relay', 0)) AS ours`;
      return turn?.ours ? relayBatch(tx, bus, batch) : 0;
    },
    { timeout: relayTurnMs },
  );
}

async function relayBatch(db: Tx, bus: EventBus, batch: number): Promise<number> {
  const pending = await db.outboxEvent.findMany({
    where: { publishedAt: null },
    orderBy: { id: 'asc' },
    take: batch,
  });
  if (pending.length === 0) return 0;
  await bus.publish(
    pending.map((row) => ({
      name: row.eventName as EventName,
      key: row.key,
      topic: row.topic,
      id: row.eventId,
      data: row.data as never,
      time: row.createdAt.toISOString(),
    })),
  );
  await db.outboxEvent.updateMany({
    where: { id: { in: pending.map((row) => row.id) } },
    data: { publishedAt: new Date() },
  });
  return pending.length;
}

/** How long published events stay in the outbox (to trace what was announced when) before pruning. */
export const outboxRetentionMs = 7 * 24 * 3600 * 1000;
/** Events one pruning statement deletes at most: a short transaction even after a long pause. */
const pruneBatch = 5_000;

/**
 * Deletes up to `batch` events published before `before`, oldest first; never one not published
 * yet. Returns how many it deleted. Without it the outbox keeps every event the service ever
 * announced.
 */
export async function pruneOutbox(db: CasesDb, before: Date, batch = pruneBatch): Promise<number> {
  return db.$executeRaw`
    DELETE FROM cases.outbox WHERE id IN (
      SELECT id FROM cases.outbox WHERE published_at < ${before} ORDER BY published_at, id LIMIT ${batch})`;
}

/** Prunes the outbox every `intervalMs` (at once again while a whole batch was old enough). */
export function startOutboxPruning(deps: { db: CasesDb; logger: Logger; intervalMs?: number }) {
  return startWorkLoop({
    name: 'outbox pruning',
    logger: deps.logger,
    intervalMs: deps.intervalMs ?? 10 * 60_000,
    work: async () => (await pruneOutbox(deps.db, new Date(Date.now() - outboxRetentionMs))) >= pruneBatch,
  });
}
