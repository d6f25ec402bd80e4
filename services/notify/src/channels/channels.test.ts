import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './http-send.ts';
import { smsGatewayVerdict } from './sms-channel.ts';
import { clip, defaultWechatFields, templateData } from './wechat-channel.ts';

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, capped at an hour', () => {
    expect(parseRetryAfter('7')).toBe(7_000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('99999')).toBe(3_600_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('SMS gateway answers', () => {
  it('a 2xx without a code, or with an OK code, is sent', () => {
    expect(smsGatewayVerdict(200, '')).toMatchObject({ ok: true });
    expect(smsGatewayVerdict(200, '{"code":"OK"}')).toMatchObject({ ok: true });
    expect(smsGatewayVerdict(200, '{"code":0}')).toMatchObject({ ok: true });
  });
  it('a refusal is retried only when it names a limit or a busy gateway', () => {
    expect(smsGatewayVerdict(200, '{"code":"isv.BUSINESS_LIMIT_CONTROL"}')).toEqual({
      ok: false,
      detail: 'gateway code isv.BUSINESS_LIMIT_CONTROL',
      retryable: true,
      status: 200,
    });
    expect(smsGatewayVerdict(200, '{"code":"isv.MOBILE_NUMBER_ILLEGAL"}')).toMatchObject({
      ok: false,
      retryable: false,
    });
  });
});

describe('WeChat template data', () => {
  it('clips values to the limits of their kind', () => {
    expect(clip('thing2', '龙岩市新罗区江山镇人民政府综合治理办公室调解委员会')).toHaveLength(20);
    expect(clip('thing2', '龙岩市新罗区江山镇人民政府综合治理办公室调解委员会').endsWith('…')).toBe(true);
    expect(clip('phrase3', '调解成功已结案')).toBe('调解成功…');
    expect(clip('character_string1', 'WX2345ABCDEFGH')).toBe('WX2345ABCDEFGH');
  });
  it('maps the template keys to the notice parameters', () => {
    expect(
      templateData(
        { templateId: 'T', fields: defaultWechatFields.result },
        { notice: 'result', params: { ref: 'WX2345', result: '调解成功', date: '2024年9月3日' } },
      ),
    ).toEqual({
      character_string1: { value: 'WX2345' },
      thing2: { value: '调解成功' },
      time3: { value: '2024年9月3日' },
    });
  });
});
