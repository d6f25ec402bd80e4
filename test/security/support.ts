import { createHmac } from 'node:crypto';
import { topics } from '@huijie/contracts/topics.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import type { RouteEntry } from '@huijie/service-kit/http-app.ts';
import { sign } from '@huijie/service-kit/signing.ts';
import { uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { expect } from 'vitest';

type Injected = Awaited<ReturnType<FastifyInstance['inject']>>;

/**
 * A refusal in the one error shape every endpoint answers with: `{error:{code,message,fields}}`
 * and nothing else, so a refused request carries no data of what it asked for.
 */
export function expectRefused(response: Injected, status: number, code?: string) {
  expect(response.statusCode, response.body).toBe(status);
  const body = response.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual({
    code: code ?? expect.any(String),
    message: expect.any(String),
    fields: expect.any(Array),
    ...(body.error.details && { details: expect.any(Object) }),
  });
  return body.error as { code: string; message: string; fields: { field: string; reason: string }[] };
}

/** What an endpoint needs to be reached: the routes every service answers to anyone. */
export const probeRoutes = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics']);

export const routeKey = (route: RouteEntry) => `${route.method} ${route.url}`;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hs256 = (secret: string, input: string) =>
  createHmac('sha256', secret).update(input).digest('base64url');

const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** An HMAC-SHA256 in base64url (43 characters) whose last character's two unused bits are flipped. */
function sameBytes(signature: string): string {
  const last = base64url.indexOf(signature.at(-1)!);
  return `${signature.slice(0, -1)}${base64url[last ^ 1]}`;
}

/**
 * Bearer tokens an attacker could present, each of which must be refused with 401: the claims
 * are those of a city-wide administrator, the widest scope there is.
 */
export function forgedTokens(secret: string): [string, string | undefined][] {
  const claims = { sub: 'mallory', role: 'admin' as const, scope: '350800' };
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const honest = signToken({ sub: 'county-operator', role: 'operator', scope: '350803' }, secret);
  const [header, payload, signature] = honest.split('.') as [string, string, string];
  const widened = b64url({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: '350800' });
  const none = b64url({ alg: 'none', typ: 'JWT' });
  return [
    ['no authorization header', undefined],
    ['another scheme (Basic)', `Basic ${Buffer.from('demo-operator:demo-password').toString('base64')}`],
    ['a token without the Bearer scheme', honest],
    ['a malformed token', 'Bearer not-a-token'],
    ['an expired token', `Bearer ${signToken(claims, secret, -60)}`],
    ['a token signed with another secret', `Bearer ${signToken(claims, `${secret}-not`)}`],
    ['alg "none" with no signature', `Bearer ${none}.${b64url({ ...claims, exp })}.`],
    ['alg "none" with a signature', `Bearer ${none}.${b64url({ ...claims, exp })}.${signature}`],
    ['a payload widened to the city, signature kept', `Bearer ${header}.${widened}.${signature}`],
    [
      'alg HS512 in the header, signed with the right secret',
      `Bearer ${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url({ ...claims, exp })}.${hs256(
        secret,
        `${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url({ ...claims, exp })}`,
      )}`,
    ],
    // A valid token (of a county's operator) spelled otherwise: each must be refused, or one token
    // has endless spellings that a deny-list or a search of the logs misses.
    ['a valid token with a fourth part', `Bearer ${honest}.anything`],
    ['a valid token with characters outside base64url after it', `Bearer ${honest}!!`],
    ['a valid token with base64 padding', `Bearer ${honest}==`],
    [
      "a valid token's signature with its unused last bits changed (the same bytes)",
      `Bearer ${header}.${payload}.${sameBytes(signature)}`,
    ],
    [
      'no expiry, signed with the right secret',
      `Bearer ${header}.${b64url(claims)}.${hs256(secret, `${header}.${b64url(claims)}`)}`,
    ],
  ];
}

/** Headers of a push signed the way hotline and court clients sign (HMAC of `timestamp.body`). */
export function signedHeaders(
  client: { id: string; secret: string },
  raw: string,
  timestamp = Math.floor(Date.now() / 1000),
  signedBody = raw,
) {
  return {
    'content-type': 'application/json',
    'x-huijie-client': client.id,
    'x-huijie-timestamp': String(timestamp),
    'x-huijie-signature': sign(client.secret, String(timestamp), signedBody),
  };
}

/** An event bus on the real broker, in topics of its own. */
export async function kafkaBus(brokers: string[], name: string): Promise<{ bus: EventBus; engine: Engine }> {
  const engine = namespaced(createKafkaEngine({ brokers, clientId: name }), uniqueName(name));
  const bus = createEventBus(engine, { source: `/test/security/${name}` });
  await bus.ensureTopics(Object.values(topics));
  return { bus, engine };
}

/** A body of about `bytes` bytes of JSON. */
export const oversized = (bytes: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...extra, padding: 'x'.repeat(bytes) });

/**
 * About `bytes` bytes of JSON that is the costliest to parse: an array of empty objects (900 KiB
 * of them take ~150 ms of one core). A test compares a refusal before the body is read with one after.
 */
export const emptyObjects = (bytes: number) => `[${'{},'.repeat(Math.floor(bytes / 3)).slice(0, -1)}]`;

/** A request and how long it took to answer. */
export async function timedInject(app: FastifyInstance, request: InjectOptions) {
  const started = performance.now();
  const response = await app.inject(request);
  return { response, ms: performance.now() - started };
}
