import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: signatures are computed over these bytes, not over re-serialised JSON. */
    rawBody?: Buffer;
  }
}

/** JSON parsing that keeps the raw bytes, for endpoints whose callers sign the body. */
export function keepRawJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(raw.toString('utf8')));
    } catch (error) {
      done(
        badRequest([{ field: '(body)', reason: `not valid JSON: ${(error as Error).message}` }]),
        undefined,
      );
    }
  });
}
