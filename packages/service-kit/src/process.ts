import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

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
    }, options.shutdownTimeoutMs ?? 30_000);
    timer.unref();
    try {
      // Edges first, so nothing new comes in while the consumers behind them drain.
      for (const { app } of apps) await app.close();
      await options.cleanup?.();
      process.exit(0);
    } catch (error) {
      options.logger.error({ err: (error as Error).message }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  for (const { app, port } of apps) await app.listen({ port, host: options.host });
}

/** A consumer that crashed beyond recovery leaves a process that consumes nothing: exit, the supervisor restarts it. */
export function exitOnFatal(logger: Logger) {
  return (error: Error) => {
    logger.fatal({ err: error.message }, 'consumer crashed; exiting so the supervisor restarts the service');
    process.exit(1);
  };
}
