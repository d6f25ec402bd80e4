import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Who is applying, as WeChat knows them. When the account answers a user with the form's
 * link, the link carries that user's OpenID, signed, so the application can name the
 * applicant's WeChat identity and notify can message them there instead of by SMS. Sealed,
 * because an OpenID typed into a form by anyone would let them route someone else's case
 * news to a stranger; expiring, because links get forwarded.
 */
export interface ApplicantLinks {
  sign(openId: string, now: Date): string;
  check(token: string, now: Date): LinkCheck;
}

/**
 * A link we signed and still valid gives its OpenID, and its id (a digest of the link: one
 * application files the OpenID per link, routes.ts). One we signed that has expired is only old
 * (opened weeks ago, submitted now): the application stands, without the OpenID. Anything
 * else — forged, altered, damaged — is refused.
 */
export type LinkCheck = { valid: true; openId: string; id: string } | { valid: false; expired: boolean };

const validForSeconds = 30 * 24 * 3600;
/** How long a link carries its OpenID. */
export const linkValidForMs = validForSeconds * 1000;
const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');
const openIdShape = /^[\w-]{1,64}$/;

/**
 * The link's token is sealed (AES-256-GCM: the OpenID and the expiry, encrypted and authenticated):
 * links pass through proxies' and CDNs' logs, and an OpenID readable there ties a WeChat user to
 * their application. Links signed before they were sealed (`<OpenID in base64url>.<expiry>.<mac>`)
 * are taken until they expire, 30 days at most.
 */
export function applicantLinks(secret: string): ApplicantLinks {
  // Keys of their own, derived from the account's secret, so a link is never a message signature.
  const derive = (purpose: string) => createHash('sha256').update(`${purpose}:${secret}`).digest();
  const sealKey = derive('huijie:wechat-applicant-link-seal');
  const macKey = derive('huijie:wechat-applicant-link');
  const mac = (payload: string) => createHmac('sha256', macKey).update(payload).digest().subarray(0, 16);
  const refused = { valid: false, expired: false } as const;
  const judged = (token: string, openId: string, expires: number, now: Date): LinkCheck => {
    if (!openIdShape.test(openId)) return refused;
    if (expires < now.getTime() / 1000) return { valid: false, expired: true };
    // Each link has one spelling (the decoders check it), so one id.
    return { valid: true, openId, id: createHash('sha256').update(token).digest('base64url').slice(0, 22) };
  };

  function unseal(token: string): { openId: string; expires: number } | undefined {
    const sealed = Buffer.from(token, 'base64url');
    // Node's decoder skips a dangling last character and unused bits: one link, one spelling.
    if (sealed.length < 12 + 16 + 3 || b64url(sealed) !== token) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', sealKey, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    try {
      const plain = Buffer.concat([
        decipher.update(sealed.subarray(12, sealed.length - 16)),
        decipher.final(),
      ]);
      const match = /^(.+)\.(\d{1,12})$/.exec(plain.toString('utf8'));
      return match ? { openId: match[1]!, expires: Number(match[2]) } : undefined;
    } catch {
      return undefined; // altered, or sealed with another account's key
    }
  }

  /** A link signed before links were sealed: its OpenID in the clear, then its expiry and MAC. */
  function unsign(token: string): { openId: string; expires: number } | undefined {
    const match = /^([A-Za-z0-9_-]{1,100})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (!match) return undefined;
    const [, id, expires, signature] = match as unknown as [string, string, string, string];
    const expected = mac(`${id}.${expires}`);
    const given = Buffer.from(signature, 'base64url');
    // Its last character has 4 bits the decoder ignores: one spelling only, as for sealed links.
    if (b64url(given) !== signature) return undefined;
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return { openId: Buffer.from(id, 'base64url').toString('utf8'), expires: Number(expires) };
  }

  return {
    sign(openId, now) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      const expires = Math.floor(now.getTime() / 1000) + validForSeconds;
      const sealed = Buffer.concat([cipher.update(`${openId}.${expires}`, 'utf8'), cipher.final()]);
      return b64url(Buffer.concat([iv, sealed, cipher.getAuthTag()]));
    },
    check(token, now) {
      const opened = /^[A-Za-z0-9_-]{40,200}$/.test(token) ? unseal(token) : unsign(token);
      return opened ? judged(token, opened.openId, opened.expires, now) : refused;
    },
  };
}
