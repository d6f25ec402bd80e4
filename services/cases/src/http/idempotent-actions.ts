import { fingerprint } from '@huijie/service-kit/revisions.ts';
import { type RouteInput, type RouteSpec, route } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { visibleCase } from '../actions/act-on-case.ts';
import { idempotencyKeyHeader, idempotencyWindowMs, underIdempotencyKey } from '../db/idempotency-keys.ts';
import { type Actor, actorName } from './actor.ts';

const hours = idempotencyWindowMs / 3600_000;

const keyFormat = '1 to 255 printable ASCII characters';
/** The optional header of every action, as the OpenAPI document describes it. */
const idempotencyHeaders = z.object({
  [idempotencyKeyHeader]: z
    .string()
    // Printable ASCII: a key is compared byte for byte, and stored; 255 as other APIs allow.
    .min(1, keyFormat)
    .max(255, keyFormat)
    .regex(/^[\x20-\x7e]*$/, keyFormat)
    .optional()
    .meta({
      description:
        `Optional: a key naming this request (1 to 255 printable ASCII characters, a UUID for instance), so that it can be retried safely. ` +
        `A retry with the same key, from the same operator or agency, on the same action, case and body, within ${hours} hours, ` +
        'is answered what the first request was (the same status and body) and changes nothing; a concurrent one waits for the first. ' +
        `The same key with another action, case or body is a 422 idempotency_key_reused. Keys are each caller's own. ` +
        'Only a success is remembered: a refusal (4xx) or a failure (5xx) changed nothing, and its retry is acted on anew.',
    }),
});

/**
 * `route` for a case action: it takes an `Idempotency-Key` (idempotencyHeaders), under which its
 * transaction is claimed and its result remembered (db/idempotency-keys.ts). Without the header
 * the action runs as it always did.
 */
export function idempotentRoute<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUnknown,
>(
  app: FastifyInstance,
  spec: RouteSpec<P, Q, B, Actor>,
  handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>, Actor>) => Promise<unknown>,
): void {
  route(app, { ...spec, headers: idempotencyHeaders }, async (input) => {
    const key = input.headers[idempotencyKeyHeader];
    if (key === undefined) return handler({ ...input, headers: {} });
    const request = `${spec.method} ${pathOf(spec.url, input.params)}`;
    return underIdempotencyKey(
      {
        caller: actorName(input.actor),
        key,
        request,
        // The validated body: a retry that writes the same fields in another order is the same request.
        fingerprint: fingerprint({ request, body: input.body }),
        // Every action is on the case of its path; a merged one is still read (its first answer stands).
        stillVisible: (tx) =>
          visibleCase(tx, (input.params as { caseId: string }).caseId, input.actor, { merged: 'read' }),
      },
      () => handler({ ...input, headers: {} }),
    );
  });
}

/** The path a request asked for, from the route's pattern and its validated parameters. */
const pathOf = (url: string, params: unknown) =>
  url.replace(/:(\w+)/g, (_, name: string) => String((params as Record<string, unknown>)[name]));
