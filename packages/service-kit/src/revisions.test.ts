import { describe, expect, it } from 'vitest';
import { type IdempotencyStore, memoryIdempotency } from './idempotency.ts';
import {
  abandon,
  fingerprint,
  maxRevisions,
  planRevision,
  type RevisionPlan,
  recordWritten,
} from './revisions.ts';

const revisionKey = (id: string, revision: number) => `test:${id}:r${revision}`;
const keyOf = (revision: number) => revisionKey('GD1', revision);

/** What a push does with its plan: writes (taking `writeMs`) and records, or leaves. */
async function push(store: IdempotencyStore, fingerprint: string, writeMs = 0): Promise<RevisionPlan> {
  const plan = await planRevision(store, keyOf, fingerprint);
  if (plan.kind === 'write') {
    await new Promise((resolve) => setTimeout(resolve, writeMs));
    await recordWritten(store, plan.key, fingerprint);
  }
  return plan;
}

describe('planRevision', () => {
  it('a first push writes revision 1; the same again is a duplicate of revision 1', async () => {
    const store = memoryIdempotency();
    expect(await push(store, 'A')).toEqual({ kind: 'write', revision: 1, key: revisionKey('GD1', 1) });
    expect(await push(store, 'A')).toEqual({ kind: 'duplicate', revision: 1 });
  });

  it('a push that says something new writes the next revision; its retry is a duplicate of it', async () => {
    const store = memoryIdempotency();
    await push(store, 'A');
    expect(await push(store, 'B')).toMatchObject({ kind: 'write', revision: 2 });
    expect(await push(store, 'B')).toEqual({ kind: 'duplicate', revision: 2 });
    expect(await push(store, 'C')).toMatchObject({ kind: 'write', revision: 3 });
  });

  it('a late retry of an earlier revision stays a duplicate of it, not a new revision', async () => {
    const store = memoryIdempotency();
    await push(store, 'A');
    await push(store, 'B');
    expect(await push(store, 'A')).toEqual({ kind: 'duplicate', revision: 1 });
  });

  it('a failed write leaves the revision free for the retry', async () => {
    const store = memoryIdempotency();
    const plan = await planRevision(store, keyOf, 'A');
    expect(plan.kind).toBe('write');
    if (plan.kind === 'write') await abandon(store, plan.key);
    expect(await push(store, 'A')).toMatchObject({ kind: 'write', revision: 1 });
  });

  it('100 concurrent identical pushes: one writes, 99 wait and answer duplicate', async () => {
    const store = memoryIdempotency();
    const plans = await Promise.all(Array.from({ length: 100 }, () => push(store, 'A', 30)));
    expect(plans.filter((plan) => plan.kind === 'write')).toHaveLength(1);
    expect(plans.filter((plan) => plan.kind === 'duplicate')).toHaveLength(99);
  });

  it('two different updates at once become revisions 2 and 3, one each', async () => {
    const store = memoryIdempotency();
    await push(store, 'A');
    const plans = await Promise.all(['B', 'C', 'B', 'C'].map((fingerprint) => push(store, fingerprint, 20)));
    const written = plans.filter((plan) => plan.kind === 'write').map((plan) => plan.revision);
    expect(written.sort()).toEqual([2, 3]);
  });

  it('answers busy when the writer of a revision does not finish in time', async () => {
    const store = memoryIdempotency();
    await planRevision(store, keyOf, 'A');
    expect(await planRevision(store, keyOf, 'A', { waitMs: 50 })).toEqual({ kind: 'busy' });
  });

  it(`stops at ${maxRevisions} revisions`, async () => {
    const store = memoryIdempotency();
    for (let n = 1; n <= maxRevisions; n++) await push(store, `F${n}`);
    expect(await push(store, 'one too many')).toEqual({ kind: 'exhausted' });
    expect(await push(store, `F${maxRevisions}`)).toEqual({ kind: 'duplicate', revision: maxRevisions });
  });

  it('with positions: a push behind a revision already taken is superseded, one ahead is written', async () => {
    const store = memoryIdempotency();
    const at = async (print: string, position: number[]) => {
      const plan = await planRevision(store, keyOf, print, { position });
      if (plan.kind === 'write') await recordWritten(store, plan.key, print, position);
      return plan;
    };
    await at('A', [1, 100]);
    expect(await at('B', [2, 200])).toMatchObject({ kind: 'write', revision: 2 });
    expect(await at('C', [1, 150])).toEqual({ kind: 'superseded', revision: 2 });
    expect(await at('D', [2, 300])).toMatchObject({ kind: 'write', revision: 3 });
  });
});

describe('fingerprint', () => {
  it('is the same for the same value with its keys in any order, and differs for another value', () => {
    expect(fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      fingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }),
    );
    expect(fingerprint({ a: 1, b: { c: [2, 1], d: 'x' } })).not.toBe(
      fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } }),
    );
  });
});
