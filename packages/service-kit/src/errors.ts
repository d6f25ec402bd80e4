import { unstorableTexts } from '@huijie/contracts/storable-text.ts';
import { errorReason } from '@huijie/database/error-for-log.ts';
import { isDatabaseUnavailable } from '@huijie/database/unavailable.ts';
import type { FastifyError, FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
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

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};
const typeOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'a list' : (typeNames[typeof value] ?? typeof value);
const units: Record<string, string> = { string: ' characters', array: ' items', set: ' items' };

/**
 * The reasons of a pushed body's problems in plain words, for the systems that push them. A
 * required field that is not there: zod words it as a type error ("expected string, received
 * undefined"), which a system pushing `null` (read as absent, signedJsonBody) cannot recognise as
 * "you left it out". A wrong type or a size out of bounds: "must be a string (not a number)", "at
 * most 20000 characters", rather than zod's "Invalid input: expected string, received number".
 * Pass it to `safeParse(body, { error: absentIsRequired })`; a schema's own messages still win.
 */
export const absentIsRequired: z.core.$ZodErrorMap = (issue) => {
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined)
    return 'required (missing or null)';
  if (issue.code === 'invalid_type')
    return `must be ${typeNames[issue.expected] ?? issue.expected} (not ${typeOf(issue.input)})`;
  if (issue.code === 'too_big' && typeof issue.maximum !== 'bigint')
    return `${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}${units[issue.origin] ?? ''}`;
  if (issue.code === 'too_small' && typeof issue.minimum !== 'bigint')
    return `${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}${units[issue.origin] ?? ''}`;
  return undefined;
};

/**
 * A schema's own reason, for a value that is there and wrong: a schema-level reason would win over
 * absentIsRequired and word a missing field as a malformed one.
 */
export const whenPresent =
  (reason: string): z.core.$ZodErrorMap =>
  (issue) =>
    issue.input === undefined ? undefined : reason;

/**
 * Parses with zod or throws a 400 that names every failing field, in the platform's words
 * (`absentIsRequired`): a missing field is `required (missing or null)`, not zod's type error.
 */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value, { error: absentIsRequired });
  if (!result.success) throw badRequest(fieldsOf(result.error));
  // What a route takes is stored or searched for: text PostgreSQL refuses is a 400, not a 500.
  const unstorable = unstorableTexts(result.data);
  if (unstorable.length > 0)
    throw badRequest(unstorable.map(({ path, reason }) => ({ field: path.join('.') || '(body)', reason })));
  return result.data;
}

/**
 * What Fastify refuses before a route's code runs, in the platform's terms: which problem it is
 * (`kind`), the status, the stable `code`, the field it is on (`(body)` for the body, as the signed
 * intakes name a body that is not JSON; `content-type` for the media type) and why. One table for
 * every service, so a client reads the same answer from each; Fastify's own codes (`FST_ERR_…`)
 * are its implementation, never the API.
 */
export interface FrameworkRefusal {
  kind:
    | 'empty_body'
    | 'invalid_json'
    | 'length_mismatch'
    | 'body_too_large'
    | 'media_type'
    | 'path'
    | 'other';
  status: number;
  code: string;
  /** Words for a developer, in English; an app may word them for its own readers (ErrorWording). */
  message: string;
  /** Absent only for a refusal the table does not know (`other`). */
  field?: string;
  reason?: string;
}

