import { describe, expect, it } from 'vitest';
import { applicantLinks } from './applicant-link.ts';

const links = applicantLinks('wx0123:token');
const now = new Date('2024-08-24T01:30:00Z');
const day = 24 * 3600 * 1000;

describe('signed applicant links', () => {
  it('carry the OpenID for 30 days', () => {
    const token = links.sign('o6_bmjrPTlm6_2sgVt7hMZOPfL2M', now);
    expect(token).toMatch(/^[\w-]+\.\d+\.[\w-]{22}$/);
    expect(links.verify(token, now)).toBe('o6_bmjrPTlm6_2sgVt7hMZOPfL2M');
    expect(links.verify(token, new Date(now.getTime() + 29 * day))).toBe('o6_bmjrPTlm6_2sgVt7hMZOPfL2M');
    expect(links.verify(token, new Date(now.getTime() + 31 * day))).toBeUndefined();
  });

  it('refuse another OpenID, another expiry, another account’s signature, and garbage', () => {
    const token = links.sign('oUser1', now);
    const [, expires, mac] = token.split('.') as [string, string, string];
    const other = Buffer.from('oUser2').toString('base64url');
    expect(links.verify(`${other}.${expires}.${mac}`, now)).toBeUndefined();
    expect(links.verify(token.replace(`.${expires}.`, `.${Number(expires) + 1}.`), now)).toBeUndefined();
    expect(applicantLinks('wx0123:other-token').verify(token, now)).toBeUndefined();
    for (const bad of ['', 'a.b.c', `${token}x`, token.slice(1), '..'])
      expect(links.verify(bad, now)).toBeUndefined();
  });
});
