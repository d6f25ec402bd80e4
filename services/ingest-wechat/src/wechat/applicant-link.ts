import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who is applying, as WeChat knows them. When the account answers a user with the form's
 * link, the link carries that user's OpenID, signed, so the application can name the
 * applicant's WeChat identity and notify can message them there instead of by SMS. Signed,
 * because an OpenID typed into a form by anyone would let them route someone else's case
 * news to a stranger; expiring, because links get forwarded.
 */
export interface ApplicantLinks {
  sign(openId: string, now: Date): string;
  check(token: string, now: Date): LinkCheck;
}

/**
 * A link we signed and still valid gives its OpenID. One we signed that has expired is only old
 * (opened weeks ago, submitted now): the application stands, without the OpenID. Anything
 * else — forged, altered, damaged — is refused.
 */
export type LinkCheck = { valid: true; openId: string } | { valid: false; expired: boolean };

const validForSeconds = 30 * 24 * 3600;
const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export function applicantLinks(secret: string): ApplicantLinks {
  // A key of its own, derived from the account's secret, so a link signature is never a message signature.
  const key = createHash('sha256').update(`huijie:wechat-applicant-link:${secret}`).digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, 16);
  return {
    sign(openId, now) {
      const payload = `${b64url(openId)}.${Math.floor(now.getTime() / 1000) + validForSeconds}`;
      return `${payload}.${b64url(mac(payload))}`;
    },
    check(token, now) {
      const refused = { valid: false, expired: false } as const;
      const match = /^([A-Za-z0-9_-]{1,100})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(token);
      if (!match) return refused;
      const [, id, expires, signature] = match as unknown as [string, string, string, string];
      const expected = mac(`${id}.${expires}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refused;
      const openId = Buffer.from(id, 'base64url').toString('utf8');
      if (!/^[\w-]{1,64}$/.test(openId)) return refused;
      if (Number(expires) < now.getTime() / 1000) return { valid: false, expired: true };
      return { valid: true, openId };
    },
  };
}
