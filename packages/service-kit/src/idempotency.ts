import type { Redis } from 'ioredis';

/**
 * "Have we already accepted this?" for pushes that callers retry. A key is first claimed
 * (pending) by the request that will write the event, then marked done once the write is
 * durable; a concurrent duplicate waits for the outcome instead of answering early, so a
 * 202 is never given for something that was not written.
 */
export interface IdempotencyStore {
  /** Claims the key, or returns what is there: a pending claim or a completed value. */
  claim(key: string, ttlMs: number): Promise<{ claimed: true } | { claimed: false; done: string | null }>;
  complete(key: string, value: string, ttlMs: number): Promise<void>;
  release(key: string): Promise<void>;
}

const pending = '\u0000pending';

export function redisIdempotency(redis: Redis, prefix = 'huijie:idem:'): IdempotencyStore {
  return {
    async claim(key, ttlMs) {
      const ok = await redis.set(prefix + key, pending, 'PX', ttlMs, 'NX');
      if (ok === 'OK') return { claimed: true };
      const value = await redis.get(prefix + key);
      if (value === null) return this.claim(key, ttlMs);
      return { claimed: false, done: value === pending ? null : value };
    },
    async complete(key, value, ttlMs) {
      await redis.set(prefix + key, value, 'PX', ttlMs);
    },
    async release(key) {
      await redis.del(prefix + key);
    },
  };
}

/** The same semantics in this process's memory, for tests (standalone mode keeps its store in its data directory). */
export function memoryIdempotency(): IdempotencyStore {
  const entries = new Map<string, { value: string; expires: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expires < Date.now()) entries.delete(key);
    return entries.get(key);
  };
  return {
    async claim(key, ttlMs) {
      const entry = live(key);
      if (!entry) {
        entries.set(key, { value: pending, expires: Date.now() + ttlMs });
        return { claimed: true };
      }
      return { claimed: false, done: entry.value === pending ? null : entry.value };
    },
    async complete(key, value, ttlMs) {
      entries.set(key, { value, expires: Date.now() + ttlMs });
    },
    async release(key) {
      entries.delete(key);
    },
  };
}

/**
 * Runs `write` at most once per key across retries and concurrent duplicates. Returns the
 * value the first successful write produced and whether this call was a duplicate.
 */
export async function onceForKey(
  store: IdempotencyStore,
  key: string,
  write: () => Promise<string>,
  options: { ttlMs?: number; pendingTtlMs?: number; waitMs?: number } = {},
): Promise<{ value: string; duplicate: boolean } | { busy: true }> {
  const deadline = Date.now() + (options.waitMs ?? 3_000);
  for (;;) {
    const claim = await store.claim(key, options.pendingTtlMs ?? 30_000);
    if (claim.claimed) {
      try {
        const value = await write();
        await store.complete(key, value, options.ttlMs ?? 7 * 24 * 3600 * 1000);
        return { value, duplicate: false };
      } catch (error) {
        await store.release(key).catch(() => {});
        throw error;
      }
    }
    if (claim.done !== null) return { value: claim.done, duplicate: true };
    if (Date.now() > deadline) return { busy: true };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
