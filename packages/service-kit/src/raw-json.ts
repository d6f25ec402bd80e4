import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, badRequest } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: signatures are computed over these bytes, not over re-serialised JSON. */
    rawBody?: Buffer;
  }
}

/**
 * JSON bodies for endpoints whose callers sign them, the other systems' pushes (hotline, courts):
 * kept as the bytes received and parsed only when the handler asks (`signedJsonBody`), once it has
 * checked the signature over those bytes. Parsed on arrival, a body was parsed for anyone who knew
 * a client id (it travels in the clear): 16 MiB of `{}` blocked the service for seconds before the
 * signature said no.
 */
export function keepRawJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // JSON is UTF-8 (RFC 8259). A hotline's Java system may declare GBK: read as UTF-8, its words
    // would be replaced by U+FFFD and overwrite a case's. Refused before the signature is checked:
    // the header alone says it.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) {
      done(
        new AppError(415, 'unsupported_media_type', 'the body must be UTF-8', [
          {
            field: 'content-type',
            reason: `charset ${charset}: the body must be UTF-8 (charset=utf-8, or none)`,
          },
        ]),
        undefined,
      );
      return;
    }
    request.rawBody = body as Buffer;
    done(null, undefined);
  });
}

/** Strict: bytes that are not UTF-8 are an error, not U+FFFD; a byte-order mark is dropped. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON of a request whose signature has been checked, its null fields counted as absent
 * (withoutNullFields); undefined for an empty body, 400 for one that is not JSON.
 */
export function signedJsonBody(request: FastifyRequest): unknown {
  const raw = request.rawBody;
  if (raw === undefined || raw.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw badRequest([
      {
        field: '(body)',
        reason: 'not valid UTF-8: send the JSON in UTF-8 (GBK or another encoding would garble its words)',
      },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest([{ field: '(body)', reason: `not valid JSON: ${(error as Error).message}` }]);
  }
  return text.includes('null') ? withoutNullFields(parsed) : parsed;
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
