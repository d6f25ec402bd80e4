import { describe, expect, it } from 'vitest';
import { applicantLinks } from './applicant-link.ts';

const links = applicantLinks('wx0123:token');
const now = new Date('2024-08-24T01:30:00Z');
const day = 24 * 3600 * 1000;
const refused = { valid: false, expired: false };

describe('signed applicant links', () => {
  it('carry the OpenID for 30 days; after that they are only old, not refused', () => {
    const token = links.sign('o6_bmjrPTlm6_2sgVt7hMZOPfL2M', now);
    expect(token).toMatch(/^[\w-]+\.\d+\.[\w-]{22}$/);
    const valid = { valid: true, openId: 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M' };
    expect(links.check(token, now)).toEqual(valid);
    expect(links.check(token, new Date(now.getTime() + 29 * day))).toEqual(valid);
    expect(links.check(token, new Date(now.getTime() + 31 * day))).toEqual({ valid: false, expired: true });
  });

  it('refuse another OpenID, another expiry, another account’s signature, and garbage', () => {
    const token = links.sign('oUser1', now);
    const [, expires, mac] = token.split('.') as [string, string, string];
    const other = Buffer.from('oUser2').toString('base64url');
    expect(links.check(`${other}.${expires}.${mac}`, now)).toEqual(refused);
    expect(links.check(token.replace(`.${expires}.`, `.${Number(expires) + 1}.`), now)).toEqual(refused);
    expect(applicantLinks('wx0123:other-token').check(token, now)).toEqual(refused);
    for (const bad of ['', 'a.b.c', `${token}x`, token.slice(1), '..'])
      expect(links.check(bad, now)).toEqual(refused);
  });

  it('an altered link is refused, not taken for an old one, however old it claims to be', () => {
    const token = links.sign('oUser1', now);
    const [id, expires, mac] = token.split('.') as [string, string, string];
    const later = new Date(now.getTime() + 40 * day);
    expect(links.check(`${id}.${Number(expires) - 1}.${mac}`, later)).toEqual(refused);
    expect(links.check(`${Buffer.from('oUser2').toString('base64url')}.${expires}.${mac}`, later)).toEqual(
      refused,
    );
  });
});
