import type { Tx } from '../outbox/outbox.ts';
import { applyCaseChanges, type CaseFacts, readCaseFacts } from '../stats/rollup.ts';
import { claimIdempotencyKey } from './idempotency-keys.ts';
import type { CasesDb } from './prisma.ts';

/** The cases each open transaction touches, with what they counted for before it touched them. */
const touched = new WeakMap<Tx, Map<string, CaseFacts | null>>();

/**
 * Every transaction that changes cases runs through here, so the statistics rollup moves with
 * the cases in the same transaction: each case a write path is about to change is announced
 * with `touchCases` (its facts are read, and its row locked, before the change), and at commit
 * the difference all of them made is added to the rollup at once.
 *
 * An action sent with an Idempotency-Key claims it here, first, and remembers its result here,
 * last (db/idempotency-keys.ts): in the same transaction, so an action is recorded exactly when its
 * answer is remembered. A retry is answered the first one's result and changes nothing.
 */
export async function caseTransaction<T>(
  db: CasesDb,
  body: (tx: Tx) => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  return db.$transaction(
    async (tx) => {
      const key = await claimIdempotencyKey(tx);
      if (key?.answered) return key.result as T;
      touched.set(tx, new Map());
      const result = await body(tx);
      const cases = touched.get(tx)!;
      const after = await readCaseFacts(tx, [...cases.keys()]);
      await applyCaseChanges(
        tx,
        [...cases].map(([caseId, before]) => ({ before, after: after.get(caseId) ?? null })),
      );
      await key?.remember(result);
      return result;
    },
    options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs },
  );
}

/** Call before changing (or creating) cases inside `caseTransaction`. */
export async function touchCases(tx: Tx, caseIds: string[]): Promise<void> {
  const cases = touched.get(tx);
  if (!cases) throw new Error('a case was changed outside caseTransaction: the statistics would drift');
  const fresh = [...new Set(caseIds)].filter((caseId) => !cases.has(caseId));
  if (fresh.length === 0) return;
  const facts = await readCaseFacts(tx, fresh);
  for (const caseId of fresh) cases.set(caseId, facts.get(caseId) ?? null);
}

/** `touchCases` for one case. */
export const touchCase = (tx: Tx, caseId: string): Promise<void> => touchCases(tx, [caseId]);

/**
 * For cases announced (`touchCases`) while they did not exist, that a concurrent transaction
 * then created first — this one's insert was skipped, it has changed nothing of them yet: what
 * they counted for before this transaction is what the other committed, not nothing (else both
 * transactions would count the new case).
 */
export async function touchCasesAgain(tx: Tx, caseIds: string[]): Promise<void> {
  const cases = touched.get(tx);
  for (const caseId of caseIds) cases?.delete(caseId);
  await touchCases(tx, caseIds);
}
