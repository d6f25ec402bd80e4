import type { IdempotencyStore } from '@huijie/service-kit/idempotency.ts';

/**
 * Which revision of a work order a push is, decided on the shared idempotency store.
 *
 * Each revision of an order has its own key, `12345:order:<orderNo>:r<n>`, holding the
 * fingerprint of the push that made it. Claiming the key of revision n is the right to write
 * revision n: `claim` is SET NX, so of any number of concurrent pushes exactly one gets it,
 * and the others wait for its outcome instead of answering early. A push walks the revisions
 * from 1:
 *
 * - a revision with the same fingerprint → this push repeats it: a duplicate of that revision
 *   (a late retry of revision 1 after an update stays a duplicate of revision 1);
 * - a revision with another fingerprint → look at the next one;
 * - a free key → this push is the next revision: write it, then record its fingerprint;
 * - a claimed key still being written → wait for it (until the deadline: then "busy").
 *
 * The key does not name the client: the order number is the hotline's, and the dispute id is
 * derived from it alone, so two clients pushing one order number speak of one dispute.
 */
export type RevisionPlan =
  /** Write revision `revision`; then `recordWritten` (or `abandon` when the write failed). */
  | { kind: 'write'; revision: number; key: string }
  | { kind: 'duplicate'; revision: number }
  /**
   * An older state of the order delivered late: an earlier revision already carries more
   * reminders (催办) than this push. Nothing is written; `revision` is the latest one taken.
   */
  | { kind: 'superseded'; revision: number }
  /** Another request has been writing this order for longer than we wait. */
  | { kind: 'busy' }
  /** The order already has `maxRevisions` revisions. */
  | { kind: 'exhausted' };

/** An order updated this often is a runaway client; the walk also costs a store round trip per revision. */
export const maxRevisions = 100;

/** How long an order's revisions are remembered: well past any handling time limit and its reminders. */
export const rememberMs = 400 * 24 * 3600_000;

/** A claim outlives a crashed writer by this much: then another push may write the revision. */
const pendingTtlMs = 30_000;

export const revisionKey = (orderNo: string, revision: number) => `12345:order:${orderNo}:r${revision}`;

/**
 * How far the caller's reminders (催办) had gone when the hotline pushed: the count, then the time
 * of the last one (ms). It only grows on the hotline's side, so a push behind a revision already
 * taken is an older state of the order delivered late.
 */
export interface ReminderPosition {
  count: number;
  lastAt: number;
}

const behind = (a: ReminderPosition, b: ReminderPosition) =>
  a.count < b.count || (a.count === b.count && a.lastAt < b.lastAt);

/** A revision's stored value: its fingerprint, then (since reminders are compared) its position. */
const storedValue = (fingerprint: string, position: ReminderPosition | undefined) =>
  position ? `${fingerprint} ${position.count} ${position.lastAt}` : fingerprint;

function parseStored(value: string): { fingerprint: string; position: ReminderPosition } {
  const [fingerprint = value, count, lastAt] = value.split(' ');
  return { fingerprint, position: { count: Number(count ?? 0) || 0, lastAt: Number(lastAt ?? 0) || 0 } };
}

export async function planRevision(
  store: IdempotencyStore,
  orderNo: string,
  fingerprint: string,
  options: { waitMs?: number; reminder?: ReminderPosition } = {},
): Promise<RevisionPlan> {
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  let newest: ReminderPosition = { count: 0, lastAt: 0 };
  let revision = 1;
  while (revision <= maxRevisions) {
    const key = revisionKey(orderNo, revision);
    const claim = await store.claim(key, pendingTtlMs);
    if (claim.claimed) {
      if (options.reminder && behind(options.reminder, newest)) {
        await store.release(key);
        return { kind: 'superseded', revision: revision - 1 };
      }
      return { kind: 'write', revision, key };
    }
    if (claim.done === null) {
      if (Date.now() > deadline) return { kind: 'busy' };
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    const taken = parseStored(claim.done);
    if (taken.fingerprint === fingerprint) return { kind: 'duplicate', revision };
    if (behind(newest, taken.position)) newest = taken.position;
    revision++;
  }
  return { kind: 'exhausted' };
}

export function recordWritten(
  store: IdempotencyStore,
  key: string,
  fingerprint: string,
  reminder?: ReminderPosition,
): Promise<void> {
  return store.complete(key, storedValue(fingerprint, reminder), rememberMs);
}

/** The write failed: free the revision so that a retry (or a waiting push) can write it. */
export function abandon(store: IdempotencyStore, key: string): Promise<void> {
  return store.release(key).catch(() => {});
}
