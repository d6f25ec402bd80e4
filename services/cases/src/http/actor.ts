import { createHash } from 'node:crypto';
import type { OperatorClaims } from '@huijie/service-kit/auth-token.ts';
import { forbidden, unauthorized } from '@huijie/service-kit/errors.ts';
import type { FastifyRequest } from 'fastify';
import type { CasesDb } from '../db/prisma.ts';
import { operatorOf } from './auth.ts';

/** Who is calling: an operator with a jurisdiction, or a partner agency's department. */
export type Actor = { kind: 'operator'; claims: OperatorClaims } | { kind: 'agency'; departmentCode: string };

export function actorName(actor: Actor): string {
  return actor.kind === 'operator' ? `operator:${actor.claims.sub}` : `agency:${actor.departmentCode}`;
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Operators send a bearer token; agencies send `x-api-key` (only its hash is stored). */
export async function actorOf(
  request: FastifyRequest,
  deps: { db: CasesDb; jwtSecret: string },
): Promise<Actor> {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) {
    const key = await deps.db.agencyKey.findUnique({ where: { keyHash: hashApiKey(apiKey) } });
    if (!key) throw unauthorized('unknown API key', 'x-api-key');
    return { kind: 'agency', departmentCode: key.departmentCode };
  }
  return { kind: 'operator', claims: await operatorOf(request, deps) };
}

/**
 * The caller of an operators' action (`what`, as the 403 words it), refusing an agency as soon as
 * its key is verified: in the route's `authenticate`, before the body is read. Whatever an agency
 * sends, the answer is this 403; a 400 about the body's fields first would read as if a complete
 * body could succeed.
 */
export async function operatorActorOf(
  request: FastifyRequest,
  deps: { db: CasesDb; jwtSecret: string },
  what: string,
): Promise<Actor> {
  const actor = await actorOf(request, deps);
  if (actor.kind === 'agency') throw forbidden(`an agency cannot ${what}; ask an operator`);
  return actor;
}
