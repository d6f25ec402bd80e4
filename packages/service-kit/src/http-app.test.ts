import { connect, createServer } from 'node:net';
import { postgresClient } from '@huijie/database/sql-client.ts';
import type { FastifyError } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, frameworkRefusal, parseOr400, unauthorized } from './errors.ts';
import { createServiceApp } from './http-app.ts';
import { capturedLogger } from './log-capture.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

/** Bytes on a socket, as curl sends a query typed with its Chinese as is: no client library would. */
function rawRequest(port: number, request: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

const answerOf = (raw: string) => {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return { statusLine: head.split('\r\n')[0], body: JSON.parse(body) };
};

describe('a request the HTTP parser refuses', () => {
  const app = createServiceApp({
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetrics('client-error-test'),
    readiness: {},
  });
  app.get('/v1/cases', async () => ({ cases: [] }));
  let port = 0;
  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(() => app.close());

  it('is answered in the one error shape, saying how to send a Chinese query', async () => {
    const raw = await rawRequest(
      port,
      Buffer.from('GET /v1/cases?q=欠薪 HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8'),
    );
    const { statusLine, body } = answerOf(raw);
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(body).toEqual({
      error: { code: 'invalid_url', message: expect.stringContaining('percent-encode'), fields: [] },
    });
    expect(body.error.message).toContain('q=%E6%AC%A0%E8%96%AA');
  });

  it('answers headers larger than it reads with 431 in the same shape', async () => {
    const huge = `GET /v1/cases HTTP/1.1\r\nHost: x\r\nx-padding: ${'a'.repeat(20_000)}\r\n\r\n`;
    const { statusLine, body } = answerOf(await rawRequest(port, Buffer.from(huge)));
    expect(statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(body.error.code).toBe('headers_too_large');
  });

  it('still answers the same query percent-encoded', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/cases?q=${encodeURIComponent('欠薪')}`);
    expect(response.status).toBe(200);
  });
});

describe('a request that arrives while the service stops', () => {
  it('is a 503 in the one error shape with Retry-After, after the request in flight is answered', async () => {
    const app = createServiceApp({
      logger: createLogger({ service: 'test', level: 'silent' }),
      metrics: createMetrics('closing-test'),
      readiness: {},
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = () => {};
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    app.post('/v1/work-orders', async () => {
      arrived();
      await held;
      return { accepted: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    // A client keeping its connection alive sends one request, then another on the same connection
    // once the service has begun to stop.
    const request = (connection: string) =>
      `POST /v1/work-orders HTTP/1.1\r\nHost: x\r\nConnection: ${connection}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    const answers = new Promise<string>((resolve) =>
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8'))),
    );
    socket.write(request('keep-alive'));
    await inFlight;
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(request('close'));
    release();
    await closed;
    const raw = await answers;
    const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second?.toLowerCase()).toContain('retry-after: 1');
    expect(JSON.parse(second!.split('\r\n\r\n')[1]!)).toEqual({
      error: { code: 'unavailable', message: 'the service is restarting; retry', fields: [] },
    });
  });
});

