import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { maskPersonalData } from '@huijie/database/error-for-log.ts';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { bearerTokenOf } from './auth-token.ts';
import {
  clientErrorAnswer,
  type ErrorBody,
  frameworkAnswer,
  installErrorHandler,
  servedMethods,
  unauthorized,
} from './errors.ts';
import { failureLog } from './failure-log.ts';
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

/** A consumer that has joined its group; stopping it finishes what it holds, commits and leaves. */
export interface RunningConsumer {
  stop(): Promise<void>;
}

interface AppConsumer {
  start?: () => Promise<RunningConsumer>;
  started?: Promise<RunningConsumer>;
  joined: boolean;
  /** The app is closing: its consumer is not started any more. */
  closed: boolean;
}

const consumersOf = new WeakMap<FastifyInstance, AppConsumer>();

/**
 * Gives an app made by {@link createServiceApp} its consumer, which starts not with the app
 * (`ready`, `listen`) but when its owner calls {@link startConsuming}: `serve` once the port is
 * bound, a test instead of `ready()`. Joining a Kafka group waits for the group's rebalance, up
 * to the session timeout while a crashed predecessor is still a member: longer than Fastify lets
 * a start hook take, and a start that fails on its port must fail before it joins. Until it has
 * joined, /readyz answers 503 (`consumers: starting`); on close it stops before the app's hooks
 * (one still joining is stopped by closing the bus it came from).
 */
export function consumes(app: FastifyInstance, start: () => Promise<RunningConsumer>): void {
  const consumer = consumersOf.get(app);
  if (!consumer) throw new Error('consumes: not an app made by createServiceApp');
  if (consumer.start) throw new Error('consumes: the app has a consumer already');
  consumer.start = start;
}

/** Readies the app, then starts its consumer if it has one; resolves once that has joined its group. */
export async function startConsuming(app: FastifyInstance): Promise<void> {
  await app.ready();
  const consumer = consumersOf.get(app);
  if (!consumer?.start || consumer.closed) return;
  consumer.started ??= consumer.start();
  await consumer.started;
  consumer.joined = true;
}

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
      // Refused before there was a request: no method or route to name.
      options.logger.info({ status, code: body.error.code }, 'request refused');
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
    // A path Fastify cannot route (bad percent-encoding, a part over 100 characters): in the one
    // error shape and the platform's code, not Fastify's own body (`FST_ERR_BAD_URL`).
    frameworkErrors: (error, _request, reply) => {
      const { status, body } =
        (error.statusCode ?? 500) >= 500
          ? { status: 500, body: { error: { code: 'internal', message: 'internal error', fields: [] } } }
          : frameworkAnswer(error);
      (reply as FastifyReply).status(status).send(body satisfies ErrorBody);
    },
  });
  const served = servedMethods();
  installErrorHandler(app, served);
  // Every API here reads JSON; Fastify would hand a text/plain body to a route as a string, which
  // then says the JSON is wrong instead of the content type (415). A route that reads other types
  // registers its own parser (the WeChat endpoint's XML, the form pages).
  app.removeContentTypeParser('text/plain');
  const consumer: AppConsumer = { joined: false, closed: false };
  consumersOf.set(app, consumer);
  // While the service drains, a request arriving on a connection still open (keep-alive, pipelined)
  // is sent elsewhere: the hotline, the courts and the form retry a 503 after its Retry-After.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    consumer.closed = true;
    // Stop taking work first. A consumer still joining its group is left to the owner's cleanup,
    // which disconnects it (closing the bus): its join may take longer than a stop may.
    if (consumer.joined) await (await consumer.started)?.stop();
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
  // Every route, whichever way it was declared (route(), app.get, a plugin): for the security
  // review's tests, and for the 405 of a path asked with another method (HEAD included: Fastify's own).
  app.addHook('onRoute', (options) => {
    for (const method of [options.method].flat()) {
      served.add(method, options.url);
      if (method !== 'HEAD') inventory.push({ method, url: options.url });
    }
  });
  // Every 4xx, whichever way it was answered (a thrown error, Fastify's own, the 404, a reply sent
  // as is), is one info line: the route's pattern, the status, the error's code and the names of
  // the fields it points at — never their values, the query or the body (personal data). Without
  // it a hotline onboarded with the wrong secret left nothing in the logs.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) {
      request.log.info(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: reply.statusCode,
          ...refusalOf(payload),
        },
        'request refused',
      );
    }
    done(null, payload);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    // Not ready is /readyz's answer, logged as its checks fail (above), not a request that failed.
    if (reply.statusCode >= 500 && route !== '/readyz')
      request.log.warn({ route, status: reply.statusCode }, 'request answered 5xx');
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  // A probe every few seconds while a dependency is down: the log hears when a check starts
  // failing, once a minute while it goes on, and when it is reachable again — not at every probe.
  const probeLogs = new Map(
    Object.keys(options.readiness).map((name) => [
      name,
      failureLog({
        logger: options.logger,
        wording: {
          started: `not ready: ${name} unreachable`,
          still: (probes, failingFor) =>
            `still not ready: ${name} unreachable after ${probes} probes, ${failingFor}`,
          recovered: (probes, downFor) =>
            `ready again: ${name} reachable after ${probes} failed probes, ${downFor}`,
        },
      }),
    ]),
  );
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = {};
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          checks[name] = 'ok';
          probeLogs.get(name)!.succeeded();
        } catch (error) {
          // Anyone can ask: the driver's words (hosts, ports, users) go to the log, not the answer.
          checks[name] = 'unreachable';
          probeLogs.get(name)!.failed(error, { check: name });
        }
      }),
    );
    if (consumer.start) checks.consumers = consumer.joined ? 'ok' : 'starting';
    const ready = Object.values(checks).every((value) => value === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
  const scrapeToken = options.metrics.scrapeToken && Buffer.from(options.metrics.scrapeToken);
  app.get('/metrics', async (request, reply) => {
    if (scrapeToken) {
      const given = Buffer.from(bearerTokenOf(request.headers.authorization) ?? '');
      if (given.length !== scrapeToken.length || !timingSafeEqual(given, scrapeToken))
        throw unauthorized(
          'the metrics token (METRICS_TOKEN) is required as a bearer token',
          'authorization',
        );
    }
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  return app;
}

/** At most this many field names in a refusal's log line (a strict query can name every key sent). */
const maxLoggedFields = 20;

/** The code and field names of an answer in the one error shape; nothing of a body in another. */
function refusalOf(payload: unknown): { code?: string; fields?: string[] } {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return {};
  let error: Partial<ErrorBody['error']> | undefined;
  try {
    error = (JSON.parse(payload) as Partial<ErrorBody>).error;
  } catch {
    return {};
  }
  if (typeof error !== 'object' || error === null) return {};
  const fields = Array.isArray(error.fields)
    ? error.fields
        .slice(0, maxLoggedFields)
        // A name is the client's own (a key it sent): masked like an error's reason, in case it is a number.
        .map((problem) => maskPersonalData(String(problem?.field ?? '')).slice(0, 100))
    : [];
  return { ...(typeof error.code === 'string' && { code: error.code }), fields };
}
