import { createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { OperatorAccessV1 } from '@huijie/contracts/events/operator-access-v1.ts';
import { type AppError, unauthorized } from './errors.ts';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>;

/** What an operator's bearer token says: who, in which role, over which jurisdiction. */
export interface OperatorClaims {
  sub: string;
  role: 'operator' | 'leader' | 'admin';
  /** Division code of the jurisdiction: the city, a county or a town. */
  scope: string;
  /**
   * When the token was issued, in seconds (JWT NumericDate, as `exp`): a token issued before its
   * operator's account last changed is refused (`tokenRefusal`). Absent from tokens signed before
   * it was added.
   */
  iat?: number;
  exp: number;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A compact HS256 JWT: enough for our own tokens, no dependency to audit. */
export function signToken(
  claims: Omit<OperatorClaims, 'exp' | 'iat'>,
  secret: string,
  ttlSeconds = 8 * 3600,
): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const iat = Math.floor(Date.now() / 1000);
  const payload = b64url(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined for any other. The scheme's
 * name is case-insensitive (RFC 9110 §11.1): `bearer` is how some clients write it.
 */
export const bearerTokenOf = (authorization: string | undefined): string | undefined =>
  /^bearer (.*)$/i.exec(authorization ?? '')?.[1];

export function verifyToken(authorization: string | undefined, secret: string): OperatorClaims {
  const token = bearerTokenOf(authorization);
  if (token === undefined) throw unauthorized('a bearer token is required', 'authorization');
  // One spelling per token: three base64url parts, the signature as signToken writes it. Node's
  // decoder skips characters outside the alphabet and ignores unused trailing bits, so a decoded
  // comparison took a token with `.anything`, `==` or `!!` after it: one token, endless spellings
  // that a deny-list or a search of the logs for it would miss.
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw unauthorized('malformed token', 'authorization');
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'),
  );
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthorized('token signature is not valid', 'authorization');
  }
  let claims: OperatorClaims;
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (head.alg !== 'HS256') throw new Error('alg');
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized('malformed token', 'authorization');
  }
  if (typeof claims.exp !== 'number' || claims.exp < Date.now() / 1000)
    throw unauthorized('token expired', 'authorization');
  if (claims.iat !== undefined && typeof claims.iat !== 'number')
    throw unauthorized('malformed token', 'authorization');
  return claims;
}

/**
 * An operator's account as a service that takes their tokens knows it now: cases reads it from its
 * operators table, notify from the latest `operator.access.v1` cases announced.
 */
export type OperatorAccount = Pick<OperatorAccessV1, 'status' | 'role' | 'scope'> & { tokensValidFrom: Date };

/**
 * Why a verified token must be refused, given its operator's account now (`null`: no such
 * account), or undefined when it stands. One rule, one set of words, for every service that takes
 * operators' tokens (cases' `operatorOf`, notify's delivery routes): a token lasts 8 h, and a
 * leaver must not read that long. Refused when the operator has been disabled or removed, or
 * given another role or jurisdiction, since the token was issued; and when it was issued before
 * the account last changed (`tokensValidFrom`, moved by every change the accounts command makes:
 * created, disabled, enabled, a new password, role or scope), so a token from before a disable
 * stays dead after enable-operator, one from before a password reset dies with the reset, and a
 * removed operator added again under the same name, role and scope does not revive the old tokens.
 */
export function tokenRefusal(claims: OperatorClaims, account: OperatorAccount | null): AppError | undefined {
  if (account === null || account.status !== 'active')
    return unauthorized(
      'the operator has been disabled or removed since this token was issued',
      'authorization',
    );
  // Checked as well as the stamp, and first (the plainer answer): a row changed by hand, outside
  // the accounts command, does not move the stamp.
  if (account.role !== claims.role || account.scope !== claims.scope)
    return unauthorized(
      "the operator's role or jurisdiction has changed since this token was issued: sign in again",
      'authorization',
    );
  // Signed before tokens carried their issue time: before this check existed, so before any stamp.
  // Refused rather than trusted for their last hours: signing in again is cheap.
  if (claims.iat === undefined)
    return unauthorized(
      'this token carries no issue time (an older release signed it): sign in again',
      'authorization',
    );
  // `iat` is in whole seconds, the stamp in milliseconds: compared in whole seconds, so the token of
  // a sign-in in the same second as the change is not refused — at the price of one issued less than
  // a second before the change in that same second being kept.
  if (claims.iat < Math.floor(account.tokensValidFrom.getTime() / 1000))
    return unauthorized(
      "this token was issued before the operator's account changed (disabled, enabled again, password, role or jurisdiction changed, or removed and added again): sign in again",
      'authorization',
    );
  return undefined;
}

/** scrypt with a random salt, stored as `scrypt$<salt>$<hash>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** Whether a jurisdiction scope covers a division: the city covers its counties, a county its towns. */
export function scopeCovers(scope: string, divisionCode: string | null | undefined): boolean {
  if (!divisionCode) return scope.length === 6 && scope.endsWith('00');
  const prefix = scope.length === 6 && scope.endsWith('00') ? scope.slice(0, 4) : scope;
  return divisionCode.startsWith(prefix);
}
