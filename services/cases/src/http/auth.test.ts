import { signToken } from '@huijie/service-kit/auth-token.ts';
import type { FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CasesDb } from '../db/prisma.ts';
import { operatorOf } from './auth.ts';

const jwtSecret = 'a-secret-of-at-least-thirty-two-chars';
const claims = { sub: 'op', role: 'operator', scope: '350802' } as const;

/** operatorOf on a token signed at `signedAt` (ms), its operator's stamp at `stamp` (ms). */
async function check(signedAt: number, stamp: number) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(signedAt);
  const token = signToken(claims, jwtSecret);
  vi.useRealTimers();
  const db = {
    operator: {
      findUnique: async () => ({
        passwordHash: 'scrypt$x$y',
        role: claims.role,
        scopeCode: claims.scope,
        tokensValidFrom: new Date(stamp),
      }),
    },
  } as unknown as CasesDb;
  const request = { headers: { authorization: `Bearer ${token}` } } as FastifyRequest;
  return operatorOf(request, { db, jwtSecret });
}

describe("a token and its operator's stamp (tokensValidFrom)", () => {
  afterEach(() => vi.useRealTimers());
  const second = Math.floor(Date.now() / 1000) * 1000;

  it('a token issued in the second of the stamp is kept, whichever of the two came first in it: a sign-in just after a change works', async () => {
    await expect(check(second + 999, second)).resolves.toMatchObject({ sub: 'op', iat: second / 1000 });
    await expect(check(second, second + 999)).resolves.toMatchObject({ sub: 'op' });
  });

  it('a token issued in a second before the stamp is refused, however little before', async () => {
    await expect(check(second - 1, second)).rejects.toThrow(/issued before the operator's account changed/);
    await expect(check(second - 3600_000, second + 500)).rejects.toThrow(/sign in again/);
  });
});
