import { catalogue, checkEvent, type EventName } from '@huijie/contracts/catalogue.ts';
import { maskPersonalData } from '@huijie/database/error-for-log.ts';
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
  const heldBack: HeldBack = new Map();
  // Poked after a commit, so that events go out without waiting for the next poll.
  return startWorkLoop({
    name: 'outbox relay',
    logger: deps.logger,
    intervalMs: deps.intervalMs ?? 200,
    work: async () => (await relayOnce(deps.db, deps.bus, { heldBack, logger: deps.logger })) > 0,
  });
}

/**
 * The keys this relay holds back, each with why: an event of the key that the contracts refuse (a
 * bug wrote it; the bus publishes nothing a contract refuses), and so every event of the key not
 * published yet, which must not overtake it (those before it in its batch wait with it). Everything else goes out. Kept in memory: the next start (a release
 * that mends the contract or the code) tries them again. Until then they stay unpublished, so
 * `huijie_outbox_oldest_unpublished_age_seconds` grows, and each is one `error` line.
 */
export type HeldBack = Map<string, { eventId: string; eventName: string; reason: string }>;

/** How long a relay may hold its turn while a publish waits for the broker. */
const relayTurnMs = 120_000;

export async function relayOnce(
  db: CasesDb,
  bus: EventBus,
  options: { batch?: number; heldBack?: HeldBack; logger?: Logger } = {},
): Promise<number> {
  const relay = {
    batch: options.batch ?? 200,
    heldBack: options.heldBack ?? new Map(),
    logger: options.logger,
  };
  // The embedded engine serves one process, so one relay; its log may live in this very embedded
  // database, which a transaction held over the publish would lock out.
  if (bus.engine.name === 'embedded') return relayBatch(db, bus, relay);
  // Several replicas relay the same outbox: one at a time. A relay that read the rows before
  // another published and marked them would otherwise publish them again, after the later
  // events of their key — and a consumer keeping the latest status would go back to an old one.
  return db.$transaction(
    async (tx) => {
      const [turn] = await tx.$queryRaw<{ ours: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtextextended('cases.outbox relay', 0)) AS ours`;
      return turn?.ours ? relayBatch(tx, bus, relay) : 0;
    },
    { timeout: relayTurnMs },
  );
}

async function relayBatch(
  db: Tx,
  bus: EventBus,
  relay: { batch: number; heldBack: HeldBack; logger: Logger | undefined },
): Promise<number> {
  const pending = await db.outboxEvent.findMany({
    where: {
      publishedAt: null,
      ...(relay.heldBack.size > 0 && { key: { notIn: [...relay.heldBack.keys()] } }),
    },
    orderBy: { id: 'asc' },
    take: relay.batch,
  });
  if (pending.length === 0) return 0;
  try {
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
  } catch (error) {
    // The bus checks every event against its contract before anything is sent: a refused one
    // failed the whole batch. Held back with its key, the rest goes in the next round; with none
    // refused, the failure is the broker's, and the batch is tried again as it is.
    const refused = pending.flatMap((row) => {
      const reason = refusal(row.eventName, row.data);
      return reason === undefined ? [] : [{ row, reason }];
    });
    if (refused.length === 0) throw error;
    for (const { row, reason } of refused) {
      if (relay.heldBack.has(row.key)) continue;
      relay.heldBack.set(row.key, { eventId: row.eventId, eventName: row.eventName, reason });
      relay.logger?.error(
        { eventId: row.eventId, eventName: row.eventName, outboxId: String(row.id), reason },
        'outbox event refused by its contract: held back, with the events of its key not yet published',
      );
    }
    return refused.length;
  }
  await db.outboxEvent.updateMany({
    where: { id: { in: pending.map((row) => row.id) } },
    data: { publishedAt: new Date() },
  });
  return pending.length;
}

/** Why the event's contract refuses it (the fields and what they must be), or undefined when it takes it. */
function refusal(eventName: string, data: unknown): string | undefined {
  if (!Object.hasOwn(catalogue, eventName)) return 'not an event this version knows';
  const checked = checkEvent(eventName as EventName, data);
  // A contract's words name fields, not values; masked anyway, as a dead letter's reason is.
  return checked.ok ? undefined : maskPersonalData(checked.reason);
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