/** Fastify's refusals of a request's body, media type and path, by its error code. */
const refusals: Record<string, (bodyLimit: number | undefined) => Omit<FrameworkRefusal, 'status'>> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ({
    kind: 'empty_body',
    code: 'invalid_request',
    message: 'the body is empty',
    field: '(body)',
    reason:
      'empty, though content-type is application/json: send a JSON body (`{}` when there is nothing to say)',
  }),
  FST_ERR_CTP_INVALID_JSON_BODY: () => ({
    kind: 'invalid_json',
    code: 'invalid_request',
    message: 'the body is not valid JSON',
    field: '(body)',
    reason: 'not valid JSON',
  }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ({
    kind: 'length_mismatch',
    code: 'invalid_request',
    message: 'the body is not as long as content-length says',
    field: '(body)',
    reason: 'its length does not match the content-length header (cut short?)',
  }),
  FST_ERR_CTP_BODY_TOO_LARGE: (bodyLimit) => ({
    kind: 'body_too_large',
    code: 'body_too_large',
    message: 'the body is larger than this endpoint reads',
    field: '(body)',
    reason: bodyLimit
      ? `larger than the ${bytes(bodyLimit)} this endpoint reads`
      : 'larger than this endpoint reads',
  }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => ({
    kind: 'media_type',
    code: 'unsupported_media_type',
    message: 'the body must be application/json',
    field: 'content-type',
    reason: 'must be application/json',
  }),
  // The path, before any route is matched (the options' frameworkErrors, createServiceApp).
  FST_ERR_BAD_URL: () => ({
    kind: 'path',
    code: 'invalid_url',
    message: 'the URL path is not valid percent-encoded UTF-8',
    field: '(path)',
    reason: 'not valid percent-encoding: encode each byte of UTF-8 as %XX',
  }),
  FST_ERR_MAX_PARAM_LENGTH: () => ({
    kind: 'path',
    code: 'invalid_url',
    message: 'a part of the URL path is longer than any this API takes',
    field: '(path)',
    reason: 'a part of the path is longer than 100 characters',
  }),
};

/** 65536 → "64 KiB", 1048576 → "1 MiB": the limits are whole KiB or MiB. */
function bytes(count: number): string {
  if (count % (1024 * 1024) === 0) return `${count / (1024 * 1024)} MiB`;
  if (count % 1024 === 0) return `${count / 1024} KiB`;
  return `${count} bytes`;
}

/**
 * A Fastify 4xx in the platform's terms (FrameworkRefusal): its status kept, its code replaced by
 * the stable one. One the table does not know (none is expected: these routes have no Fastify
 * schemas) is a `bad_request` with Fastify's message and no field.
 */
export function frameworkRefusal(error: FastifyError, bodyLimit?: number): FrameworkRefusal {
  const status = error.statusCode ?? 400;
  const known = error.code ? refusals[error.code] : undefined;
  if (known) return { status, ...known(bodyLimit) };
  return { kind: 'other', status, code: 'bad_request', message: error.message };
}

/**
 * How an app words what it did not raise itself: Fastify's own 4xx (malformed JSON, body too
 * large, unsupported media type…), the 503 of a database out of reach and the 500 of a bug. The
 * status, the `code` and the field stay the platform's (frameworkRefusal): only the words change.
 */
export interface ErrorWording {
  framework(refusal: FrameworkRefusal): { message: string; reason?: string };
  /** The 503 (`unavailable`) answered while the database cannot be reached. */
  databaseUnavailable: string;
  internal: string;
}

const fastifyWording: ErrorWording = {
  framework: (refusal) => ({ message: refusal.message }),
  databaseUnavailable: 'the database is unavailable; retry later',
  internal: 'internal error',
};

/** How long a client is asked to wait after a 503 for a database out of reach (as for the other stores). */
export const databaseRetryAfterSeconds = 5;

/** The answer to a Fastify 4xx, in the one error shape (frameworkRefusal, worded by `wording`). */
export function frameworkAnswer(
  error: FastifyError,
  bodyLimit?: number,
  wording: ErrorWording = fastifyWording,
): { status: number; body: ErrorBody } {
  const refusal = frameworkRefusal(error, bodyLimit);
  const words = wording.framework(refusal);
  const reason = words.reason ?? refusal.reason;
  return {
    status: refusal.status,
    body: {
      error: {
        code: refusal.code,
        message: words.message,
        fields: refusal.field && reason ? [{ field: refusal.field, reason }] : [],
      },
    },
  };
}

/**
 * The error handler: domain errors keep their code; Fastify's own 4xx get the platform's
 * (frameworkAnswer: `invalid_request`, `body_too_large`, `unsupported_media_type`, with the field);
 * a database that cannot be reached (refused,
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
      const answer = frameworkAnswer(error as FastifyError, request.routeOptions.bodyLimit, wording);
      return reply.status(answer.status).send(answer.body);
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

/** The methods each path of an app is served with, as its routes are declared (`add`). */
export function servedMethods() {
  const router = FindMyWay();
  const methods = new Set<string>();
  return {
    add(method: string, url: string) {
      methods.add(method);
      if (!router.hasRoute(method as HTTPMethod, url)) router.on(method as HTTPMethod, url, () => {});
    },
    /** The methods `path` (no query) is served with. */
    of(path: string): string[] {
      return [...methods].filter((method) => router.find(method as HTTPMethod, path) !== null);
    },
  };
}

/**
 * One error handler per app, and one answer for a route that does not exist: a path the app
 * serves (`served`), asked with a method it does not take (a GET of a push endpoint), is a 405
 * naming the methods it takes (`Allow`), not a 404 that would say the path is wrong.
 */
export function installErrorHandler(app: FastifyInstance, served: { of(path: string): string[] }): void {
  answerErrors(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // Its own method too only if a route sent it here (reply.callNotFound): then it is not found.
    const allowed = served.of(path).filter((method) => method !== request.method);
    if (allowed.length > 0)
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({
          error: {
            code: 'method_not_allowed',
            message: `${path} takes ${allowed.join(', ')}, not ${request.method}`,
            fields: [],
          },
        } satisfies ErrorBody);
    return reply.status(404).send({
      error: {
        code: 'not_found',
        message: `no route ${request.method} ${path}`,
        fields: [],
      },
    } satisfies ErrorBody);
  });
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
