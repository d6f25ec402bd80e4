import { createHash } from 'node:crypto';
import type { IdempotencyStore } from './idempotency.ts';

/**
 * Which revision of a channel's record (a hotline work order, a court referral) a push is,
 * decided on the shared idempotency store.
 *
 * Each revision of a record has its own key, `keyOf(n)`, holding the fingerprint of the push that
 * made it. Claiming the key of revision n is the right to write revision n: `claim` is SET NX, so
 * of any number of concurrent pushes exactly one gets it, and the others wait for its outcome
 * instead of answering early. A push walks the revisions from 1:
 *
 * - a revision with the same fingerprint → this push repeats it: a duplicate of that revision
 *   (a late retry of revision 1 after an update stays a duplicate of revision 1);
 * - a revision with another fingerprint → look at the next one;
 * - a free key → this push is the next revision: write it, then record its fingerprint;
 * - a claimed key still being written → wait for it (until the deadline: then "busy").
 *
 * So revisions follow the order in which pushes arrive. A channel that says where a push stands
 * in its own sequence (`position`) also has a push behind a revision already taken refused as
 * superseded; without one, an older state never pushed before that arrives late is taken as the
 * newest revision — there is nothing to tell it by.
 */
export type RevisionPlan =
  /** Write revision `revision`; then `recordWritten` (or `abandon` when the write failed). */
  | { kind: 'write'; revision: number; key: string }
  | { kind: 'duplicate'; revision: number }
  /**
   * An older state of the record delivered late: an earlier revision already stands further in
   * the source's sequence than this push. Nothing is written; `revision` is the latest one taken.
   */
  | { kind: 'superseded'; revision: number }
  /** Another request has been writing this record for longer than we wait. */
  | { kind: 'busy' }
  /** The record already has `maxRevisions` revisions. */
  | { kind: 'exhausted' };

/** A record updated this often is a runaway client; the walk also costs a store round trip per revision. */
export const maxRevisions = 100;

/** How long revisions are remembered: well past any handling time limit, a court's mediation period included. */
export const rememberMs = 400 * 24 * 3600_000;

/** A claim outlives a crashed writer by this much: then another push may write the revision. */
const pendingTtlMs = 30_000;

/**
 * Where a push stands in its source's own sequence (for the hotline: the 催办 count, then the time
 * of the last one), compared element by element; it only grows on the source's side.
 */
export type Position = readonly number[];

/** Whether `a` stands behind `b` in the source's sequence (a missing element counts as 0). */
export const behind = (a: Position, b: Position): boolean => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
};

/** A revision's stored value: its fingerprint, then (when positions are compared) its position. */
const storedValue = (fingerprint: string, position: Position | undefined) =>
  position ? [fingerprint, ...position].join(' ') : fingerprint;

function parseStored(value: string): { fingerprint: string; position: Position } {
  const [fingerprint = value, ...position] = value.split(' ');
  return { fingerprint, position: position.map((part) => Number(part) || 0) };
}

export async function planRevision(
  store: IdempotencyStore,
  keyOf: (revision: number) => string,
  fingerprint: string,
  options: { waitMs?: number; position?: Position | undefined } = {},
): Promise<RevisionPlan> {
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  let newest: Position = [];
  let revision = 1;
  while (revision <= maxRevisions) {
    const key = keyOf(revision);
    const claim = await store.claim(key, pendingTtlMs);
    if (claim.claimed) {
      if (options.position && behind(options.position, newest)) {
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
  position?: Position,
): Promise<void> {
  return store.complete(key, storedValue(fingerprint, position), rememberMs);
}

/** The write failed: free the revision so that a retry (or a waiting push) can write it. */
export function abandon(store: IdempotencyStore, key: string): Promise<void> {
  return store.release(key).catch(() => {});
}

/**
 * JSON with object keys sorted at every level: the same value always gives the same text.
 * Written as loops over sorted keys (every push is fingerprinted, and building entry arrays to
 * filter, sort and join cost more than the hash); `Array.prototype.sort` compares UTF-16 code
 * units, as `<` does, so the text — and every stored fingerprint — is what it always was.
 */
function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += `${i > 0 ? ',' : ''}${canonicalJson(value[i]) ?? ''}`;
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  let text = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${text}}`;
}

/**
 * A short digest of what a push says, whatever the order of its keys. The caller passes only the
 * substance (not who pushed, not when it arrived) with times reduced to the instants they name.
 * The `v1` prefix versions the rule: changing it must keep stored fingerprints comparable.
 */
export function fingerprint(substance: unknown): string {
  return `v1:${createHash('sha256').update(canonicalJson(substance)).digest('base64url')}`;
}
