import { describe, expect, it } from 'vitest';
import {
  checkPassword,
  hashPassword,
  type OperatorAccount,
  type OperatorClaims,
  scopeCovers,
  signToken,
  tokenRefusal,
  verifyToken,
} from './auth-token.ts';

const secret = 'a-secret-of-at-least-thirty-two-chars';

describe('operator tokens', () => {
  it('round-trips the claims, with the time of issue in whole seconds (iat) and the expiry 8 h after it', () => {
    const before = Math.floor(Date.now() / 1000);
    const token = signToken({ sub: 'op', role: 'operator', scope: '350803' }, secret);
    const claims = verifyToken(`Bearer ${token}`, secret);
    expect(claims).toMatchObject({ sub: 'op', role: 'operator', scope: '350803' });
    expect(Number.isInteger(claims.iat)).toBe(true);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(Date.now() / 1000);
    expect(claims.exp).toBe(claims.iat! + 8 * 3600);
  });

  it('reads the scheme as HTTP does, whatever its case, and nothing else as a bearer token', () => {
    const token = signToken({ sub: 'op', role: 'operator', scope: '350803' }, secret);
    for (const scheme of ['bearer', 'BEARER', 'bEaReR'])
      expect(verifyToken(`${scheme} ${token}`, secret).sub, scheme).toBe('op');
    for (const other of [`Basic ${token}`, `Bearer-${token}`, `Bearer${token}`, token])
      expect(() => verifyToken(other, secret), other).toThrow('a bearer token is required');
  });

  it('rejects a token signed with another secret, a widened scope, an expired one, and none', () => {
    const token = signToken({ sub: 'op', role: 'operator', scope: '350803' }, secret);
    expect(() => verifyToken(`Bearer ${token}`, `${secret}x`)).toThrow('token signature is not valid');
    const [header, , signature] = token.split('.');
    const widened = Buffer.from(
      JSON.stringify({ sub: 'op', role: 'admin', scope: '350800', exp: 9e9 }),
    ).toString('base64url');
    expect(() => verifyToken(`Bearer ${header}.${widened}.${signature}`, secret)).toThrow(
      'token signature is not valid',
    );
    const expired = signToken({ sub: 'op', role: 'operator', scope: '350803' }, secret, -1);
    expect(() => verifyToken(`Bearer ${expired}`, secret)).toThrow('token expired');
    expect(() => verifyToken(undefined, secret)).toThrow('a bearer token is required');
  });

  it('takes a token in the one spelling signToken writes, nothing appended, no other alphabet', () => {
    const token = signToken({ sub: 'op', role: 'operator', scope: '350803' }, secret);
    for (const spelling of [`${token}.anything`, `${token}!!`, `${token}==`, `${token}~~`, ` ${token}`])
      expect(() => verifyToken(`Bearer ${spelling}`, secret), spelling).toThrow('malformed token');
    // The same signature bytes, its last character's two unused bits set otherwise.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const flipped = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) ^ 1]}`;
    expect(Buffer.from(flipped.split('.')[2]!, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2]!, 'base64url'),
    );
    expect(() => verifyToken(`Bearer ${flipped}`, secret)).toThrow('token signature is not valid');
  });
});

describe("a token and its operator's account now (tokenRefusal, the rule of cases and notify)", () => {
  // A token of 新罗区's operator issued at 9:00:00.000 (iat in whole seconds).
  const nine = Date.UTC(2026, 11, 1, 1, 0, 0);
  const claims: OperatorClaims = {
    sub: 'xinluo-chen',
    role: 'operator',
    scope: '350802',
    iat: nine / 1000,
    exp: nine / 1000 + 8 * 3600,
  };
  const account: OperatorAccount = {
    status: 'active',
    role: 'operator',
    scope: '350802',
    tokensValidFrom: new Date(nine - 3600_000),
  };
  /** The refusal's status, code, words and field, or undefined when the token stands. */
  const refusal = (given: OperatorClaims, now: OperatorAccount | null) => {
    const error = tokenRefusal(given, now);
    return error && { status: error.status, code: error.code, message: error.message, fields: error.fields };
  };
  const refused = (message: string) => ({
    status: 401,
    code: 'unauthorized',
    message,
    fields: [{ field: 'authorization', reason: message }],
  });
  const gone = refused('the operator has been disabled or removed since this token was issued');
  const moved = refused(
    "the operator's role or jurisdiction has changed since this token was issued: sign in again",
  );
  const stale = refused(
    "this token was issued before the operator's account changed (disabled, enabled again, password, role or jurisdiction changed, or removed and added again): sign in again",
  );

  it('given an active account as the token was issued to, changed before it: the token stands', () => {
    expect(refusal(claims, account)).toBeUndefined();
  });

  it('given the account disabled, removed, or no account at all: refused, in one set of words', () => {
    expect(refusal(claims, { ...account, status: 'disabled' })).toEqual(gone);
    expect(refusal(claims, { ...account, status: 'removed' })).toEqual(gone);
    expect(refusal(claims, null)).toEqual(gone);
    // Disabled or removed is said first, whatever else changed.
    expect(
      refusal(claims, {
        ...account,
        status: 'disabled',
        scope: '350803',
        tokensValidFrom: new Date(nine + 5000),
      }),
    ).toEqual(gone);
  });

  it('given another role or another jurisdiction: refused, sign in again', () => {
    expect(refusal(claims, { ...account, role: 'leader' })).toEqual(moved);
    expect(refusal(claims, { ...account, scope: '350803' })).toEqual(moved);
    expect(refusal(claims, { ...account, scope: '350802107' })).toEqual(moved);
  });

  it('given an account changed after the token was issued (enabled again, a new password): refused, to the second', () => {
    expect(refusal(claims, { ...account, tokensValidFrom: new Date(nine + 1000) })).toEqual(stale);
    // A sign-in in the second of the change is kept, whichever came first in it.
    expect(refusal(claims, { ...account, tokensValidFrom: new Date(nine + 999) })).toBeUndefined();
    expect(refusal(claims, { ...account, tokensValidFrom: new Date(nine) })).toBeUndefined();
  });

  it('given a token without an issue time (an older release signed it) and a known account: refused', () => {
    const { iat: _, ...older } = claims;
    expect(refusal(older, account)).toEqual(
      refused('this token carries no issue time (an older release signed it): sign in again'),
    );
  });
});

describe('passwords', () => {
  it('accepts the right password only', async () => {
    const stored = await hashPassword('demo-password');
    expect(await checkPassword('demo-password', stored)).toBe(true);
    expect(await checkPassword('demo-passwore', stored)).toBe(false);
  });
});

describe('jurisdiction scope', () => {
  it('the city sees its counties and towns; a county its own towns only; a town itself', () => {
    expect(scopeCovers('350800', '350803104')).toBe(true);
    expect(scopeCovers('350800', '350800')).toBe(true);
    expect(scopeCovers('350803', '350803104')).toBe(true);
    expect(scopeCovers('350803', '350802107')).toBe(false);
    expect(scopeCovers('350803', '350800')).toBe(false);
    expect(scopeCovers('350803104', '350803104')).toBe(true);
    expect(scopeCovers('350803104', '350803105')).toBe(false);
    expect(scopeCovers('350800', '350100')).toBe(false);
  });
});
