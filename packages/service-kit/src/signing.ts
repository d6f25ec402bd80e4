import { createHmac, timingSafeEqual } from 'node:crypto';
import { maxClockSkewSeconds, webhookHeaders } from '@huijie/contracts/webhooks/envelope.ts';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './errors.ts';

/**
 * Headers of a signed push (hotline, court): who, when, and HMAC-SHA256 of `timestamp + "." + rawBody`.
 * The same names and clock window as the requests notify signs, defined once in the contracts.
 */
export const signingHeaders = {
  client: webhookHeaders.client,
  timestamp: webhookHeaders.timestamp,
  signature: webhookHeaders.signature,
} as const;

export { maxClockSkewSeconds };

/**
 * An `onRequest` hook: only known clients may send a body at all. The body is read before its
 * signature can be checked, and reading megabytes should not be open to anyone who finds the port.
 */
export function knownClientsOnly(isKnown: (clientId: string) => boolean) {
  return async (request: FastifyRequest): Promise<void> => {
    const id = request.headers[signingHeaders.client];
    const clientId = Array.isArray(id) ? id[0] : id;
    if (!clientId) throw unauthorized('missing client id', signingHeaders.client);
    if (!isKnown(clientId)) throw unauthorized('unknown client', signingHeaders.client);
  };
}

export function sign(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return hmacOf(secret, timestamp, rawBody).toString('hex');
}

function hmacOf(secret: string, timestamp: string, rawBody: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/**
 * Checks a signed request; throws a 401 that names what is wrong. `secretOf` returns the
 * client's secret, or undefined for an unknown client.
 */
export function verifySignature(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  secretOf: (clientId: string) => string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): { clientId: string } {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const clientId = header(signingHeaders.client);
  const timestamp = header(signingHeaders.timestamp);
  const signature = header(signingHeaders.signature);
  if (!clientId) throw unauthorized('missing client id', signingHeaders.client);
  if (!timestamp) throw unauthorized('missing timestamp', signingHeaders.timestamp);
  if (!signature) throw unauthorized('missing signature', signingHeaders.signature);
  if (!/^\d{1,12}$/.test(timestamp))
    throw unauthorized('timestamp must be unix seconds', signingHeaders.timestamp);
  if (Math.abs(nowSeconds - Number(timestamp)) > maxClockSkewSeconds) {
    throw unauthorized(`timestamp outside the ±${maxClockSkewSeconds} s window`, signingHeaders.timestamp);
  }
  const secret = secretOf(clientId);
  if (secret === undefined) throw unauthorized('unknown client', signingHeaders.client);
  const expected = hmacOf(secret, timestamp, rawBody);
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthorized('signature does not match the body', signingHeaders.signature);
  }
  return { clientId };
}
