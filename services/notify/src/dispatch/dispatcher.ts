import { randomUUID } from 'node:crypto';
import { errorReason } from '@huijie/database/error-for-log.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop, type WorkLoop } from '@huijie/service-kit/work-loop.ts';
import type { DeliveryChannel, SendResult } from '../channels/channel.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { promoteDueReminders } from './reminders.ts';
import { replaceBySms, smsMayReplace } from './sms-fallback.ts';
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

/**
 * `replaced`: refused on WeChat and texted instead (sms-fallback.ts), final and no dead letter.
 * `outbox_file`: recorded `delivered` like a send, but written to the outbox file by the stand-in
 * of a provider that is not configured: nobody was reached.
 */
export type DispatchOutcome = 'delivered' | 'outbox_file' | 'retry' | 'failed' | 'replaced' | 'throttled';

/** Of the sends in flight, the most one receiver holds by default (see `perRecipient`). */
export const defaultSendsPerRecipient = 2;

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
  /** The most deliveries taken by one statement. */
  batch: number;
  /** Sends in flight at once (the slots): one receiver that times out does not hold up the others. */
  concurrency: number;
  /**
   * Of those, the most one receiver (a channel's recipient: an agency's webhook, a hotline
   * client, a court client) holds at once: an agency whose endpoint hangs until the send timeout
   * holds this many slots, not all of them, and everyone else's deliveries go in the others.
   */
  perRecipient: number;
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

/** How many of the earliest due deliveries one claim looks at to fill the free slots. */
const claimCandidates = 200;

/** Sends in flight to one receiver, as the claim statement reads them. */
interface Busy {
  channel: string;
  recipient: string;
  sending: number;
}

/**
 * Takes up to `limit` due deliveries, at most `perRecipient` less what is already in flight to
 * each receiver (`busy`). Taking is one statement (`FOR UPDATE SKIP LOCKED`) that flips them to
 * "sending" under a lease id and counts the try, so replicas never send the same delivery at once
 * and a delivery whose sender crashed is taken again when its lease ends.
 *
 * One receiver hears of one dispute in the order it was recorded: a delivery waits while an
 * earlier one of the same dispute to the same recipient is still pending or sending. An
 * assignment in flight when a re-routing or a fold withdrew it, and that then failed, is retried
 * before the withdrawal goes, not after it (which would hand the dispute back to a department
 * that lost it); an `assignment_update` never arrives before the assignment it updates.
 */
async function claimDue(deps: DispatchDeps, limit: number, busy: Busy[]): Promise<Claimed[]> {
  const now = new Date();
  const leaseId = randomUUID();
  // `due`: the earliest deliveries that may go now, of receivers with a slot to spare (bounded, so
  // a backlog of thousands costs what `ORDER BY … LIMIT` costs; a receiver at its share never
  // fills it). `ranked` numbers each receiver's (a window function cannot sit beside FOR UPDATE).
  // `taken` locks them, re-checking state and time on the row locked: another replica may have
  // taken it since `due` read it.
  return deps.db.$queryRaw<Claimed[]>`
    WITH busy AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(busy)}::jsonb)
        AS b("channel" text, "recipient" text, "sending" int)
    ),
    due AS (
      SELECT x."id", x."channel", x."recipient", x."next_attempt_at" FROM "notify"."deliveries" AS x
       WHERE x."state" IN ('pending', 'sending') AND x."next_attempt_at" <= ${now}
         AND NOT EXISTS (
           SELECT 1 FROM "notify"."deliveries" AS e
            WHERE e."dispute_id" = x."dispute_id" AND e."recipient" = x."recipient"
              AND e."channel" = x."channel" AND e."created_at" < x."created_at"
              AND e."state" IN ('pending', 'sending'))
         AND NOT EXISTS (
           SELECT 1 FROM busy AS b
            WHERE b."channel" = x."channel" AND b."recipient" = x."recipient"
              AND b."sending" >= ${deps.perRecipient})
       ORDER BY x."next_attempt_at"
       LIMIT ${claimCandidates}
    ),
    ranked AS (
      SELECT due.*, row_number() OVER (
               PARTITION BY due."channel", due."recipient" ORDER BY due."next_attempt_at", due."id") AS nth
        FROM due
    ),
    taken AS (
      SELECT x."id", x."state" AS was
        FROM "notify"."deliveries" AS x
        JOIN ranked AS r ON r."id" = x."id"
        LEFT JOIN busy AS b ON b."channel" = r."channel" AND b."recipient" = r."recipient"
       WHERE x."state" IN ('pending', 'sending') AND x."next_attempt_at" <= ${now}
         AND r."nth" + coalesce(b."sending", 0) <= ${deps.perRecipient}
       ORDER BY r."next_attempt_at"
       LIMIT ${limit}
       FOR UPDATE OF x SKIP LOCKED
    )
    UPDATE "notify"."deliveries" AS d
       SET "state" = 'sending',
           "lease_id" = ${leaseId}::uuid,
           "attempts" = d."attempts" + 1,
           "next_attempt_at" = ${new Date(now.getTime() + deps.leaseMs)},
           "updated_at" = ${now}
      FROM taken
     WHERE d."id" = taken."id"
    RETURNING d."id", d."kind", d."channel", d."recipient", d."payload", d."attempts", d."lease_id", taken.was`;
}

