import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseOr400, unauthorized } from './errors.ts';
import { signingHeaders } from './signing.ts';

/**
 * One way to declare an HTTP route: its zod schemas validate the request (400 naming every
 * failing field) and describe it in the service's OpenAPI document, so the document can never
 * disagree with what the code accepts.
 */
export interface RouteSpec<
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  A = undefined,
  H extends z.ZodObject = z.ZodObject<Record<string, never>>,
> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tags?: string[];
  /** How callers authenticate: shown in the document. */
  security?: 'operator' | 'agency' | 'operator-or-agency' | 'signed';
  /**
   * Verifies the caller's credential (throws 401) and says who is calling: the handler's `actor`.
   * Required for the operator and agency kinds. It runs before the body is read, so a forged
   * token or key costs what checking it costs, never the parsing of a body. Whether the caller is
   * enough for the route (an agency on an operators' action is a 403) the handler decides.
   */
  authenticate?: (request: FastifyRequest) => Promise<A> | A;
  /**
   * The headers a caller of this route may authenticate with, one of which it must send at all
   * (the 401 names them). By default an operator's `authorization` or an agency's `x-api-key`, as
   * the cases API takes both (and refuses an agency on an operators' action with 403, not 401);
   * a service that takes no API keys says `['authorization']`, so its 401 does not ask for one.
   */
  credentials?: readonly string[];
  params?: P;
  query?: Q;
  /**
   * The headers the route reads besides the credentials, by the names the document gives them
   * (`Idempotency-Key`): looked up whatever their case, as HTTP names are, validated (a 400 naming
   * the header) and documented as header parameters, with their `description`.
   */
  headers?: H;
  body?: B;
  /** Successful response bodies by status code. */
  responses?: Record<number, z.ZodType>;
  /**
   * Refusals a client must tell apart from the rest (all documented as `4XX`), by status code:
   * what each means and what its error's `details` hold. Documented with the error body; the
   * handler throws them.
   */
  refusals?: Record<number, { description: string; details?: z.ZodType }>;
  /** The most bytes of body read, when the app's limit is far more than the route needs. */
  bodyLimit?: number;
  /** A check before the body is read (a rate limit on an open route): what it refuses costs no parsing. */
  onRequest?: (request: FastifyRequest) => Promise<void>;
}

/**
 * A query string that refuses parameters it does not know (400 naming each, listing the accepted
 * ones): a filter misspelt or guessed (`town=` for `place=`) would otherwise be dropped in silence,
 * and the answer read as filtered when it holds everything.
 */
export function strictQuery<S extends z.ZodRawShape>(shape: S) {
  const accepted = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `not a parameter of this route; it takes ${accepted}` : undefined,
  });
}

export interface RouteInput<P, Q, B, A = undefined, H = Record<string, never>> {
  params: P;
  query: Q;
  headers: H;
  body: B;
  /** Who is calling, as the spec's `authenticate` verified it. */
  actor: A;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** The headers one of which a caller must send at all before its request is looked at. */
const userCredentials = ['authorization', 'x-api-key'];
const credentialHeaders: Record<
  NonNullable<RouteSpec<z.ZodType, z.ZodType, z.ZodType>['security']>,
  string[]
> = {
  operator: userCredentials,
  agency: userCredentials,
  'operator-or-agency': userCredentials,
  signed: [signingHeaders.signature],
};

type AnySpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType, unknown, z.ZodObject>;

export interface ApiDocument {
  routes: AnySpec[];
}

const documents = new WeakMap<FastifyInstance, ApiDocument>();

export function route<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUnknown,
  A = undefined,
  H extends z.ZodObject = z.ZodObject<Record<string, never>>,
>(
  app: FastifyInstance,
  spec: RouteSpec<P, Q, B, A, H>,
  handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>, A, z.infer<H>>) => Promise<unknown>,
): void {
  // A user route that left verifying to its handler would read and parse the body of any forged
  // token first: there is one way to verify a user, and a route declared without it fails at start.
  const userRoute = spec.security !== undefined && spec.security !== 'signed';
  if (userRoute !== (spec.authenticate !== undefined)) {
    throw new Error(
      `${spec.method} ${spec.url}: an operator or agency route has an authenticate, and only such a route`,
    );
  }
  let doc = documents.get(app);
  if (!doc) {
    doc = { routes: [] };
    documents.set(app, doc);
  }
  doc.routes.push(spec as AnySpec);
  const credentials = spec.security && (spec.credentials ?? credentialHeaders[spec.security]);
  // An agency's key on an operators' route is still looked at (a 403 saying why, from the
  // handler); but a caller who sent nothing is asked only for what the route can take.
  const askedFor =
    spec.security === 'operator' && !spec.credentials ? ['authorization'] : (credentials ?? []);
  const actors = new WeakMap<FastifyRequest, A>();
  // In onRequest, before the body is read: a caller without valid credentials learns nothing about
  // the request, not even what is wrong with it, and costs no parsing.
  const verifyCredentials =
    credentials &&
    (async (request: FastifyRequest) => {
      if (!credentials.some((name) => request.headers[name])) {
        throw unauthorized(`${askedFor.join(' or ')} required`, askedFor[0]);
      }
      if (spec.authenticate) actors.set(request, await spec.authenticate(request));
    });
  const onRequest = [verifyCredentials, spec.onRequest].filter((hook) => hook !== undefined);
  app.route({
    method: spec.method,
    url: spec.url,
    ...(onRequest.length > 0 && { onRequest }),
    ...(spec.bodyLimit !== undefined && { bodyLimit: spec.bodyLimit }),
    handler: async (request, reply) =>
      handler({
        params: spec.params ? parseOr400(spec.params, request.params) : (request.params as z.infer<P>),
        query: spec.query ? parseOr400(spec.query, request.query) : (request.query as z.infer<Q>),
        headers: spec.headers
          ? parseOr400(spec.headers, headersNamed(spec.headers, request))
          : ({} as z.infer<H>),
        body: spec.body ? parseOr400(spec.body, request.body ?? {}) : (request.body as z.infer<B>),
        // Set in onRequest when the route authenticates; undefined (its type) when it does not.
        actor: actors.get(request) as A,
        request,
        reply,
      }),
  });
}

