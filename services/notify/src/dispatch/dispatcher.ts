import type { Logger } from '@huijie/service-kit/logger.ts';
import type { DeliveryChannel } from '../channels/channel.ts';
import type { NotifyDb } from '../db/prisma.ts';

export interface RetrySchedule {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultSchedule: RetrySchedule = { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 10 * 60_000 };

/** Exponential backoff with full jitter between half and all of the ceiling. */
export function nextDelayMs(attempts: number, schedule: RetrySchedule): number {
  const ceiling = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** (attempts - 1));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

/** A taken delivery whose sender died is due again after this lease. */
const sendingLeaseMs = 60_000;

/**
 * Sends due deliveries. A delivery is taken by flipping it to "sending" with a lease in one
 * conditional update, so two replicas never send the same one at once, and one whose sender
 * crashed is picked up again when the lease ends. Each try is recorded.
 */
export async function dispatchDue(
  db: NotifyDb,
  channels: Map<string, DeliveryChannel>,
  schedule: RetrySchedule,
  logger: Logger,
  batch = 20,
): Promise<number> {
  const now = new Date();
  const dueNow = { state: { in: ['pending', 'sending'] }, nextAttemptAt: { lte: now } };
  const due = await db.delivery.findMany({
    where: dueNow,
    orderBy: { nextAttemptAt: 'asc' },
    take: batch,
    select: { id: true, kind: true, channel: true, recipient: true, payload: true, attempts: true },
  });
  let sent = 0;
  for (const delivery of due) {
    const taken = await db.delivery.updateMany({
      where: { id: delivery.id, ...dueNow },
      data: { state: 'sending', nextAttemptAt: new Date(Date.now() + sendingLeaseMs) },
    });
    if (taken.count === 0) continue;
    const channel = channels.get(delivery.channel);
    const started = performance.now();
    const result = channel
      ? await channel.send({
          deliveryId: delivery.id,
          kind: delivery.kind,
          recipient: delivery.recipient,
          payload: delivery.payload,
        })
      : { ok: false as const, detail: `no channel ${delivery.channel}`, retryable: false };
    const attempts = delivery.attempts + 1;
    const exhausted = !result.ok && (!result.retryable || attempts >= schedule.maxAttempts);
    await db.$transaction([
      db.deliveryAttempt.create({
        data: {
          deliveryId: delivery.id,
          ok: result.ok,
          detail: result.detail,
          durationMs: Math.round(performance.now() - started),
        },
      }),
      db.delivery.update({
        where: { id: delivery.id },
        data: result.ok
          ? { state: 'delivered', attempts, deliveredAt: new Date(), lastError: null }
          : {
              state: exhausted ? 'failed' : 'pending',
              attempts,
              lastError: result.detail,
              nextAttemptAt: new Date(Date.now() + (exhausted ? 0 : nextDelayMs(attempts, schedule))),
            },
      }),
    ]);
    if (result.ok) sent++;
    else
      logger.warn({ deliveryId: delivery.id, attempts, exhausted, detail: result.detail }, 'delivery failed');
  }
  return sent;
}

/** Runs the dispatcher until stopped; `poke` wakes it when new deliveries were recorded. */
export function startDispatcher(deps: {
  db: NotifyDb;
  channels: Map<string, DeliveryChannel>;
  logger: Logger;
  schedule?: RetrySchedule;
  intervalMs?: number;
}) {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await dispatchDue(deps.db, deps.channels, deps.schedule ?? defaultSchedule, deps.logger);
      } catch (error) {
        deps.logger.warn({ err: (error as Error).message }, 'dispatcher failed; retrying');
      }
      if (!stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, deps.intervalMs ?? 500);
        });
      }
    }
  })();
  return {
    poke: () => wake?.(),
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
