import type { EventName } from '@huijie/contracts/catalogue.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop } from '@huijie/service-kit/work-loop.ts';
import type { CasesDb } from '../db/prisma.ts';

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

export async function relayOnce(db: CasesDb, bus: EventBus, batch = 200): Promise<number> {
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
