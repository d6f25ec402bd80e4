import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applicantLinks } from './applicant-link.ts';

const links = applicantLinks('wx0123:token');
const now = new Date('2024-08-24T01:30:00Z');
const day = 24 * 3600 * 1000;
const refused = { valid: false, expired: false };
const openId = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';

/** A link as signed before links were sealed: the OpenID readable in it. */
function signedInTheClear(id: string, at: Date, secret = 'wx0123:token') {
  const key = createHash('sha256').update(`huijie:wechat-applicant-link:${secret}`).digest();
  const payload = `${Buffer.from(id).toString('base64url')}.${Math.floor(at.getTime() / 1000) + 30 * 24 * 3600}`;
  return `${payload}.${createHmac('sha256', key).update(payload).digest().subarray(0, 16).toString('base64url')}`;
}

describe('sealed applicant links', () => {
  it('carry the OpenID for 30 days; after that they are only old, not refused', () => {
    const token = links.sign(openId, now);
    const valid = { valid: true, openId, id: expect.stringMatching(/^[\w-]{22}$/) };
    expect(links.check(token, now)).toEqual(valid);
    expect(links.check(token, new Date(now.getTime() + 29 * day))).toEqual(valid);
    expect(links.check(token, new Date(now.getTime() + 31 * day))).toEqual({ valid: false, expired: true });
  });

  it('each have an id of their own, the same at every check: two links to one user are two ids', () => {
    const [first, second] = [links.sign(openId, now), links.sign(openId, now)];
    const idOf = (token: string, at = now) => {
      const check = links.check(token, at);
      return check.valid ? check.id : undefined;
    };
    expect(idOf(first)).toBeDefined();
    expect(idOf(first, new Date(now.getTime() + day))).toBe(idOf(first));
    expect(idOf(second)).not.toBe(idOf(first));
    const old = [signedInTheClear(openId, now), signedInTheClear(openId, new Date(now.getTime() + 1000))];
    expect(idOf(old[0]!)).toBeDefined();
    expect(idOf(old[1]!)).not.toBe(idOf(old[0]!));
    // An old link spelled otherwise (its MAC's last character, whose low bits Node's decoder
    // ignores) is no second link with an id of its own: refused.
    const last = old[0]!.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = alphabet.slice(alphabet.indexOf(last) & ~15, (alphabet.indexOf(last) & ~15) + 16);
    for (const other of respelled.replace(last, ''))
      expect(links.check(`${old[0]!.slice(0, -1)}${other}`, now)).toEqual(refused);
  });

  it('hide the OpenID from whoever reads the link (proxy and CDN logs), and differ each time', () => {
    const token = links.sign(openId, now);
    expect(token).toMatch(/^[\w-]+$/);
    expect(token).not.toContain(openId);
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain(openId);
    expect(token).not.toContain(Buffer.from(openId).toString('base64url').slice(0, 12));
    expect(links.sign(openId, now)).not.toBe(token);
  });

  it('refuse an altered link, another account’s, and garbage — however old it claims to be', () => {
    const token = links.sign('oUser1', now);
    const sealed = Buffer.from(token, 'base64url');
    sealed[14] = sealed[14]! ^ 1;
    const later = new Date(now.getTime() + 40 * day);
    for (const at of [now, later]) {
      expect(links.check(sealed.toString('base64url'), at)).toEqual(refused);
      expect(applicantLinks('wx0123:other-token').check(token, at)).toEqual(refused);
    }
    for (const bad of ['', 'a.b.c', `${token}x`, token.slice(1), '..', 'A'.repeat(60)])
      expect(links.check(bad, now)).toEqual(refused);
  });

  it('take a link signed before links were sealed until it expires; an altered one is refused', () => {
    const old = signedInTheClear('oUser1', now);
    expect(links.check(old, now)).toMatchObject({ valid: true, openId: 'oUser1' });
    expect(links.check(old, new Date(now.getTime() + 31 * day))).toEqual({ valid: false, expired: true });
    const [, expires, mac] = old.split('.') as [string, string, string];
    expect(links.check(`${Buffer.from('oUser2').toString('base64url')}.${expires}.${mac}`, now)).toEqual(
      refused,
    );
    expect(links.check(old.replace(`.${expires}.`, `.${Number(expires) + 1}.`), now)).toEqual(refused);
    expect(links.check(signedInTheClear('oUser1', now, 'wx0123:other-token'), now)).toEqual(refused);
  });
});
