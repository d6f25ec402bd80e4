/**
 * Whether an error says the database could not be reached (refused, cut, restarting, out of
 * connections) rather than that the work itself is wrong. Work that failed so will succeed
 * once the database is back, so it is waited for, never given up on: the event runner keeps
 * retrying such a handler instead of dead-lettering its message after a few attempts.
 *
 * Errors come from pg (a socket error, or a server's SQLSTATE), or from Prisma over its pg
 * adapter (a P1xxx code, or the adapter's error as the cause), so each error, its `cause`
 * chain and Prisma's wrapped adapter error are looked at.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someErrorInChain(error, (candidate) => {
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    if (isSocketFailure(candidate) || prismaCodes.has(code) || sqlStates.has(code) || code.startsWith('08'))
      return true;
    if (typeof candidate.kind === 'string' && adapterKinds.has(candidate.kind)) return true;
    return typeof candidate.message === 'string' && messages.test(candidate.message);
  });
}

/** What the recognisers of an unreachable server read of an error (pg's, Prisma's, ioredis's, Node's). */
export interface ErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  kind?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

/**
 * Whether `test` holds for the error or for one it wraps: its `cause` chain, and the adapter
 * error Prisma wraps. Clients wrap the socket's error in their own, so the one that says
 * "unreachable" may be a few causes down. Each error is looked at once (a cause may loop back).
 */
export function someErrorInChain(error: unknown, test: (candidate: ErrorFields) => boolean): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as ErrorFields;
    if (test(candidate)) return true;
    pending.push(candidate.cause, candidate.meta?.driverAdapterError);
  }
  return false;
}

/** Whether the error is Node's own for a socket whose server refused, reset, or never answered. */
export function isSocketFailure(candidate: ErrorFields): boolean {
  return typeof candidate.code === 'string' && socketCodes.has(candidate.code);
}

/** Node's socket errors: the server refused, reset, or never answered. */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Prisma: can't reach the server (P1001), timed out reaching it (P1002), operation timed out
 * (P1008), the server closed the connection (P1017), no pooled connection in time (P2024).
 */
const prismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/** PostgreSQL: shutting down or starting up (57P01–57P03), too many connections (53300); class 08 is checked apart. */
const sqlStates = new Set(['57P01', '57P02', '57P03', '53300']);

/** What @prisma/adapter-pg calls a lost or unreachable server. */
const adapterKinds = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

/** pg's own words for a connection that went away (it throws these without a code). */
const messages =
  /Can't reach database server|Server has closed the connection|Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Connection ended unexpectedly/i;
