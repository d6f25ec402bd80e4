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
  const heldBack = new HeldBack(deps.logger);
  // Poked after a commit, so that events go out without waiting for the next poll.
  return startWorkLoop({
    name: 'outbox relay',
    logger: deps.logger,
    intervalMs: deps.intervalMs ?? 200,
    work: async () => (await relayOnce(deps.db, deps.bus, { heldBack })) > 0,
  });
}

/**
 * The keys a relay holds back: an event of the key that its contract refuses (a bug wrote it; the
 * bus publishes nothing a contract refuses), and so every event of the key not published yet,
 * which must not overtake it. Every other key's go out. They stay unpublished, so
 * `huijie_outbox_oldest_unpublished_age_seconds` grows, and each refused event is one `error` line,
 * once. Forgotten every `recheckMs`: a row mended in the database goes out then, in order; one
 * still refused is held back again. Past `maxKeys`, the bug is the release's, not a case's: the
 * relay stops, saying so, rather than carry an ever longer list through every poll.
 */
export class HeldBack {
  readonly keys = new Map<string, { eventId: string; eventName: string; reason: string }>();
  private readonly told = new Set<string>();
  private since = Date.now();

  constructor(
    private readonly logger?: Logger,
    private readonly recheckMs = 60_000,
    private readonly maxKeys = 1_000,
  ) {}

  /** The keys to leave out of this round. */
  current(): string[] {
    if (this.keys.size > 0 && Date.now() - this.since >= this.recheckMs) this.keys.clear();
    if (this.keys.size === 0) this.since = Date.now();
    if (this.keys.size >= this.maxKeys) {
      const [first] = this.keys.values();
      throw new Error(
        `the events of ${this.keys.size} keys are refused by their contracts (the first: ${first?.eventName} ${first?.eventId}, ${first?.reason}): the relay publishes nothing until a release mends them`,
      );
    }
    return [...this.keys.keys()];
  }

  hold(row: { id: bigint; key: string; eventId: string; eventName: string }, reason: string): void {
    if (this.keys.has(row.key)) return;
    this.keys.set(row.key, { eventId: row.eventId, eventName: row.eventName, reason });
    if (this.told.has(row.eventId)) return;
    // Bounded: a release that writes every case's events wrong is told of again, not kept in memory.
    if (this.told.size >= 10 * this.maxKeys) this.told.clear();
    this.told.add(row.eventId);
    this.logger?.error(
      { eventId: row.eventId, eventName: row.eventName, outboxId: String(row.id), reason },
      'outbox event refused by its contract: held back, with the events of its key not yet published',
    );
  }
}

/** How long a relay may hold its turn while a publish waits for the broker. */
const relayTurnMs = 120_000;

export async function relayOnce(
  db: CasesDb,
  bus: EventBus,
  options: { batch?: number; heldBack?: HeldBack } = {},
): Promise<number> {
  const relay = { batch: options.batch ?? 200, heldBack: options.heldBack ?? new HeldBack() };
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
  relay: { batch: number; heldBack: HeldBack },
): Promise<number> {
  const held = relay.heldBack.current();
  const pending = await db.outboxEvent.findMany({
    where: { publishedAt: null, ...(held.length > 0 && { key: { notIn: held } }) },
    orderBy: { id: 'asc' },
    take: relay.batch,
  });
  if (pending.length === 0) return 0;
  for (const row of pending) {
    const reason = refusal(row.eventName, row.data);
    if (reason !== undefined) relay.heldBack.hold(row, reason);
  }
  // What came before a refused event of its key waits with it: the batch is in order, not its key.
  const going = pending.filter((row) => !relay.heldBack.keys.has(row.key));
  if (going.length > 0) {
    await bus.publish(
      going.map((row) => ({
        name: row.eventName as EventName,
        key: row.key,
        topic: row.topic,
        id: row.eventId,
        data: row.data as never,
        time: row.createdAt.toISOString(),
      })),
    );
    await db.outboxEvent.updateMany({
      where: { id: { in: going.map((row) => row.id) } },
      data: { publishedAt: new Date() },
    });
  }
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