/**
 * The dispatcher's slots: `concurrency` sends in flight, `perRecipient` of them to one receiver.
 * A slot is taken again as soon as its send is recorded, without waiting for the others taken
 * with it: a receiver that hangs until the send timeout delays only its own deliveries. Only the
 * lease holder records a result. The crash window between a receiver's 2xx and our record of it
 * cannot be closed from this side: the next try carries the same delivery id, so the receiver
 * recognises it (the receivers' contract says: deduplicate on x-huijie-delivery).
 */
function sendSlots(deps: DispatchDeps, onFreed: () => void = () => {}) {
  const busy = new Map<string, Busy>();
  const inFlight = new Set<Promise<void>>();
  const receiverOf = (delivery: Claimed) => `${delivery.channel}\n${delivery.recipient}`;
  const start = (delivery: Claimed) => {
    const key = receiverOf(delivery);
    const receiver = busy.get(key) ?? {
      channel: delivery.channel,
      recipient: delivery.recipient,
      sending: 0,
    };
    receiver.sending += 1;
    busy.set(key, receiver);
    const send = deliverOne(deps, delivery)
      .catch((error) => {
        // The database went away between taking and recording: the lease brings it back.
        deps.logger.warn({ deliveryId: delivery.id, err: error }, 'delivery not recorded');
      })
      .finally(() => {
        receiver.sending -= 1;
        if (receiver.sending === 0) busy.delete(key);
        inFlight.delete(send);
        onFreed();
      });
    inFlight.add(send);
  };
  return {
    free: () => deps.concurrency - inFlight.size,
    /** Takes due deliveries into the free slots and starts sending them; resolves with how many it took. */
    async fill(): Promise<number> {
      const limit = Math.min(deps.batch, deps.concurrency - inFlight.size);
      if (limit <= 0) return 0;
      const claimed = await claimDue(deps, limit, [...busy.values()]);
      for (const delivery of claimed) start(delivery);
      return claimed.length;
    },
    /** Resolves when every send started has been recorded. */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/** Takes what the slots hold of what is due, sends it and waits for the results: one round. */
export async function dispatchDue(deps: DispatchDeps): Promise<number> {
  const slots = sendSlots(deps);
  const claimed = await slots.fill();
  await slots.idle();
  return claimed;
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
  const attempt = {
    deliveryId: delivery.id,
    ok: result.ok,
    detail: result.detail.slice(0, 500),
    durationMs,
    statusCode: result.status ?? null,
  };
  if (!result.ok && smsMayReplace(delivery, result)) {
    // The refusal, the SMS in its place and the citizen's remembered refusal: all or nothing.
    const { recorded, replaced, texted } = await db.$transaction(async (tx) => {
      await tx.deliveryAttempt.create({ data: attempt });
      return replaceBySms(tx, { ...delivery, leaseId: delivery.lease_id }, result);
    });
    deps.observe?.(delivery.channel, replaced ? 'replaced' : 'failed');
    // The delivery ids only: never the OpenID or the number.
    if (recorded === 0) {
      logger.warn(
        { deliveryId: delivery.id },
        'lease lost while sending; the result was logged, not applied',
      );
    } else {
      logger.info(
        { deliveryId: delivery.id, detail: result.detail, replaced, texted },
        texted
          ? 'citizen not reachable on WeChat: an SMS of the notice recorded in its place'
          : replaced
            ? 'citizen not reachable on WeChat: the notice was already texted'
            : 'citizen not reachable on WeChat and no mobile number: dead letter',
      );
    }
    return;
  }
  const [, recorded] = await db.$transaction([
    db.deliveryAttempt.create({ data: attempt }),
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
  const outcome: DispatchOutcome = result.ok
    ? channel?.outboxFile
      ? 'outbox_file'
      : 'delivered'
    : exhausted
      ? 'failed'
      : 'retry';
  deps.observe?.(delivery.channel, outcome);
  if (!result.ok) {
    logger.warn(
      { deliveryId: delivery.id, channel: delivery.channel, attempts, outcome, detail: result.detail },
      exhausted ? 'delivery failed for good: dead letter' : 'delivery failed; will retry',
    );
  }
}

/**
 * Runs the dispatcher until stopped; `poke` wakes it when new deliveries were recorded, and a
 * slot that frees up wakes it too. Stopping waits for the sends in flight to be recorded.
 */
export function startDispatcher(deps: DispatchDeps & { intervalMs: number }): WorkLoop {
  const slots = sendSlots(deps, () => loop.poke());
  const loop = startWorkLoop({
    name: 'dispatcher',
    logger: deps.logger,
    intervalMs: deps.intervalMs,
    work: async () => {
      await promoteDueReminders(deps.db);
      // Took some and slots are still free: what is due may have been other receivers' than the
      // ones just taken (the claim looks at the earliest 200): go again without waiting.
      const taken = await slots.fill();
      return taken > 0 && slots.free() > 0;
    },
  });
  return {
    poke: () => loop.poke(),
    async stop() {
      await loop.stop();
      await slots.idle();
    },
  };
}