/** The request's values of the headers a schema names, by the schema's names (Node lowercases them). */
const headersNamed = (schema: z.ZodObject, request: FastifyRequest) =>
  Object.fromEntries(Object.keys(schema.shape).map((name) => [name, request.headers[name.toLowerCase()]]));

const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'openapi-3.0',
  });
  return rest;
};

/** The OpenAPI 3.0 document of every route declared with `route` on this app. */
export function openApiDocument(
  app: FastifyInstance,
  info: { title: string; version: string; description: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorBodyWith = (details?: unknown) => ({
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          fields: {
            type: 'array',
            items: { type: 'object', properties: { field: { type: 'string' }, reason: { type: 'string' } } },
          },
          ...(details !== undefined && { details }),
        },
      },
    },
  });
  const errorBody = errorBodyWith();
  for (const spec of documents.get(app)?.routes ?? []) {
    const path = spec.url.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', spec.params],
      ['query', spec.query],
      ['header', spec.headers],
    ] as const) {
      if (!schema) continue;
      const json = schemaOf(schema, 'input') as {
        properties?: Record<string, { description?: string }>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(json.properties ?? {})) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || json.required?.includes(name),
          // A header is read as a parameter's description says (what a retry with it does), where
          // documentation readers look; the schema keeps it too.
          ...(where === 'header' && property.description && { description: property.description }),
          schema: property,
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(spec.responses ?? { 200: z.unknown() })) {
      responses[status] = {
        description: 'success',
        content: { 'application/json': { schema: schemaOf(schema, 'output') } },
      };
    }
    for (const [status, { description, details }] of Object.entries(spec.refusals ?? {})) {
      const schema = details ? errorBodyWith(schemaOf(details, 'output')) : errorBody;
      responses[status] = { description, content: { 'application/json': { schema } } };
    }
    responses['4XX'] = {
      description: 'the request was refused',
      content: { 'application/json': { schema: errorBody } },
    };
    paths[path] ??= {};
    paths[path][spec.method.toLowerCase()] = {
      summary: spec.summary,
      tags: spec.tags,
      // Alternatives are listed one requirement each: either scheme is enough.
      ...(spec.security && {
        security:
          spec.security === 'operator-or-agency'
            ? [{ operator: [] }, { agency: [] }]
            : [{ [spec.security]: [] }],
      }),
      ...(parameters.length > 0 && { parameters }),
      ...(spec.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: schemaOf(spec.body, 'input') } },
        },
      }),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info,
    paths,
    components: {
      securitySchemes: {
        operator: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        agency: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        signed: {
          type: 'apiKey',
          in: 'header',
          name: signingHeaders.signature,
          description:
            'HMAC-SHA256 of "<x-huijie-timestamp>.<raw body>" with the client secret, hex; with x-huijie-client and x-huijie-timestamp (±300 s)',
        },
      },
    },
  };
}

/** Serves the document at /docs/openapi.json and a readable page at /docs. */
export function serveApiDocs(
  app: FastifyInstance,
  info: { title: string; version: string; description: string },
): void {
  app.get('/docs/openapi.json', async () => openApiDocument(app, info));
  app.get('/docs', async (_request, reply) => {
    const doc = openApiDocument(app, info);
    const rows = Object.entries(doc.paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(
          ([method, op]) =>
            `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(
              (op as { summary: string }).summary,
            )}</td></tr>`,
        ),
      )
      .join('\n');
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>` +
          `<style>body{font:16px system-ui,sans-serif;margin:2rem;max-width:70rem}td{padding:.3rem .8rem;border-bottom:1px solid #ddd}</style></head>` +
          `<body><h1>${escapeHtml(info.title)}</h1><p>${escapeHtml(info.description)}</p>` +
          `<p>Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.0, generated from the zod schemas).</p>` +
          `<table>${rows}</table></body></html>`,
      );
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
