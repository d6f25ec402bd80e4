import type { Redis } from 'ioredis';

/**
 * Where a shared credential (the WeChat access token) is kept, so every replica uses the same
 * one: fetching a new token invalidates the previous one after a few minutes, so replicas that
 * each fetched their own would keep knocking each other's tokens out.
 */
export interface TokenStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** A short exclusive claim, so one replica refreshes while the others wait for its result. */
  lock(key: string, ttlMs: number): Promise<boolean>;
  unlock(key: string): Promise<void>;
  /** Deletes the key only while it still holds `value` (a token found invalid, not its successor). */
  deleteIf(key: string, value: string): Promise<void>;
}

const deleteIfScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export function redisTokenStore(redis: Redis, prefix = 'huijie:notify:'): TokenStore {
  return {
    get: (key) => redis.get(prefix + key),
    async set(key, value, ttlMs) {
      await redis.set(prefix + key, value, 'PX', Math.max(1, Math.floor(ttlMs)));
    },
    async lock(key, ttlMs) {
      return (await redis.set(`${prefix}${key}:lock`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async unlock(key) {
      await redis.del(`${prefix}${key}:lock`);
    },
    async deleteIf(key, value) {
      await redis.eval(deleteIfScript, 1, prefix + key, value);
    },
  };
}

/** Standalone mode and single-process use: the same semantics in memory. */
export function memoryTokenStore(): TokenStore {
  const entries = new Map<string, { value: string; expires: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expires <= Date.now()) entries.delete(key);
    return entries.get(key);
  };
  return {
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expires: Date.now() + ttlMs });
    },
    async lock(key, ttlMs) {
      if (live(`${key}:lock`)) return false;
      entries.set(`${key}:lock`, { value: '1', expires: Date.now() + ttlMs });
      return true;
    },
    async unlock(key) {
      entries.delete(`${key}:lock`);
    },
    async deleteIf(key, value) {
      if (live(key)?.value === value) entries.delete(key);
    },
  };
}
