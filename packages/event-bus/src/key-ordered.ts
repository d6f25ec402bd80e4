import { setMaxListeners } from 'node:events';

/**
 * Messages handled at once per consumer when its subscription does not say: enough to overlap
 * database and broker round trips, fewer than a service's default database pool (10), so
 * handlers do not queue for connections.
 */
export const defaultConcurrency = 8;

/** Messages may start this many times the concurrency past the oldest one not yet handled. */
export const windowFor = (concurrency: number) => concurrency * 4;

/**
 * The stop signal of a consumer handling up to `concurrency` messages at once. Every message in
 * flight may listen on it (a retry's sleep, the handler's own requests), so Node's leak warning at
 * 11 listeners would be a false alarm under load; a few per message in flight still flags a leak.
 */
export function consumerStopSignal(concurrency: number): AbortController {
  const controller = new AbortController();
  setMaxListeners(concurrency * 4 + 1, controller.signal);
  return controller;
}

/** How many messages one consumer may be handling at once, shared by all its partitions. */
export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`concurrency must be a whole number ≥ 1, not ${size}`);
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

export interface KeyOrderedRun<M> {
  /** One partition's batch, in offset order. */
  messages: readonly M[];
  keyOf(message: M): string;
  slots: Slots;
  /**
   * How far past the oldest message not yet handled a message may start. Bounds what a stop
   * must finish, and what a crash replays, however slow one message is.
   */
  window: number;
  handle(message: M): Promise<void>;
  /** Every message up to and including `index` is handled: its offset may be committed. Called as that prefix grows. */
  handledThrough(index: number): void;
  /**
   * The consumer is stopping: the messages before the furthest one already started are still
   * handled — so that what is handled is exactly a prefix, to be committed, and nothing is
   * handled again by the successor — and nothing after it starts.
   */
  stopping(): boolean;
  /** The partition is not ours to work on any more: nothing starts. */
  abandoned(): boolean;
}

/**
 * Handles a partition's batch with messages of different keys at the same time and the messages
 * of one key one after another, in offset order — the only order a partition promises anyone.
 * Offsets are released only as a gap-free prefix, so a commit never covers a message that is not
 * handled yet. After the first failure nothing new starts (in particular nothing later of the
 * same key); the work already running finishes, and then the failure is thrown, so that the
 * engine delivers the unhandled rest again.
 */
export async function runKeyOrdered<M>(run: KeyOrderedRun<M>): Promise<void> {
  const { messages } = run;
  const done = new Uint8Array(messages.length);
  let through = 0;
  let furthest = -1;
  /** Set when a stop is first seen: the last index that still runs. */
  let horizon: number | undefined;
  let failure: { error: unknown } | undefined;
  /** Messages waiting for the window to reach them, by index. */
  const waiting = new Map<number, () => void>();
  const settle = () => {
    const before = through;
    while (through < messages.length && done[through] === 1) through++;
    if (through === before) return;
    run.handledThrough(through - 1);
    for (const [index, wake] of waiting) {
      if (index < through + run.window) {
        waiting.delete(index);
        wake();
      }
    }
  };
  const wakeAll = () => {
    for (const wake of waiting.values()) wake();
    waiting.clear();
  };
  const skip = (index: number) => {
    if (horizon === undefined && run.stopping()) horizon = furthest;
    const skipped = failure !== undefined || run.abandoned() || (horizon !== undefined && index > horizon);
    // Nothing after a skipped message starts: whoever waits for the window to move gives up now.
    if (skipped) wakeAll();
    return skipped;
  };
  const start = async (index: number) => {
    if (index >= through + run.window) await new Promise<void>((wake) => waiting.set(index, wake));
    if (skip(index)) return;
    await run.slots.acquire();
    try {
      if (skip(index)) return;
      furthest = Math.max(furthest, index);
      await run.handle(messages[index]!);
      done[index] = 1;
      settle();
    } catch (error) {
      failure ??= { error };
      wakeAll();
    } finally {
      run.slots.release();
    }
  };
  const tails = new Map<string, Promise<void>>();
  messages.forEach((message, index) => {
    const key = run.keyOf(message);
    tails.set(
      key,
      (tails.get(key) ?? Promise.resolve()).then(() => start(index)),
    );
  });
  await Promise.all(tails.values());
  if (failure) throw failure.error;
}
