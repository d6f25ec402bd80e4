import { errorReason } from '@huijie/database/error-for-log.ts';
import type { Redis } from 'ioredis';
import { AppError, unavailable } from './errors.ts';
import type { Logger } from './logger.ts';
import { withTimeout } from './timeout.ts';

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

/**
 * Counts in `shared` (Redis: every replica's hits together) and, while it cannot be reached, in
 * `local` (this process's memory): the limit still holds, counted by each replica on its own, as
 * when no Redis is configured — fail safe, not open, and not shut either. One warning when it
 * starts counting locally, one line when the shared store answers again. While away, `shared` is
 * not waited for on every hit (ioredis holds a command for its reconnect attempts, seconds): a hit
 * at most every `probeMs` is also sent to it in the background, and the first that succeeds
 * brings the counting back to it. A `shared` that does not answer within `timeoutMs` counts as
 * away. Counts do not move between the two: for a window, each replica's local count starts at
 * zero, and Redis misses what was counted locally.
 */
export function fallbackRateLimiter(
  shared: RateLimiter,
  local: RateLimiter,
  options: { logger: Logger; what: string; timeoutMs?: number; probeMs?: number },
): RateLimiter {
  const { logger, what } = options;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const probeMs = options.probeMs ?? 5_000;
  let away = false;
  let lastProbe = 0;
  let probing = false;
  const goneAway = (error: unknown) => {
    if (away) return;
    away = true;
    lastProbe = Date.now();
    logger.warn(
      { reason: errorReason(error) },
      `${what}: the shared rate-limit store is unreachable; counting in this process alone until it is back`,
    );
  };
  const probe = (key: string, limit: number, windowMs: number) => {
    if (probing || Date.now() - lastProbe < probeMs) return;
    probing = true;
    lastProbe = Date.now();
    withTimeout(shared.hit(key, limit, windowMs), timeoutMs)
      .then(() => {
        if (!away) return;
        away = false;
        logger.info(`${what}: the shared rate-limit store is reachable again; counting across replicas`);
      })
      .catch(() => {})
      .finally(() => {
        probing = false;
      });
  };
  return {
    async hit(key, limit, windowMs) {
      if (away) {
        probe(key, limit, windowMs);
        return local.hit(key, limit, windowMs);
      }
      try {
        return await withTimeout(shared.hit(key, limit, windowMs), timeoutMs);
      } catch (error) {
        goneAway(error);
        return local.hit(key, limit, windowMs);
      }
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
 * better answer, call `limiter.hit` and decide; where counting per replica is, give it a
 * {@link fallbackRateLimiter}, as cases does for sign-in, whose Redis holds nothing else.)
 *
 * The ingest services' limits (12345 and court clients, the WeChat form and lookups) keep the 503:
 * their Redis also holds the idempotency keys and the applications every such request needs, so
 * without it the request could not be served anyway, and their /readyz says so (`store`), so a
 * load balancer sends their callers, who retry a 503 after its Retry-After, to a replica that can.
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
