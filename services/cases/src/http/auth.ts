import {
  checkPassword,
  type OperatorClaims,
  scopeCovers,
  signToken,
  verifyToken,
} from '@huijie/service-kit/auth-token.ts';
import { notFound, unauthorized } from '@huijie/service-kit/errors.ts';
import { route } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CasesDb } from '../db/prisma.ts';

const tokenTtlSeconds = 8 * 3600;

export function authRoutes(app: FastifyInstance, deps: { db: CasesDb; jwtSecret: string }) {
  route(
    app,
    {
      method: 'POST',
      url: '/v1/auth/token',
      summary: "Exchange an operator's username and password for a bearer token",
      tags: ['auth'],
      body: z.object({ username: z.string().min(1), password: z.string().min(1) }),
      responses: {
        200: z.object({
          token: z.string(),
          tokenType: z.literal('Bearer'),
          expiresIn: z.number(),
          role: z.string(),
          scope: z.string(),
        }),
      },
    },
    async ({ body }) => {
      const operator = await deps.db.operator.findUnique({ where: { username: body.username } });
      // The same answer for an unknown user and a wrong password: no probing for account names.
      if (!operator || !(await checkPassword(body.password, operator.passwordHash))) {
        throw unauthorized('unknown user or wrong password');
      }
      const claims = {
        sub: operator.username,
        role: operator.role as OperatorClaims['role'],
        scope: operator.scopeCode,
      };
      return {
        token: signToken(claims, deps.jwtSecret, tokenTtlSeconds),
        tokenType: 'Bearer',
        expiresIn: tokenTtlSeconds,
        role: claims.role,
        scope: claims.scope,
      };
    },
  );
}

export function operatorOf(request: FastifyRequest, jwtSecret: string): OperatorClaims {
  return verifyToken(request.headers.authorization, jwtSecret);
}

/**
 * A case outside the operator's jurisdiction answers exactly like a missing one (404), so an
 * operator cannot learn that another county's case exists.
 */
export function assertInScope(
  operator: OperatorClaims,
  place: { countyCode: string | null; townCode: string | null; cityCode: string | null } | null,
): void {
  if (!place) throw notFound('case');
  const division = place.townCode ?? place.countyCode ?? place.cityCode;
  if (!scopeCovers(operator.scope, division)) throw notFound('case');
}
