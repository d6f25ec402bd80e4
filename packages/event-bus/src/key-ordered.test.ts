import { describe, expect, it } from 'vitest';
import { type KeyOrderedRun, runKeyOrdered, Slots } from './key-ordered.ts';

interface Message {
  key: string;
  offset: number;
}

/** A batch from a string of keys: 'ABA' is A at offset 0, B at 1, A at 2. */
const batch = (keys: string): Message[] => [...keys].map((key, offset) => ({ key, offset }));

function run(keys: string, overrides: Partial<KeyOrderedRun<Message>> = {}) {
  const through: number[] = [];
  const done = runKeyOrdered<Message>({
    messages: batch(keys),
    keyOf: (m) => m.key,
    slots: new Slots(10),
    window: 100,
    stopping: () => false,
    abandoned: () => false,
    handledThrough: (index) => through.push(index),
    handle: async () => {},
    ...overrides,
  });
  return { done, through };
}

/** A handler whose calls finish when the test says so, in any order. */
function gate() {
  const running = new Map<number, () => void>();
  const started: number[] = [];
  return {
    started,
    handle: (message: Message) =>
      new Promise<void>((resolve) => {
        started.push(message.offset);
        running.set(message.offset, resolve);
      }),
    async finish(offset: number) {
      await until(() => running.has(offset));
      running.get(offset)!();
      running.delete(offset);
      await settle();
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
async function until(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await settle();
  expect(condition()).toBe(true);
}

describe('runKeyOrdered', () => {
  it('handles one key at a time in offset order, different keys at once', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    await run('ABABCA', {
      handle: async (m) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await settle();
        log.push(`${m.key}${m.offset}`);
        inFlight--;
      },
    }).done;
    expect(log.filter((entry) => entry.startsWith('A'))).toEqual(['A0', 'A2', 'A5']);
    expect(log.filter((entry) => entry.startsWith('B'))).toEqual(['B1', 'B3']);
    expect(most).toBe(3);
  });

  it('never has more messages in flight than the slots shared by its batches', async () => {
    const slots = new Slots(2);
    let inFlight = 0;
    let most = 0;
    const handle = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await settle();
      inFlight--;
    };
    await Promise.all([run('ABCDEF', { slots, handle }).done, run('GHIJKL', { slots, handle }).done]);
    expect(most).toBe(2);
  });

  it('releases offsets only as a gap-free prefix of handled messages', async () => {
    const g = gate();
    const { done, through } = run('ABC', { handle: g.handle });
    await g.finish(2);
    await g.finish(1);
    expect(through).toEqual([]);
    await g.finish(0);
    await done;
    expect(through).toEqual([2]);
  });

  it('starts nothing further than the window past the oldest message not yet handled', async () => {
    const g = gate();
    const { done } = run('ABCDE', { handle: g.handle, window: 2 });
    await until(() => g.started.length === 2);
    await settle();
    expect(g.started).toEqual([0, 1]);
    await g.finish(1);
    expect(g.started).toEqual([0, 1]);
    await g.finish(0);
    expect(g.started).toEqual([0, 1, 2, 3]);
    await g.finish(2);
    await g.finish(3);
    await g.finish(4);
    await done;
  });

  it('after a failure starts nothing more, lets running work finish, keeps the failed offset unreleased and throws', async () => {
    const handled: number[] = [];
    const { done, through } = run('ABAB', {
      slots: new Slots(2),
      handle: async (m) => {
        if (m.offset === 0) throw new Error('could not park it');
        await settle();
        handled.push(m.offset);
      },
    });
    await expect(done).rejects.toThrow('could not park it');
    // B1 was already running; A2 (same key as the failure) and B3 never start.
    expect(handled).toEqual([1]);
    expect(through).toEqual([]);
  });

  it('when stopping, finishes what lies before the furthest message started, so what is handled is a prefix', async () => {
    const g = gate();
    let stopping = false;
    // A0 and B2 run; A1 waits for A0; C3 and D4 wait for a slot.
    const { done, through } = run('AABCD', {
      handle: g.handle,
      slots: new Slots(2),
      stopping: () => stopping,
    });
    await until(() => g.started.length === 2);
    expect(g.started).toEqual([0, 2]);
    stopping = true;
    await g.finish(2);
    await g.finish(0);
    // A1 comes before B2, which was handled: it runs too. C3 and D4 do not start.
    await g.finish(1);
    await done;
    expect(g.started).toEqual([0, 2, 1]);
    expect(through.at(-1)).toBe(2);
  });

  it('when stopping while later messages wait for the window, ends without them', async () => {
    const g = gate();
    let stopping = false;
    const { done, through } = run('ABCDEF', { handle: g.handle, window: 2, stopping: () => stopping });
    await until(() => g.started.length === 2);
    stopping = true;
    await g.finish(0);
    await g.finish(1);
    await done;
    expect(g.started).toEqual([0, 1]);
    expect(through.at(-1)).toBe(1);
  });

  it('starts nothing on a partition that is not ours any more', async () => {
    const g = gate();
    const { done, through } = run('AB', { handle: g.handle, abandoned: () => true });
    await done;
    expect(g.started).toEqual([]);
    expect(through).toEqual([]);
  });

  it('refuses a concurrency that is not a whole number of at least one', () => {
    expect(() => new Slots(0)).toThrow(/concurrency/);
    expect(() => new Slots(1.5)).toThrow(/concurrency/);
  });
});
