import { Redis } from 'ioredis';

/**
 * A service's Redis client. Auto-pipelining sends the commands issued in one tick of the event
 * loop in one socket write: under load every request claims and completes idempotency keys,
 * and a write per command cost the intake more CPU (in system calls) than its validation.
 * Each command still gets its own reply, in order; nothing is batched across a request's awaits.
 */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
}