describe('a request that fails because the database cannot be reached', () => {
  /** A port nothing listens on: a server is started on it, then closed. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it("is a 503 'unavailable' with Retry-After, logged as a warning without a stack; a bug stays a 500", async () => {
    const { logger, lines } = capturedLogger('test');
    const app = createServiceApp({ logger, metrics: createMetrics('database-away-test'), readiness: {} });
    // pg's own error for a refused connection, as every service's PostgreSQL client throws it.
    const sql = postgresClient(`postgres://postgres@127.0.0.1:${await closedPort()}/postgres`, { max: 1 });
    app.get('/v1/cases/:caseId', async () => (await sql.query('SELECT 1')).rows);
    app.get('/v1/bug', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'status')");
    });
    try {
      const response = await app.inject({ url: '/v1/cases/1' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual({
        error: { code: 'unavailable', message: 'the database is unavailable; retry later', fields: [] },
      });
      const failed = lines
        .map((line) => JSON.parse(line))
        .find((line) => line.msg.startsWith('request failed'));
      expect(failed).toMatchObject({
        level: 40,
        msg: 'request failed: database unavailable',
        reason: expect.stringMatching(/^ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+$/),
      });
      expect(failed).not.toHaveProperty('err');

      lines.length = 0;
      const bug = await app.inject({ url: '/v1/bug' });
      expect(bug.statusCode).toBe(500);
      expect(bug.json().error.code).toBe('internal');
      const logged = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'request failed');
      expect(logged).toMatchObject({ level: 50, err: { type: 'TypeError', stack: expect.any(String) } });
    } finally {
      await app.close();
      await sql.close();
    }
  });
});

describe('a refused request', () => {
  const refusals = (lines: string[]) =>
    lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request refused');

  function refusingApp() {
    const { logger, lines } = capturedLogger('refusals-test');
    const app = createServiceApp({ logger, metrics: createMetrics('refusals-test'), readiness: {} });
    app.post('/v1/things/:id', async (request) => {
      if (request.headers['x-key'] !== 'right') throw unauthorized('unknown key', 'x-key');
      parseOr400(z.object({ phone: z.string().regex(/^\d{11}$/), name: z.string().max(2) }), request.body);
      return { ok: true };
    });
    app.get('/v1/conflict', async () => {
      throw new AppError(409, 'already_closed', 'the case is closed', [], {}, { status: 'closed' });
    });
    app.get('/v1/fine', async () => ({ ok: true }));
    return { app, lines };
  }

  it('is one info line: method, route pattern, status, code and the fields’ names; never a value, the query or the body', async () => {
    const { app, lines } = refusingApp();
    const body = { phone: 'call 13800000000', name: '郭某某' };
    const invalid = await app.inject({
      method: 'POST',
      url: '/v1/things/T-13900000001?note=13700000000',
      headers: { 'x-key': 'right' },
      payload: body,
    });
    expect(invalid.statusCode).toBe(400);
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/things/1',
      headers: { 'x-key': 'wrong-secret' },
      payload: body,
    });
    expect(unknown.statusCode).toBe(401);
    expect(refusals(lines)).toEqual([
      expect.objectContaining({
        level: 30,
        method: 'POST',
        route: '/v1/things/:id',
        status: 400,
        code: 'invalid_request',
        fields: ['phone', 'name'],
      }),
      expect.objectContaining({
        level: 30,
        method: 'POST',
        route: '/v1/things/:id',
        status: 401,
        code: 'unauthorized',
        fields: ['x-key'],
      }),
    ]);
    const text = lines.join('');
    for (const value of [
      '13800000000',
      '郭某某',
      'call',
      '13900000001',
      '13700000000',
      'wrong-secret',
      'unknown key',
    ])
      expect(text).not.toContain(value);
  });

  it('is logged whoever answered it: Fastify (malformed JSON, media type), the 404, a 409; a success is not', async () => {
    const { app, lines } = refusingApp();
    const answers = [
      await app.inject({
        method: 'POST',
        url: '/v1/things/1',
        headers: { 'content-type': 'application/json' },
        payload: '{"phone":"1380',
      }),
      await app.inject({
        method: 'POST',
        url: '/v1/things/1',
        headers: { 'content-type': 'text/csv' },
        payload: '13800000000',
      }),
      await app.inject({ method: 'GET', url: '/v1/nothing?phone=13800000000' }),
      await app.inject({ method: 'GET', url: '/v1/conflict' }),
      await app.inject({ method: 'GET', url: '/v1/fine' }),
      await app.inject({ method: 'GET', url: '/healthz' }),
    ];
    expect(answers.map((answer) => answer.statusCode)).toEqual([400, 415, 404, 409, 200, 200]);
    expect(
      refusals(lines).map(({ method, route, status, code, fields }) => ({
        method,
        route,
        status,
        code,
        fields,
      })),
    ).toEqual([
      {
        method: 'POST',
        route: '/v1/things/:id',
        status: 400,
        code: 'invalid_request',
        fields: ['(body)'],
      },
      {
        method: 'POST',
        route: '/v1/things/:id',
        status: 415,
        code: 'unsupported_media_type',
        fields: ['content-type'],
      },
      { method: 'GET', route: 'unmatched', status: 404, code: 'not_found', fields: [] },
      { method: 'GET', route: '/v1/conflict', status: 409, code: 'already_closed', fields: [] },
    ]);
    expect(lines.join('')).not.toContain('13800000000');
  });

  it('the HTTP parser refused is logged too, with its status and code', async () => {
    const { app, lines } = refusingApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await rawRequest(port, Buffer.from('GET /v1/fine?q=欠薪13800000000 HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8'));
    await app.close();
    expect(refusals(lines)).toEqual([
      expect.objectContaining({ level: 30, status: 400, code: 'invalid_url' }),
    ]);
    expect(lines.join('')).not.toContain('13800000000');
  });
});

describe('a path asked with a method it does not take', () => {
  it('is a 405 naming the methods it takes (Allow), while a path nobody serves stays a 404', async () => {
    const app = createServiceApp({
      logger: capturedLogger('methods-test').logger,
      metrics: createMetrics('methods-test'),
      readiness: {},
    });
    app.post('/v1/work-orders', async () => ({ ok: true }));
    app.get('/v1/cases/:id', async () => ({ ok: true }));
    app.patch('/v1/cases/:id', async () => ({ ok: true }));
    const get = await app.inject({ method: 'GET', url: '/v1/work-orders?x=1' });
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(get.json()).toEqual({
      error: { code: 'method_not_allowed', message: '/v1/work-orders takes POST, not GET', fields: [] },
    });
    const put = await app.inject({ method: 'PUT', url: '/v1/cases/abc' });
    expect(put.statusCode).toBe(405);
    // HEAD is Fastify's own answer for every GET route.
    expect(put.headers.allow).toBe('GET, HEAD, PATCH');
    const nowhere = await app.inject({ method: 'GET', url: '/v1/case/abc' });
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.json().error.code).toBe('not_found');
    await app.close();
  });
});

describe("a body Fastify refuses before the route's code runs", () => {
  const app = createServiceApp({
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetrics('framework-refusals-test'),
    readiness: {},
  });
  app.post('/v1/things', { bodyLimit: 64 * 1024 }, async () => ({ ok: true }));
  app.post('/v1/big-things', async () => ({ ok: true }));
  app.get('/v1/things/:id', async () => ({ ok: true }));
  afterAll(() => app.close());
  const post = (payload: string, contentType = 'application/json', url = '/v1/things') =>
    app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });

  it("is answered in the platform's codes, naming the field and why, never Fastify's own codes", async () => {
    const answers = [
      [await post(''), 400, 'invalid_request', '(body)', /^empty/],
      [await post('{"note":'), 400, 'invalid_request', '(body)', /^not valid JSON/],
      [await post(`{"note":"${'x'.repeat(64 * 1024)}"}`), 413, 'body_too_large', '(body)', /64 KiB/],
      [
        await post('note=x', 'application/x-www-form-urlencoded'),
        415,
        'unsupported_media_type',
        'content-type',
        /application\/json/,
      ],
      // Fastify reads text/plain by default: the route would get a string and say the JSON is wrong.
      [
        await post('{"note":"x"}', 'text/plain'),
        415,
        'unsupported_media_type',
        'content-type',
        /application\/json/,
      ],
      // The app's own limit (1 MiB) where the route sets none.
      [
        await post(`"${'x'.repeat(1024 * 1024)}"`, 'application/json', '/v1/big-things'),
        413,
        'body_too_large',
        '(body)',
        /1 MiB/,
      ],
    ] as const;
    for (const [response, status, code, field, reason] of answers) {
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json(), response.body).toEqual({
        error: {
          code,
          message: expect.any(String),
          fields: [{ field, reason: expect.stringMatching(reason) }],
        },
      });
      expect(response.body).not.toMatch(/fst_err|FST_ERR/i);
    }
  });

  it('a path Fastify cannot route is answered in the one error shape too, naming (path)', async () => {
    for (const [url, status] of [
      ['/v1/things/%E0%A4%A', 400],
      [`/v1/things/${'a'.repeat(101)}`, 414],
    ] as const) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(status);
      expect(response.json(), url).toEqual({
        error: {
          code: 'invalid_url',
          message: expect.any(String),
          fields: [{ field: '(path)', reason: expect.any(String) }],
        },
      });
    }
  });

  it('names the limit the route reads; one Fastify refusal the table does not know keeps its status under a code of ours', () => {
    const refusal = frameworkRefusal(
      { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 } as FastifyError,
      256 * 1024,
    );
    expect(refusal).toEqual({
      kind: 'body_too_large',
      status: 413,
      code: 'body_too_large',
      message: expect.any(String),
      field: '(body)',
      reason: 'larger than the 256 KiB this endpoint reads',
    });
    expect(
      frameworkRefusal({ code: 'FST_ERR_SOMETHING_NEW', statusCode: 400, message: 'new' } as FastifyError),
    ).toEqual({
      kind: 'other',
      status: 400,
      code: 'bad_request',
      message: 'new',
    });
  });
});

describe('a dependency down while /readyz is probed', () => {
  it('is logged when it goes down and when it is back, not at every probe; the 503 is not a failed request', async () => {
    const { logger, lines } = capturedLogger('probes-test');
    let down = true;
    const app = createServiceApp({
      logger,
      metrics: createMetrics('probes-test'),
      readiness: {
        database: async () => {
          if (down)
            throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
        },
      },
    });
    for (let probe = 0; probe < 5; probe++)
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    down = false;
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await app.close();
    const said = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(said.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual([
      'not ready: database unreachable',
    ]);
    expect(said.map((line) => line.msg)).toContainEqual(
      expect.stringMatching(/^ready again: database reachable after 5 failed probes, /),
    );
  });
});

describe('/metrics with a scrape token (METRICS_TOKEN)', () => {
  const token = 'a-scrape-token-of-thirty-two-chars!';
  const app = createServiceApp({
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetrics('scrape-test', { scrapeToken: token }),
    readiness: {},
  });
  afterAll(() => app.close());

  it('answers only its bearer token, refusing any other in the one error shape; the probes stay open', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      token,
      `Basic ${token}`,
    ]) {
      const refused = await app.inject({ url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(refused.statusCode, authorization).toBe(401);
      expect(refused.json()).toEqual({
        error: {
          code: 'unauthorized',
          message: 'the metrics token (METRICS_TOKEN) is required as a bearer token',
          fields: [
            {
              field: 'authorization',
              reason: 'the metrics token (METRICS_TOKEN) is required as a bearer token',
            },
          ],
        },
      });
    }
    const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toContain('huijie_http_request_duration_seconds');
    // The scheme as HTTP reads it, whatever its case (as the operators' tokens are read).
    expect(
      (await app.inject({ url: '/metrics', headers: { authorization: `bearer ${token}` } })).statusCode,
    ).toBe(200);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
});
