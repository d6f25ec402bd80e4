import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.ts';

/** A writer that records each batch and fails for the items it is told to. */
function writer(options: { failing?: Set<number>; transient?: boolean } = {}) {
  const batches: number[][] = [];
  let release: () => void = () => {};
  let gate: Promise<void> | undefined;
  return {
    batches,
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    async write(items: number[]) {
      batches.push(items);
      await gate;
      if (items.some((item) => options.failing?.has(item))) {
        throw Object.assign(new Error(`bad item in ${items.join(',')}`), { transient: options.transient });
      }
    },
  };
}

const transient = (error: unknown) => (error as { transient?: boolean }).transient === true;

describe('groupCommit', () => {
  it('writes an item alone at once, and what arrives meanwhile together in the next batch', async () => {
    const w = writer();
    const add = groupCommit(w.write, { maxBatch: 10, transient });
    w.hold();
    const first = add(1);
    const rest = [2, 3, 4].map(add);
    w.release();
    await Promise.all([first, ...rest]);
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never puts more than maxBatch items in one batch', async () => {
    const w = writer();
    const add = groupCommit(w.write, { maxBatch: 2, transient });
    w.hold();
    const all = [1, 2, 3, 4, 5].map(add);
    w.release();
    await Promise.all(all);
    expect(w.batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('a bad item fails alone: the batch is written again item by item, the others succeed', async () => {
    const w = writer({ failing: new Set([3]) });
    const add = groupCommit(w.write, { maxBatch: 10, transient });
    w.hold();
    const first = add(1);
    const rest = [2, 3, 4].map((item) =>
      add(item).then(
        () => 'ok',
        (error: Error) => error.message,
      ),
    );
    w.release();
    await first;
    expect(await Promise.all(rest)).toEqual(['ok', 'bad item in 3', 'ok']);
    expect(w.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('when the database is away, the whole batch fails at once instead of item by item', async () => {
    const w = writer({ failing: new Set([1, 2, 3, 4]), transient: true });
    const add = groupCommit(w.write, { maxBatch: 10, transient });
    w.hold();
    const all = [1, 2, 3, 4].map((item) =>
      add(item).then(
        () => 'ok',
        () => 'failed',
      ),
    );
    w.release();
    expect(await Promise.all(all)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
  });
});
