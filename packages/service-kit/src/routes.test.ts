import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp } from './http-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { openApiDocument, route } from './routes.ts';

const serviceApp = () =>
  createServiceApp({
    logger: createLogger({ service: 'routes-test', level: 'silent' }),
    metrics: createMetrics('routes-test'),
    readiness: {},
  });

describe('a request with no credential at all', () => {
  const appWith = (
    credentials?: readonly string[],
    security: 'operator' | 'operator-or-agency' = 'operator',
  ) => {
    const app = serviceApp();
    route(
      app,
      {
        method: 'GET',
        url: '/v1/things',
        summary: 'things',
        security,
        authenticate: () => 'someone',
        ...(credentials && { credentials }),
      },
      async () => ({ ok: true }),
    );
    return app;
  };

  it.each([
    [
      'a route of operators and agencies (cases)',
      undefined,
      'operator-or-agency',
      'authorization or x-api-key required',
    ],
    [
      "an operators' route of a service that also takes API keys (cases)",
      undefined,
      'operator',
      'authorization required',
    ],
    ['a service that takes tokens only (notify)', ['authorization'], 'operator', 'authorization required'],
  ] as const)('%s: the 401 names what it takes', async (_, credentials, security, message) => {
    const app = appWith(credentials, security);
    const response = await app.inject({ url: '/v1/things' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatchObject({ code: 'unauthorized', message });
    await app.close();
  });
});

describe('a body or query that fails its schema', () => {
  it('is a 400 in the platform’s words: a missing field is required, a wrong type and a size say what they must be', async () => {
    const app = serviceApp();
    route(
      app,
      {
        method: 'POST',
        url: '/v1/things/notes',
        summary: 'a note',
        query: z.object({ limit: z.coerce.number().int().max(200).optional() }),
        body: z.object({ note: z.string().max(5), reason: z.string() }),
      },
      async () => ({ ok: true }),
    );
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things/notes?limit=500',
      payload: { note: '一二三四五六' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toEqual([{ field: 'limit', reason: 'at most 200' }]);
    const body = await app.inject({
      method: 'POST',
      url: '/v1/things/notes',
      payload: { note: '一二三四五六', reason: 7 },
    });
    expect(body.json().error.fields).toEqual([
      { field: 'note', reason: 'at most 5 characters' },
      { field: 'reason', reason: 'must be a string (not a number)' },
    ]);
    const missing = await app.inject({ method: 'POST', url: '/v1/things/notes', payload: {} });
    expect(missing.json().error.fields).toEqual([
      { field: 'note', reason: 'required (missing or null)' },
      { field: 'reason', reason: 'required (missing or null)' },
    ]);
    await app.close();
  });

  it('is a 400 naming each field that holds text PostgreSQL cannot store (a NUL, half a surrogate pair), never the 500 of the write', async () => {
    const app = serviceApp();
    let handled = 0;
    route(
      app,
      {
        method: 'POST',
        url: '/v1/things/notes',
        summary: 'a note',
        query: z.object({ q: z.string().optional() }),
        body: z.object({ note: z.string(), tags: z.array(z.string()).optional() }),
      },
      async () => ({ handled: ++handled }),
    );
    const body = await app.inject({
      method: 'POST',
      url: '/v1/things/notes',
      payload: { note: '已电话联系\u0000', tags: ['ok', '\ud83d'] },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.fields).toEqual([
      { field: 'note', reason: 'must not contain the NUL character (\\u0000)' },
      { field: 'tags.1', reason: expect.stringContaining('half of a surrogate pair') },
    ]);
    const query = await app.inject({ method: 'POST', url: '/v1/things/notes?q=%00', payload: { note: 'x' } });
    expect(query.json().error.fields).toEqual([
      { field: 'q', reason: 'must not contain the NUL character (\\u0000)' },
    ]);
    expect(handled).toBe(0);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/things/notes', payload: { note: '😀' } })).json(),
    ).toEqual({
      handled: 1,
    });
    await app.close();
  });
});

describe('the API document', () => {
  it('lists a route’s refusals by status, each with the error body and what its details hold', async () => {
    const app = serviceApp();
    route(
      app,
      {
        method: 'GET',
        url: '/v1/things/:id',
        summary: 'a thing',
        responses: { 200: z.object({ id: z.string() }) },
        refusals: {
          410: { description: '`gone`: it was here', details: z.object({ goneAt: z.iso.datetime() }) },
          409: { description: '`busy`' },
        },
      },
      async () => ({ id: 'x' }),
    );
    // As a client reads it: JSON.
    const doc = JSON.parse(
      JSON.stringify(openApiDocument(app, { title: 't', version: '1', description: 'd' })),
    );
    const { responses } = doc.paths['/v1/things/{id}'].get;
    expect(Object.keys(responses)).toEqual(['200', '409', '410', '4XX']);
    expect(responses['410'].description).toBe('`gone`: it was here');
    const error = responses['410'].content['application/json'].schema.properties.error.properties;
    expect(Object.keys(error)).toEqual(['code', 'message', 'fields', 'details']);
    expect(error.details.properties.goneAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(responses['409'].content['application/json'].schema).toEqual(
      responses['4XX'].content['application/json'].schema,
    );
    await app.close();
  });
});

describe('the headers a route reads', () => {
  const appWithHeader = () => {
    const app = serviceApp();
    route(
      app,
      {
        method: 'POST',
        url: '/v1/things',
        summary: 'a thing',
        headers: z.object({
          'Request-Tag': z.string().max(8).optional().meta({ description: 'names the request' }),
        }),
      },
      async ({ headers }) => ({ tag: headers['Request-Tag'] ?? null }),
    );
    return app;
  };

  it('reaches the handler by its documented name, whatever its case on the wire; a wrong one is a 400 naming it', async () => {
    const app = appWithHeader();
    const sent = await app.inject({ method: 'POST', url: '/v1/things', headers: { 'REQUEST-TAG': 'abc' } });
    expect(sent.json()).toEqual({ tag: 'abc' });
    expect((await app.inject({ method: 'POST', url: '/v1/things' })).json()).toEqual({ tag: null });
    const long = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { 'request-tag': 'x'.repeat(9) },
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.fields).toEqual([{ field: 'Request-Tag', reason: 'at most 8 characters' }]);
    await app.close();
  });

  it('is documented as a header parameter with its description', async () => {
    const app = appWithHeader();
    const operation = openApiDocument(app, { title: 't', version: '1', description: 'd' }).paths['/v1/things']
      ?.post as { parameters: unknown[] };
    expect(operation.parameters).toEqual([
      {
        name: 'Request-Tag',
        in: 'header',
        description: 'names the request',
        schema: { type: 'string', maxLength: 8, description: 'names the request' },
      },
    ]);
    await app.close();
  });
});
