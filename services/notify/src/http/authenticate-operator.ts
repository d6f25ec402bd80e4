import {
  type OperatorAccount,
  type OperatorClaims,
  tokenRefusal,
  verifyToken,
} from '@huijie/service-kit/auth-token.ts';
import type { FastifyRequest } from 'fastify';
import type { NotifyDb } from '../db/prisma.ts';

/**
 * The operator a bearer token names, judged as the cases API judges it (`tokenRefusal`) by what
 * cases last announced of their account (operator.access.v1, consumers/record-operator-access.ts):
 * disabled, removed, given another role or jurisdiction, or changed after the token was issued, it
 * is refused with the cases API's words. An operator notify has not heard of (their event not
 * consumed yet: cases announces each change through its outbox, and every operator once) is judged
 * by the token alone, as before notify heard of accounts. One primary-key read per request.
 */
export async function authenticateOperator(
  request: FastifyRequest,
  deps: { db: NotifyDb; jwtSecret: string },
): Promise<OperatorClaims> {
  const claims = verifyToken(request.headers.authorization, deps.jwtSecret);
  const account = await deps.db.operatorAccess.findUnique({ where: { username: claims.sub } });
  const refusal =
    account && tokenRefusal(claims, { ...account, status: account.status as OperatorAccount['status'] });
  if (refusal) throw refusal;
  return claims;
}
