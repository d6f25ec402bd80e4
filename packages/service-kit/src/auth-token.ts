import { createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { unauthorized } from './errors.ts';

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
   * When the token was issued, in seconds (JWT NumericDate, as `exp`): the cases API refuses a token
   * issued before its operator's account last changed (services/cases/src/http/auth.ts). Absent
   * from tokens signed before it was added.
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
