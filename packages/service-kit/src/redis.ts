import { isSocketFailure, someErrorInChain } from '@huijie/database/unavailable.ts';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * What every key a service's Redis client reads or writes starts with: its KAFKA_NAMESPACE and ":"
 * when one is set (`staging:huijie:idem:12345:order:…`), nothing when none is (the keys of an
 * installation without a namespace stay as they were).
 *
 * The keys belong to the namespace because they speak of its event log: an idempotency key says
 * "this order's event is in the log", and the log is the namespace's topics. Environments sharing
 * one Redis without it took each other's orders for duplicates (a second environment answered
 * `duplicate: true` and wrote nothing) and shared their rate limits and WeChat applications.
 */
export function redisKeyPrefix(namespace: string | undefined): string {
  return namespace ? `${namespace}:` : '';
}

export interface RedisOptions {
  logger?: Logger;
  /**
   * The service's KAFKA_NAMESPACE (undefined when none): required, so that no service's Redis
   * goes unnamespaced by omission. The client prefixes every key (ioredis `keyPrefix`: plain
   * commands, MULTI, EVAL's KEYS), so the stores built on it need no prefix of their own.
   */
  namespace: string | undefined;
}

/**
 * A service's Redis client. Auto-pipelining sends the commands issued in one tick of the event
 * loop in one socket write: under load every request claims and completes idempotency keys,
 * and a write per command cost the intake more CPU (in system calls) than its validation.
 * Each command still gets its own reply, in order; nothing is batched across a request's awaits.
 *
 * While Redis is away ioredis reports every reconnect attempt as an `error` event, which, unheard,
 * it prints as a stack trace: the logger gets one line when it goes, one when it is back. Before
 * the first connection nothing is logged: the start check (`reachAtStart` of {@link pingRedis})
 * names REDIS_URL.
 */
export function connectRedis(url: string, options: RedisOptions): Redis {
  const { logger } = options;
  const redis = new Redis(url, {
    maxRetriesPerRequest: 2,
    // A Redis that stops answering but keeps its connection (a hung server, a half-open link):
    // without a limit each command, the request or event waiting on it too, waits for ever.
    commandTimeout: commandTimeoutMs,
    // Commands a dropped connection had in hand were failed by their timeout and answered so (a
    // 503, a retry): sent again on the next connection they would do what the caller was told
    // had not been done (an idempotency claim left pending, a rate limit counted twice).
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    keyPrefix: redisKeyPrefix(options.namespace),
  });
  let connected = false;
  let away = false;
  redis.on('error', (error: Error) => {
    lastErrors.set(redis, error);
    if (!connected || away) return;
    away = true;
    logger?.warn({ reason: error.message }, 'Redis unreachable (REDIS_URL); retrying');
  });
  redis.on('ready', () => {
    connected = true;
    if (!away) return;
    away = false;
    logger?.info('Redis reachable again');
  });
  watchConnection(redis);
  return redis;
}

/**
 * Asks the connection a PING every few seconds: one not answered in time is a connection that
 * will not answer (a half-open link, which the kernel gives up on only after minutes), and it is
 * closed and opened again. (Not ioredis's `socketTimeout`: its timer outlives the connection it
 * was set for, and closes the next one, healthy, a few seconds after a reconnect.)
 */
function watchConnection(redis: Redis): void {
  const timer = setInterval(() => {
    if (redis.status !== 'ready') return;
    redis.ping().catch((error: Error) => {
      if (error.message === commandTimedOut && redis.status === 'ready') redis.disconnect(true);
    });
  }, watchIntervalMs);
  timer.unref();
  redis.once('end', () => clearInterval(timer));
}

/**
 * How long a command may wait for its reply. Redis answers in well under a millisecond; seconds
 * without an answer is a Redis that will not, and the caller is better told (a 503, a retry).
 */
export const commandTimeoutMs = 2_000;
/** How often a connection is asked whether it still answers. */
const watchIntervalMs = 5_000;

/** The last connection error of each client made by {@link connectRedis}. */
const lastErrors = new WeakMap<Redis, Error>();

/**
 * PING, as the start checks it: when Redis cannot be reached, the error is the connection's own
 * (`connect ECONNREFUSED 127.0.0.1:6390`), not ioredis's advice about its retry option.
 */
export async function pingRedis(redis: Redis): Promise<void> {
  try {
    await redis.ping();
  } catch (error) {
    throw ((error as Error).name === 'MaxRetriesPerRequestError' && lastErrors.get(redis)) || error;
  }
}

/**
 * Whether an error says Redis could not be reached rather than that the command was wrong: the
 * counterpart of `isDatabaseUnavailable` for a handler whose store is Redis. Work that failed so
 * succeeds once Redis is back, so the event runner retries it until then (`retry.transient`)
 * instead of dead-lettering its message after a few attempts.
 *
 * While Redis is away a client made by {@link connectRedis} holds each command through two
 * reconnect attempts, then fails it with `MaxRetriesPerRequestError`; a command Redis does not
 * answer within {@link commandTimeoutMs} fails with "Command timed out"; a client that stopped
 * reconnecting answers "Connection is closed."; a socket's own error (ECONNREFUSED…) may come
 * wrapped in a caller's. Redis's replies while it comes back (LOADING, READONLY…) are transient too;
 * its others (WRONGTYPE, a script's error) say that the command was wrong: those are not.
 */
export function isRedisUnavailable(error: unknown): boolean {
  return someErrorInChain(
    error,
    (candidate) =>
      isSocketFailure(candidate) ||
      candidate.name === 'MaxRetriesPerRequestError' ||
      candidate.message === connectionClosed ||
      candidate.message === commandTimedOut ||
      (candidate.name === 'ReplyError' &&
        typeof candidate.message === 'string' &&
        comingBack.test(candidate.message)),
  );
}

/**
 * Redis's replies while it is coming back: loading its data after a restart, a replica during a
 * failover or cut off from its master, a cluster moving a slot. The same command succeeds soon.
 */
const comingBack = /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN) /;

/** ioredis's words for a command on a connection it closed (or will not reopen). */
const connectionClosed = 'Connection is closed.';
/** ioredis's words for a command not answered within its `commandTimeout`. */
const commandTimedOut = 'Command timed out';
