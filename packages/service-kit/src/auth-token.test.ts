import { describe, expect, it } from 'vitest';
import { checkPassword, hashPassword, scopeCovers, signToken, verifyToken } from './auth-token.ts';

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
