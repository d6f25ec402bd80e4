import type { Tx } from '../outbox/outbox.ts';
import { applyCaseChange, type CaseFacts, readCaseFacts } from '../stats/rollup.ts';
import type { CasesDb } from './prisma.ts';

/** The cases each open transaction touches, with what they counted for before it touched them. */
const touched = new WeakMap<Tx, Map<string, CaseFacts | null>>();

/**
 * Every transaction that changes cases runs through here, so the statistics rollup moves with
 * the cases in the same transaction: each case a write path is about to change is announced
 * with `touchCase` (its facts are read, and its row locked, before the change), and at commit
 * the difference each made is added to the rollup.
 */
export async function caseTransaction<T>(db: CasesDb, body: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    touched.set(tx, new Map());
    const result = await body(tx);
    const cases = touched.get(tx)!;
    // Key order: two transactions touching the same cases lock them in the same order.
    for (const caseId of [...cases.keys()].sort()) {
      await applyCaseChange(tx, cases.get(caseId) ?? null, await readCaseFacts(tx, caseId));
    }
    return result;
  });
}

/** Call before changing (or creating) a case inside `caseTransaction`. */
export async function touchCase(tx: Tx, caseId: string): Promise<void> {
  const cases = touched.get(tx);
  if (!cases) throw new Error('a case was changed outside caseTransaction: the statistics would drift');
  if (!cases.has(caseId)) cases.set(caseId, await readCaseFacts(tx, caseId));
}
