import type { Redis } from 'ioredis';
import { AppError, unavailable } from './errors.ts';

/** Fixed-window counters: cheap, shared by every replica through Redis, and good enough for abuse limits. */
export interface RateLimiter {
  /** Counts one hit against `key`; says whether it is within `limit` for the current window. */
  hit(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterMs: number }>;
}

export function redisRateLimiter(redis: Redis, prefix = 'huijie:rate:'): RateLimiter {
  return {
    async hit(key, limit, windowMs) {
      const window = Math.floor(Date.now() / windowMs);
      const name = `${prefix}${key}:${window}`;
      const [[, count]] = (await redis.multi().incr(name).pexpire(name, windowMs).exec()) as [[null, number]];
      return { allowed: count <= limit, retryAfterMs: (window + 1) * windowMs - Date.now() };
    },
  };
}

export function memoryRateLimiter(): RateLimiter {
  const counts = new Map<string, { window: number; count: number }>();
  return {
    async hit(key, limit, windowMs) {
      const window = Math.floor(Date.now() / windowMs);
      const entry = counts.get(key);
      const count = entry && entry.window === window ? entry.count + 1 : 1;
      counts.set(key, { window, count });
      if (counts.size > 100_000) {
        for (const [name, value] of counts) if (value.window !== window) counts.delete(name);
      }
      return { allowed: count <= limit, retryAfterMs: (window + 1) * windowMs - Date.now() };
    },
  };
}

/** What a refusal says; a citizen-facing endpoint says it in Chinese. */
export interface RateLimitMessages {
  limited: string;
  unavailable: string;
}

const defaultMessages: RateLimitMessages = {
  limited: 'too many requests; retry later',
  unavailable: 'the rate-limit store is unavailable; retry later',
};

/** The 429 for a key over its limit, with Retry-After. */
export function rateLimited(retryAfterMs: number, message = defaultMessages.limited): AppError {
  return new AppError(429, 'rate_limited', message, [], {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  });
}

/**
 * Throws a 429 with Retry-After when `key` is over its limit, and a 503 when the limiter cannot
 * be reached: an endpoint worth limiting is not served unlimited. (Where serving anyway is the
 * better answer, call `limiter.hit` and decide.)
 */
export async function enforceRateLimit(
  limiter: RateLimiter,
  key: string,
  limit: number,
  windowMs: number,
  messages: RateLimitMessages = defaultMessages,
): Promise<void> {
  let verdict: { allowed: boolean; retryAfterMs: number };
  try {
    verdict = await limiter.hit(key, limit, windowMs);
  } catch {
    throw unavailable(messages.unavailable, 5);
  }
  if (!verdict.allowed) throw rateLimited(verdict.retryAfterMs, messages.limited);
}
