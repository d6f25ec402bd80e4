import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError } from './config.ts';
import { createLogger } from './logger.ts';

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
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
}

/** Awaits what a service needs at start; if it cannot be reached, a {@link StartupError} names the variable. */
export async function reachAtStart<T>(variable: string, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StartupError(`${what} named by ${variable} cannot be reached: ${startupFailureMessage(error)}`);
  }
}

/**
 * How long a stopping service may take to drain before it gives up and exits 1. A supervisor
 * must wait longer than this before it kills (docker-compose.yml's `stop_grace_period`).
 */
export const shutdownTimeoutMs = 30_000;

/**
 * Owns a service's process (only a `main.ts` calls this): listen, then on SIGTERM/SIGINT stop
 * intake, let in-flight work finish (the app's preClose hooks stop consumers and commit),
 * close pools, exit. A second signal, or a shutdown that hangs, exits at once.
 */
export async function serve(
  apps: { name: string; app: FastifyInstance; port: number }[],
  options: { host: string; logger: Logger; cleanup?: () => Promise<void>; shutdownTimeoutMs?: number },
): Promise<void> {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
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
      process.exit(0);
    } catch (error) {
      options.logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  for (const { name, app, port } of apps) {
    try {
      await app.listen({ port, host: options.host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const variable = `${name.toUpperCase().replaceAll('-', '_')}_PORT`;
      if (code === 'EADDRINUSE')
        throw new StartupError(
          `${name}: ${options.host}:${port} is already in use (another Huijie still running?); stop it or set ${variable}`,
        );
      if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
        throw new StartupError(
          `${name}: cannot listen on ${options.host}:${port} (${code}); check HOST and ${variable}`,
        );
      throw error;
    }
  }
  if (startupFailureHandler) process.off('uncaughtException', startupFailureHandler);
  startupFailureHandler = undefined;
}

/** A consumer that crashed beyond recovery leaves a process that consumes nothing: exit, the supervisor restarts it. */
export function exitOnFatal(logger: Logger) {
  return (error: Error) => {
    logger.fatal({ err: error }, 'consumer crashed; exiting so the supervisor restarts the service');
    process.exit(1);
  };
}
