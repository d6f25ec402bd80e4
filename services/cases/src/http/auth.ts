import { createHmac } from 'node:crypto';
import { mostSpecificDivision } from '@huijie/contracts/vocabulary.ts';
import {
  checkPassword,
  hashPassword,
  type OperatorClaims,
  scopeCovers,
  signToken,
  tokenRefusal,
  verifyToken,
} from '@huijie/service-kit/auth-token.ts';
import { clientIp } from '@huijie/service-kit/client-ip.ts';
import { forbidden, notFound, unauthorized } from '@huijie/service-kit/errors.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import {
  enforceRateLimit,
  fallbackRateLimiter,
  memoryRateLimiter,
  type RateLimiter,
  redisRateLimiter,
} from '@huijie/service-kit/rate-limit.ts';
import { route } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { accountOf, disabledMark } from '../accounts/accounts.ts';
import type { CasesDb } from '../db/prisma.ts';

const tokenTtlSeconds = 8 * 3600;

/**
 * Sign-in attempts allowed per window, right or wrong: per username from one address (password
 * guessing against one account), per username from all addresses together (the same guessing
 * spread over many), and per client address (spraying many accounts). One address counts at most
 * `perUsernameFromAddress` against the account: a stranger who types a name wrong again and again
 * (or on purpose) stops itself, not the operator — it takes `perUsername / perUsernameFromAddress`
 * addresses to lock an account out. Behind a proxy without X-Forwarded-For handling the address is
 * the proxy's, so its limit is generous.
 */
export interface LoginLimits {
  perUsernameFromAddress: number;
  perUsername: number;
  perAddress: number;
  windowMs: number;
}

export const defaultLoginLimits: LoginLimits = {
  perUsernameFromAddress: 10,
  perUsername: 50,
  perAddress: 100,
  windowMs: 15 * 60_000,
};

/**
 * Sign-in attempts counted across replicas in Redis and, while Redis cannot be reached, by this
 * replica in its memory: still limited, and still served. Redis holds nothing else of cases, and
 * its /readyz does not ask for it, so a replica refusing every sign-in for want of Redis would
 * keep being sent operators.
 */
export function sharedLoginLimiter(
  redis: Redis,
  logger: Logger,
  options: { prefix?: string; probeMs?: number } = {},
): RateLimiter {
  return fallbackRateLimiter(
    redisRateLimiter(redis, options.prefix ?? 'huijie:cases:rate:'),
    memoryRateLimiter(),
    { logger, what: 'sign-in limits', ...(options.probeMs !== undefined && { probeMs: options.probeMs }) },
  );
}

export function authRoutes(
  app: FastifyInstance,
  deps: {
    db: CasesDb;
    jwtSecret: string;
    rateLimiter: RateLimiter;
    loginLimits?: LoginLimits;
    trustedProxyHops: number;
  },
) {
  const limits = deps.loginLimits ?? defaultLoginLimits;
  const address = (request: FastifyRequest) => clientIp(request, deps.trustedProxyHops);
  /**
   * The username as the limits' keys hold it: keyed-hashed, for what is typed into the username
   * box is sometimes a password, and the keys show in Redis's KEYS, MONITOR and slow log.
   */
  const userKey = (username: string) =>
    createHmac('sha256', `huijie:login-limit:${deps.jwtSecret}`)
      .update(username)
      .digest('base64url')
      .slice(0, 22);
  /** Checked for unknown usernames too, so that both answers take one scrypt's time. */
  const unknownUserHash = hashPassword('no such operator');
  const limit = (key: string, max: number) => enforceRateLimit(deps.rateLimiter, key, max, limits.windowMs);
  route(
    app,
    {
      method: 'POST',
      url: '/v1/auth/token',
      summary: "Exchange an operator's username and password for a bearer token",
      tags: ['auth'],
      body: z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1024) }),
      // Both fields at their longest, every character escaped (\uXXXX), are under 7 KiB.
      bodyLimit: 16 * 1024,
      // Before the body is read: a body refused as malformed counts too, and past the limit none is parsed.
      onRequest: (request) => limit(`login:address:${address(request)}`, limits.perAddress),
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
    async ({ body, request }) => {
      // The pair first: an attempt it refuses does not count against the account.
      const user = userKey(body.username);
      await limit(`login:address-user:${address(request)}:${user}`, limits.perUsernameFromAddress);
      await limit(`login:user:${user}`, limits.perUsername);
      const operator = await deps.db.operator.findUnique({ where: { username: body.username } });
      // The same answer, after the same work, for an unknown user and a wrong password: no
      // probing for account names by the answer or by its time.
      const stored = operator?.passwordHash ?? (await unknownUserHash);
      // A disabled operator's hash (accounts.ts) is checked as any other, then refused: the same
      // time again, so the answer does not tell which names exist but are disabled.
      const disabled = stored.startsWith(disabledMark);
      const matches = await checkPassword(
        body.password,
        disabled ? stored.slice(disabledMark.length) : stored,
      );
      if (!operator || disabled || !matches) {
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

/**
 * The operator a bearer token names, while the operator is as the token was issued to: the rule
 * (`tokenRefusal`, shared with notify) refuses at once a token whose operator has since been
 * disabled, removed or given another role or jurisdiction, or that was issued before the account
 * last changed (`tokensValidFrom`, moved by every change in accounts.ts). One primary-key read per
 * request, as an agency's key is read.
 */
export async function operatorOf(
  request: FastifyRequest,
  deps: { db: CasesDb; jwtSecret: string },
): Promise<OperatorClaims> {
  const claims = verifyToken(request.headers.authorization, deps.jwtSecret);
  const operator = await deps.db.operator.findUnique({
    where: { username: claims.sub },
    select: { passwordHash: true, role: true, scopeCode: true, tokensValidFrom: true },
  });
  const refusal = tokenRefusal(claims, operator && accountOf(operator));
  if (refusal) throw refusal;
  return claims;
}

/**
 * A case outside the operator's jurisdiction answers exactly like a missing one (404), so an
 * operator cannot learn that another county's case exists.
 */
export function assertInScope(
  operator: OperatorClaims,
  place: { countyCode: string | null; townCode: string | null; cityCode: string | null } | null,
  what = 'case',
): void {
  if (!place) throw notFound(what);
  const division = mostSpecificDivision(place);
  if (!scopeCovers(operator.scope, division)) throw notFound(what);
}

/**
 * A place an operator names — a filter of the search, the export or the statistics, the place a
 * correction moves a case to — must be within their jurisdiction (the rule reads use: the city its
 * counties, a county its towns, a town itself), or it is a 403 naming the field. Unlike a case out
 * of scope (404), the place is the operator's own input: a mistyped one is said to be so, never
 * answered with "no cases"; and a case is never handed to desks where its operator has no say.
 */
export function assertPlaceWithin(operator: OperatorClaims, place: string, field = 'place'): void {
  if (!scopeCovers(operator.scope, place)) {
    throw forbidden(`${field} ${place} is outside your jurisdiction (${operator.scope})`, field);
  }
}
