import { MigrationHistoryError } from '@huijie/database/migrate.ts';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError } from './config.ts';
import { startConsuming } from './http-app.ts';
import { createLogger } from './logger.ts';
import { withTimeout } from './timeout.ts';

/** A start that cannot go on, told in one line: what is wrong and which variable to look at. */
export class StartupError extends Error {
  override name = 'StartupError';
}

let startupFailureHandler: ((error: unknown) => void) | undefined;

/**
 * The first line of a `main.ts`: until {@link serve} is listening, anything that stops the start
 * (a bad variable, a database or broker that does not answer, a port in use) is one JSON log line
 * naming what is wrong, then exit 1 — not a stack trace. Later crashes keep Node's own report.
 */
export function exitOnStartupFailure(service: string): void {
  const logger = createLogger({ service, level: 'fatal' });
  startupFailureHandler = (error: unknown) => {
    logger.fatal(`cannot start: ${startupFailureMessage(error)}`);
    process.exit(1);
  };
  process.on('uncaughtException', startupFailureHandler);
}

/** What an operator needs of a failed start: the message, without the stack. */
export function startupFailureMessage(error: unknown): string {
  // "invalid configuration:\n  JWT_SECRET: …\n  DATABASE_URL: …" on one line, each variable named.
  if (error instanceof ConfigError) return error.message.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; ');
  if (!(error instanceof Error)) return String(error);
  // A connection to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with each.
  if (error instanceof AggregateError && error.message === '')
    return error.errors.map((each) => startupFailureMessage(each)).join('; ');
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
}

/** Awaits what a service needs at start; if it cannot be reached, a {@link StartupError} names the variable. */
export async function reachAtStart<T>(variable: string, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // Reached, but what it holds does not fit this release (a migration edited after it was
    // applied): that is what to fix, not the connection.
    if (error instanceof MigrationHistoryError)
      throw new StartupError(`${what} named by ${variable}: ${error.message}`);
    throw new StartupError(`${what} named by ${variable} cannot be reached: ${startupFailureMessage(error)}`);
  }
}

/**
 * How long a stopping service may take to drain before it gives up and exits 1. A supervisor
 * must wait longer than this before it kills (docker-compose.yml's `stop_grace_period`).
 */
export const shutdownTimeoutMs = 30_000;

/** The same signal again within this long is the first one delivered twice, not a second one. */
const repeatedSignalMs = 1_000;

/**
 * Owns a service's process (only a `main.ts` calls this): listen, then start the apps'
 * consumers and wait until they have joined their groups (see `consumes`); then on SIGTERM/SIGINT stop
 * intake, let in-flight work finish (the app's preClose hooks stop consumers and commit),
 * close pools, log "stopped" (with how long it took), exit 0. A second signal, or a shutdown that
 * hangs, exits 1 at once.
 */
export async function serve(
  apps: { name: string; app: FastifyInstance; port: number }[],
  options: { host: string; logger: Logger; cleanup?: () => Promise<void>; shutdownTimeoutMs?: number },
): Promise<void> {
  let stopping: { signal: string; at: number } | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // One Ctrl-C under npm arrives twice: from the terminal to the process group, and forwarded
      // by npm (a workspace script execs node). Only a second signal asks to stop at once.
      if (signal === stopping.signal && Date.now() - stopping.at < repeatedSignalMs) return;
      process.exit(1);
    }
    stopping = { signal, at: Date.now() };
    options.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      options.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? shutdownTimeoutMs);
    timer.unref();
    try {
      // Edges first, so nothing new comes in while the consumers behind them drain.
      for (const { app } of apps) await app.close();
      await options.cleanup?.();
      // The last line of a clean stop: without it only the exit code tells a stop from a crash.
      options.logger.info({ signal, stopMs: Date.now() - stopping.at }, 'stopped');
      process.exit(0);
    } catch (error) {
      options.logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const begun: FastifyInstance[] = [];
  try {
    for (const { name, app, port } of apps) {
      begun.push(app);
      await listen(name, app, port, options.host);
    }
    // Only now, every port bound: a start that fails on its port has joined no consumer group.
    await Promise.all(apps.map(({ name, app }) => joinGroup(name, app, options.logger)));
  } catch (error) {
    // Stopped during the start (a consumer still joining is disconnected by the cleanup): the
    // shutdown under way lets go of everything and exits.
    if (stopping) return;
    await letGo(begun, options.cleanup);
    throw error;
  }
  if (startupFailureHandler) process.off('uncaughtException', startupFailureHandler);
  startupFailureHandler = undefined;
}

async function listen(name: string, app: FastifyInstance, port: number, host: string): Promise<void> {
  try {
    await app.listen({ port, host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const variable = `${name.toUpperCase().replaceAll('-', '_')}_PORT`;
    if (code === 'EADDRINUSE')
      throw new StartupError(
        `${name}: ${host}:${port} is already in use (another Huijie still running?); stop it or set ${variable}`,
      );
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new StartupError(
        `${name}: cannot listen on ${host}:${port} (${code}); check HOST and ${variable}`,
      );
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      throw new StartupError(
        `${name}: HOST ${host} is not a name this machine can resolve (${code}); check HOST`,
      );
    throw error;
  }
}

/** After this long still joining, the start says what it waits for (a fresh group takes about 3 s). */
const joinNoticeMs = 5_000;

/**
 * Starts the app's consumer: its group's rebalance may wait for a member that never left (a
 * killed predecessor) until that member's session times out — KAFKA_SESSION_TIMEOUT_MS, 30 s by default.
 */
async function joinGroup(name: string, app: FastifyInstance, logger: Logger): Promise<void> {
  const notice = setTimeout(
    () =>
      logger.info(
        { app: name },
        'waiting to join the consumer group: its rebalance waits for any member that did not leave it (a killed instance) until the session of that member times out (KAFKA_SESSION_TIMEOUT_MS); /readyz answers 503 meanwhile',
      ),
    joinNoticeMs,
  );
  try {
    await startConsuming(app);
  } catch (error) {
    throw new StartupError(`${name}: ${startupFailureMessage(error)}`);
  } finally {
    clearTimeout(notice);
  }
}

/** How long a failed start may take to let go of what it took before it exits anyway. */
const letGoTimeoutMs = 10_000;

/**
 * A failed start lets go of what it took, as far as it can: closing the apps stops a consumer
 * that joined its group (it leaves, instead of holding its partitions until its session times
 * out), and the cleanup closes the clients (a consumer still joining is disconnected).
 */
async function letGo(apps: FastifyInstance[], cleanup: (() => Promise<void>) | undefined): Promise<void> {
  const done = (async () => {
    for (const app of apps) await app.close().catch(() => {});
    await cleanup?.();
  })();
  await withTimeout(done, letGoTimeoutMs).catch(() => {});
}

/** A consumer that crashed beyond recovery leaves a process that consumes nothing: exit, the supervisor restarts it. */
export function exitOnFatal(logger: Logger) {
  return (error: Error) => {
    logger.fatal({ err: error }, 'consumer crashed; exiting so the supervisor restarts the service');
    process.exit(1);
  };
}
