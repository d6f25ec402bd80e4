import { errorReason } from '@huijie/database/error-for-log.ts';
import { isDatabaseUnavailable } from '@huijie/database/unavailable.ts';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { z } from 'zod';

export interface FieldProblem {
  /** Dotted path into the request body, or a header/parameter name. */
  field: string;
  reason: string;
}

/** The one error body every Huijie endpoint answers with. */
export interface ErrorBody {
  /** `details` carries what a client needs to recover, e.g. a case's status and the actions allowed now. */
  error: { code: string; message: string; fields: FieldProblem[]; details?: Record<string, unknown> };
}

/** A typed domain error: the one error handler turns it into HTTP with a stable code. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (fields: FieldProblem[], message = 'the request is not valid') =>
  new AppError(400, 'invalid_request', message, fields);
export const unauthorized = (reason: string, field?: string) =>
  new AppError(401, 'unauthorized', reason, field ? [{ field, reason }] : []);
export const forbidden = (reason: string, field?: string) =>
  new AppError(403, 'forbidden', reason, field ? [{ field, reason }] : []);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string, details: Record<string, unknown>) =>
  new AppError(409, code, message, [], {}, details);
export const unavailable = (reason: string, retryAfterSeconds = 5) =>
  new AppError(503, 'unavailable', reason, [], { 'retry-after': String(retryAfterSeconds) });

export function fieldsOf(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((issue) =>
    // A strict object's unknown keys are one issue at the object's own path: each is named as
    // the field, so a client sees which parameter it sent that is not one.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), reason: issue.message }))
      : [{ field: issue.path.join('.') || '(body)', reason: issue.message }],
  );
}

/**
 * The reason for a required field that is not there. zod words it as a type error ("expected
 * string, received undefined"), which a system pushing `null` (read as absent, signedJsonBody)
 * cannot recognise as "you left it out". Pass it to `safeParse(body, { error: absentIsRequired })`;
 * a schema's own messages still win.
 */
export const absentIsRequired: z.core.$ZodErrorMap = (issue) =>
  (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined
    ? 'required (missing or null)'
    : undefined;

/**
 * A schema's own reason, for a value that is there and wrong: a schema-level reason would win over
 * absentIsRequired and word a missing field as a malformed one.
 */
export const whenPresent =
  (reason: string): z.core.$ZodErrorMap =>
  (issue) =>
    issue.input === undefined ? undefined : reason;

/** Parses with zod or throws a 400 that names every failing field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(fieldsOf(result.error));
  return result.data;
}

/**
 * How an app words what it did not raise itself: Fastify's own 4xx (malformed JSON, body too
 * large, unsupported media type…), the 503 of a database out of reach and the 500 of a bug. The
 * status and `code` stay Fastify's.
 */
export interface ErrorWording {
  framework(error: FastifyError): { message: string; fields: FieldProblem[] };
  /** The 503 (`unavailable`) answered while the database cannot be reached. */
  databaseUnavailable: string;
  internal: string;
}

const fastifyWording: ErrorWording = {
  framework: (error) => ({ message: error.message, fields: [] }),
  databaseUnavailable: 'the database is unavailable; retry later',
  internal: 'internal error',
};

/** How long a client is asked to wait after a 503 for a database out of reach (as for the other stores). */
export const databaseRetryAfterSeconds = 5;

/**
 * The error handler: domain errors keep their code; a database that cannot be reached (refused,
 * cut, restarting: `isDatabaseUnavailable`, the rule the event consumers retry by) is a 503
 * `unavailable` with Retry-After, logged as a warning without a stack; anything else unexpected
 * is a 500 that leaks nothing. Set on an encapsulated plugin, it answers that plugin's routes in
 * its own wording.
 */
export function answerErrors(app: FastifyInstance, wording: ErrorWording = fastifyWording): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply.status(error.status).send({
        error: {
          code: error.code,
          message: error.message,
          fields: error.fields,
          ...(error.details && { details: error.details }),
        },
      } satisfies ErrorBody);
    }
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      // Fastify's own 4xx: malformed JSON, body too large, unsupported media type…
      return reply.status(status).send({
        error: {
          code: (error as FastifyError).code?.toLowerCase() ?? 'bad_request',
          ...wording.framework(error as FastifyError),
        },
      } satisfies ErrorBody);
    }
    if (isDatabaseUnavailable(error)) {
      // Not a bug, and where it was seen says nothing: one line with the driver's reason.
      request.log.warn({ reason: errorReason(error) }, 'request failed: database unavailable');
      return reply
        .status(503)
        .header('retry-after', String(databaseRetryAfterSeconds))
        .send({
          error: { code: 'unavailable', message: wording.databaseUnavailable, fields: [] },
        } satisfies ErrorBody);
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .status(500)
      .send({ error: { code: 'internal', message: wording.internal, fields: [] } } satisfies ErrorBody);
  });
}

/** One error handler per app, and one answer for a route that does not exist. */
export function installErrorHandler(app: FastifyInstance): void {
  answerErrors(app);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: 'not_found',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
        fields: [],
      },
    } satisfies ErrorBody),
  );
}

/**
 * What Node's HTTP parser refuses before any route sees the request, in the one error shape
 * (Fastify's own answer is `{"error":"Bad Request","message":"Client Error"}`). The usual one is a
 * query typed with its Chinese as is (`?q=欠薪`, as curl sends it): an HTTP URL carries only
 * ASCII, so it must be percent-encoded.
 */
export function clientErrorAnswer(error: { code?: string }): { status: number; body: ErrorBody } {
  const answer = (status: number, code: string, message: string) => ({
    status,
    body: { error: { code, message, fields: [] } },
  });
  switch (error.code) {
    case 'HPE_INVALID_URL':
      return answer(
        400,
        'invalid_url',
        'the URL holds characters an HTTP URL cannot carry: percent-encode the query as UTF-8 (q=欠薪 is q=%E6%AC%A0%E8%96%AA; curl -G --data-urlencode "q=欠薪" does it)',
      );
    case 'HPE_HEADER_OVERFLOW':
      return answer(431, 'headers_too_large', 'the request headers are larger than the server reads');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return answer(408, 'request_timeout', 'the request did not arrive in time');
    default:
      return answer(400, 'bad_request', 'the request is not valid HTTP');
  }
}
