import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { clientErrorAnswer, type ErrorBody, installErrorHandler } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { requestLogger } from './request-logger.ts';
import { withTimeout } from './timeout.ts';

export interface ServiceAppOptions {
  logger: Logger;
  metrics: Metrics;
  /** Named checks for /readyz: each throws when its dependency (broker, database) is unreachable. */
  readiness: Record<string, () => Promise<unknown>>;
  bodyLimit?: number;
}

/** One HTTP route a service answers. */
export interface RouteEntry {
  method: string;
  url: string;
}

const routeInventories = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route of an app made by {@link createServiceApp}, in the order they were declared. */
export function routesOf(app: FastifyInstance): RouteEntry[] {
  return [...(routeInventories.get(app) ?? [])];
}

/**
 * The Fastify instance every service starts from: the one error shape, request ids, and
 * /healthz (alive), /readyz (dependencies reachable) and /metrics (Prometheus).
 * It never listens: only a service's main owns the process.
 */
export function createServiceApp(options: ServiceAppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Requests are measured in /metrics; per-request log lines would only repeat them.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => crypto.randomUUID(),
    childLoggerFactory: (logger, bindings) => requestLogger(logger as Logger, bindings),
    clientErrorHandler: (error, socket) => {
      // A reset connection has no one to answer (Fastify's default handler does the same).
      if ((error as { code?: string }).code === 'ECONNRESET' || socket.destroyed) return;
      const { status, body } = clientErrorAnswer(error as { code?: string });
      const text = JSON.stringify(body);
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
        );
      }
      socket.destroy();
    },
    // Answered below, in the one error shape and with Retry-After (Fastify's own 503 has neither).
    return503OnClosing: false,
  });
  installErrorHandler(app);
  // While the service drains, a request arriving on a connection still open (keep-alive, pipelined)
  // is sent elsewhere: the hotline, the courts and the form retry a 503 after its Retry-After.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close').header('retry-after', '1');
    return reply.status(503).send({
      error: { code: 'unavailable', message: 'the service is restarting; retry', fields: [] },
    } satisfies ErrorBody);
  });
  const inventory: RouteEntry[] = [];
  routeInventories.set(app, inventory);
  // Every route, whichever way it was declared (route(), app.get, a plugin), for the security review's tests.
  app.addHook('onRoute', (options) => {
    for (const method of [options.method].flat()) {
      if (method !== 'HEAD') inventory.push({ method, url: options.url });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode >= 500)
      request.log.warn({ route, status: reply.statusCode }, 'request answered 5xx');
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    const checks: Record<string, string> = {};
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          checks[name] = 'ok';
        } catch (error) {
          // Anyone can ask: the driver's words (hosts, ports, users) go to the log, not the answer.
          checks[name] = 'unreachable';
          request.log.warn({ check: name, err: error }, 'not ready');
        }
      }),
    );
    const ready = Object.values(checks).every((value) => value === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  return app;
}
