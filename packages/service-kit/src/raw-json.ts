import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: signatures are computed over these bytes, not over re-serialised JSON. */
    rawBody?: Buffer;
  }
}

/**
 * JSON parsing that keeps the raw bytes, for endpoints whose callers sign the body: the other
 * systems' pushes (hotline, courts). Their fields that are null count as absent (withoutNullFields).
 */
export function keepRawJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    try {
      const text = raw.toString('utf8');
      const parsed: unknown = JSON.parse(text);
      done(null, text.includes('null') ? withoutNullFields(parsed) : parsed);
    } catch (error) {
      done(
        badRequest([{ field: '(body)', reason: `not valid JSON: ${(error as Error).message}` }]),
        undefined,
      );
    }
  });
}

/**
 * The body without its null fields, at every depth. Hotline and court systems (Java and .NET
 * serialisers, by default) write an optional field they have no value for as null: null means
 * absent, so an optional field is skipped and a required one is named as missing. A null item of
 * a list stays, and fails validation: no item is dropped unseen.
 */
function withoutNullFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullFields);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties: a "__proto__" key stays a plain field.
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, field]) =>
      field === null ? [] : [[key, withoutNullFields(field)]],
    ),
  );
}
