import { describe, expect, it } from 'vitest';
import { createRouting } from './routing.ts';

const routing = (
  wechatNotices: Set<'accepted' | 'result' | 'escalation'> | 'all',
  hotlineClients: string[],
) =>
  createRouting({
    webhookDepartments: new Set(['350802107-sfs']),
    wechatNotices,
    hotlineClients,
    courtClients: [],
    expressLane: new Map([['350802', [{ phone: '13700000000' }]]]),
    slaReminderBeforeMs: 3_600_000,
  });

describe('routing of deliveries', () => {
  it('agencies with a webhook get it there; the others have an outbox record', () => {
    const r = routing('all', []);
    expect(r.agencyChannel('350802107-sfs')).toBe('webhook');
    expect(r.agencyChannel('350802-labor')).toBe('outbox');
  });

  it('a citizen is reached on WeChat when the OpenID is known and the notice has a template, else by SMS', () => {
    const both = { phone: '13800000000', wechatOpenId: 'oABC' };
    expect(routing('all', []).citizenChannel(both, 'result')).toEqual({
      channel: 'wechat',
      recipient: 'oABC',
    });
    expect(routing(new Set(['accepted']), []).citizenChannel(both, 'result')).toEqual({
      channel: 'sms',
      recipient: '13800000000',
    });
    expect(routing('all', []).citizenChannel({ phone: '13800000000' }, 'accepted')).toEqual({
      channel: 'sms',
      recipient: '13800000000',
    });
    expect(routing('all', []).citizenChannel({}, 'accepted')).toBeNull();
  });

  it('a citizen WeChat refused is texted when they gave a mobile, else still tried on WeChat', () => {
    const refused = { wechatOpenId: 'oABC', wechatRefused: true };
    expect(routing('all', []).citizenChannel({ ...refused, phone: '13800000000' }, 'result')).toEqual({
      channel: 'sms',
      recipient: '13800000000',
    });
    expect(routing('all', []).citizenChannel({ ...refused, phone: '0597-2345678' }, 'result')).toEqual({
      channel: 'wechat',
      recipient: 'oABC',
    });
  });

  it('a text message goes to a mobile number only, written as the hotline may write it; a landline gets none', () => {
    const sms = (phone: string) => routing('all', []).citizenChannel({ phone }, 'accepted');
    expect(sms('+86 138 0000 0000')).toEqual({ channel: 'sms', recipient: '13800000000' });
    expect(sms('138-0000-0000')).toEqual({ channel: 'sms', recipient: '13800000000' });
    expect(sms('0597-2345678转801')).toBeNull();
    expect(sms('(0597)2345678')).toBeNull();
  });

  it('a result goes to the client the report names, else to the only one configured', () => {
    expect(routing('all', ['a', 'b']).sourceClient('hotline', 'b')).toBe('b');
    expect(routing('all', ['only']).sourceClient('hotline', undefined)).toBe('only');
    expect(routing('all', ['a', 'b']).sourceClient('hotline', null)).toBeNull();
    expect(routing('all', ['a']).sourceClient('court', null)).toBeNull();
  });

  it('knows the express lane of a division', () => {
    expect(routing('all', []).expressLane('350802')).toEqual([{ phone: '13700000000' }]);
    expect(routing('all', []).expressLane('350803')).toEqual([]);
  });
});
