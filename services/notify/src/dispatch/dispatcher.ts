import { randomUUID } from 'node:crypto';
import { errorReason } from '@huijie/database/error-for-log.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop } from '@huijie/service-kit/work-loop.ts';
import type { DeliveryChannel, SendResult } from '../channels/channel.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { promoteDueReminders } from './reminders.ts';
import type { Throttle } from './throttle.ts';

export interface RetrySchedule {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * 24 tries over 74 to 147 minutes (1 s doubling to 10 min, then every 5–10 min): a receiver down
 * for an hour (a deploy, a night's maintenance) gets everything when it is back, spread out by the
 * jitter; one down for longer has dead letters to replay. With 8 tries, everything sent while a
 * receiver was down for just over a minute became a dead letter.
 */
export const defaultSchedule: RetrySchedule = {
  maxAttempts: 24,
  baseDelayMs: 1_000,
  maxDelayMs: 10 * 60_000,
};

/** Exponential backoff with jitter: a random delay between half and all of the doubling ceiling. */
export function nextDelayMs(attempts: number, schedule: RetrySchedule, random = Math.random): number {
  const ceiling = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** (attempts - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

export type DispatchOutcome = 'delivered' | 'retry' | 'failed' | 'throttled';

export interface DispatchDeps {
  db: NotifyDb;
  channels: ReadonlyMap<string, DeliveryChannel>;
  logger: Logger;
  schedule: RetrySchedule;
  throttle?: Throttle | undefined;
  /**
   * How long a taken delivery is its sender's. Longer than any send can take (the send timeout),
   * so a live sender never loses it; when a sender dies, another takes the delivery after this.
   */
  leaseMs: number;
  batch: number;
  /** Sends in flight at once: one receiver that times out does not hold up the others. */
  concurrency: number;
  observe?: ((channel: string, outcome: DispatchOutcome) => void) | undefined;
}

interface Claimed {
  id: string;
  kind: string;
  channel: string;
  recipient: string;
  payload: unknown;
  attempts: number;
  lease_id: string;
  was: string;
}

/**
 * Takes due deliveries and sends them. Taking is one statement (`FOR UPDATE SKIP LOCKED`) that
 * flips them to "sending" under a lease id and counts the try, so replicas never send the same
 * delivery at once and a delivery whose sender crashed is taken again when its lease ends. Only
 * the lease holder records the result. The crash window between a receiver's 2xx and our
 * record of it cannot be closed from this side: the next try carries the same delivery id, so
 * the receiver recognises it (the receivers' contract says: deduplicate on x-huijie-delivery).
 *
 * One receiver hears of one dispute in the order it was recorded: a delivery waits while an
 * earlier one of the same dispute to the same recipient is still pending or sending. An
 * assignment in flight when a re-routing or a fold withdrew it, and that then failed, is retried
 * before the withdrawal goes, not after it (which would hand the dispute back to a department
 * that lost it); an `assignment_update` never arrives before the assignment it updates.
 */
export async function dispatchDue(deps: DispatchDeps): Promise<number> {
  const now = new Date();
  const leaseId = randomUUID();
  const claimed = await deps.db.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT x."id", x."state" AS was FROM "notify"."deliveries" AS x
       WHERE x."state" IN ('pending', 'sending') AND x."next_attempt_at" <= ${now}
         AND NOT EXISTS (
           SELECT 1 FROM "notify"."deliveries" AS e
            WHERE e."dispute_id" = x."dispute_id" AND e."recipient" = x."recipient"
              AND e."channel" = x."channel" AND e."created_at" < x."created_at"
              AND e."state" IN ('pending', 'sending'))
       ORDER BY x."next_attempt_at"
       LIMIT ${deps.batch}
       FOR UPDATE SKIP LOCKED
    )
    UPDATE "notify"."deliveries" AS d
       SET "state" = 'sending',
           "lease_id" = ${leaseId}::uuid,
           "attempts" = d."attempts" + 1,
           "next_attempt_at" = ${new Date(now.getTime() + deps.leaseMs)},
           "updated_at" = ${now}
      FROM due
     WHERE d."id" = due."id"
    RETURNING d."id", d."kind", d."channel", d."recipient", d."payload", d."attempts", d."lease_id", due.was`;
  if (claimed.length === 0) return 0;

  const queue = [...claimed];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        await deliverOne(deps, next);
      } catch (error) {
        // The database went away between taking and recording: the lease brings it back.
        deps.logger.warn({ deliveryId: next.id, err: error }, 'delivery not recorded');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, claimed.length) }, worker));
  return claimed.length;
}

async function deliverOne(deps: DispatchDeps, delivery: Claimed): Promise<void> {
  const { db, schedule, logger } = deps;
  const mine = { id: delivery.id, leaseId: delivery.lease_id };
  if (delivery.was === 'sending') {
    // Its previous sender stopped between sending and recording: say so in the attempt log.
    await db.deliveryAttempt.create({
      data: {
        deliveryId: delivery.id,
        ok: false,
        detail: 'no result recorded: the sender stopped while sending (the lease ran out)',
        durationMs: 0,
      },
    });
    if (delivery.attempts > schedule.maxAttempts) {
      await db.delivery.updateMany({
        where: mine,
        data: { state: 'failed', leaseId: null, lastError: 'senders kept stopping while sending' },
      });
      deps.observe?.(delivery.channel, 'failed');
      return;
    }
  }

  const channel = deps.channels.get(delivery.channel);
  if (channel && deps.throttle) {
    const admission = await deps.throttle.admit(delivery.channel, delivery.recipient);
    if (!admission.ok) {
      // Not a try: give the attempt back and come back when the window has room.
      await db.delivery.updateMany({
        where: mine,
        data: {
          state: 'pending',
          leaseId: null,
          attempts: delivery.attempts - 1,
          nextAttemptAt: new Date(Date.now() + admission.retryAfterMs + Math.round(Math.random() * 250)),
        },
      });
      deps.observe?.(delivery.channel, 'throttled');
      return;
    }
  }

  const started = performance.now();
  let result: SendResult;
  try {
    result = channel
      ? await channel.send({
          deliveryId: delivery.id,
          kind: delivery.kind,
          recipient: delivery.recipient,
          payload: delivery.payload,
          attempt: delivery.attempts,
        })
      : { ok: false, detail: `no channel ${delivery.channel}`, retryable: false };
  } catch (error) {
    // Kept on the attempt and shown to operators: the reason, never what was being sent.
    result = { ok: false, detail: errorReason(error), retryable: true };
  }
  const durationMs = Math.round(performance.now() - started);
  const attempts = delivery.attempts;
  const exhausted = !result.ok && (!result.retryable || attempts >= schedule.maxAttempts);
  const delayMs =
    result.ok || exhausted ? 0 : Math.max(nextDelayMs(attempts, schedule), result.retryAfterMs ?? 0);
  const [, recorded] = await db.$transaction([
    db.deliveryAttempt.create({
      data: {
        deliveryId: delivery.id,
        ok: result.ok,
        detail: result.detail.slice(0, 500),
        durationMs,
        statusCode: result.status ?? null,
      },
    }),
    db.delivery.updateMany({
      where: mine,
      data: result.ok
        ? { state: 'delivered', deliveredAt: new Date(), lastError: null, leaseId: null }
        : {
            state: exhausted ? 'failed' : 'pending',
            lastError: result.detail.slice(0, 500),
            leaseId: null,
            nextAttemptAt: new Date(Date.now() + delayMs),
          },
    }),
  ]);
  if (recorded.count === 0) {
    logger.warn({ deliveryId: delivery.id }, 'lease lost while sending; the result was logged, not applied');
  }
  const outcome: DispatchOutcome = result.ok ? 'delivered' : exhausted ? 'failed' : 'retry';
  deps.observe?.(delivery.channel, outcome);
  if (!result.ok) {
    logger.warn(
      { deliveryId: delivery.id, channel: delivery.channel, attempts, outcome, detail: result.detail },
      exhausted ? 'delivery failed for good: dead letter' : 'delivery failed; will retry',
    );
  }
}

/**
 * Runs the dispatcher until stopped; `poke` wakes it when new deliveries were recorded. Stopping
 * waits for the sends in flight to be recorded.
 */
export function startDispatcher(deps: DispatchDeps & { intervalMs: number }) {
  return startWorkLoop({
    name: 'dispatcher',
    logger: deps.logger,
    intervalMs: deps.intervalMs,
    work: async () => {
      await promoteDueReminders(deps.db);
      const claimed = await dispatchDue(deps);
      // A full batch means there is more due now: go again without waiting.
      return claimed >= deps.batch && claimed > 0;
    },
  });
}
