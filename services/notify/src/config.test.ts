import { ConfigError, parseConfig } from '@huijie/service-kit/config.ts';
import { describe, expect, it } from 'vitest';
import { defaultWechatFields } from './channels/wechat-channel.ts';
import { notifyConfigSchema, throttlesFrom, wechatTemplatesFrom } from './config.ts';
import { defaultThrottles } from './dispatch/throttle.ts';

const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  JWT_SECRET: 'x'.repeat(32),
};

describe('notify configuration', () => {
  it('needs only the broker, the database and the token secret: every provider falls back to the outbox', () => {
    const config = parseConfig(notifyConfigSchema, base);
    expect(config.AGENCY_WEBHOOKS.size).toBe(0);
    expect(config.HOTLINE_CALLBACKS.size).toBe(0);
    expect(config.SMS_GATEWAY_URL).toBeUndefined();
    expect(config.WECHAT_APPID).toBeUndefined();
    expect(config.NOTIFY_OUTBOX_FILE).toBe('data/notify-outbox.jsonl');
  });

  it('reads the providers', () => {
    const config = parseConfig(notifyConfigSchema, {
      ...base,
      REDIS_URL: 'redis://127.0.0.1:6379',
      HOTLINE_CALLBACKS:
        '{"longyan-12345":{"url":"https://12345.longyan.example/feedback","secret":"0123456789abcdef"}}',
      SMS_GATEWAY_URL: 'https://sms.example/send',
      SMS_SECRET: '0123456789abcdef',
      SMS_TEMPLATE_IDS: '{"accepted":"SMS_1","result":"SMS_2"}',
      WECHAT_APPID: 'wx0123456789',
      WECHAT_APP_SECRET: '0123456789abcdef0123',
      WECHAT_TEMPLATES: '{"result":{"templateId":"TPL"}}',
      EXPRESS_LANE_CONTACTS: '{"350802":[{"phone":"13700000000"}]}',
      NOTIFY_THROTTLES: '{"sms":{"recipient":{"limit":5,"windowMs":3600000}}}',
    });
    expect(config.HOTLINE_CALLBACKS.get('longyan-12345')?.url).toBe('https://12345.longyan.example/feedback');
    expect(config.SMS_TEMPLATE_IDS).toEqual({ accepted: 'SMS_1', result: 'SMS_2' });
    expect(wechatTemplatesFrom(config, defaultWechatFields)).toEqual({
      result: { templateId: 'TPL', fields: defaultWechatFields.result },
    });
    const throttles = throttlesFrom(config, defaultThrottles);
    expect(throttles.sms).toEqual({
      provider: defaultThrottles.sms!.provider,
      recipient: { limit: 5, windowMs: 3_600_000 },
    });
  });

  it('takes a blank variable as unset, as docker compose writes an unset VAR with a blank default', () => {
    const config = parseConfig(notifyConfigSchema, {
      ...base,
      REDIS_URL: '',
      HOTLINE_CALLBACKS: '',
      COURT_CALLBACKS: ' ',
      SMS_GATEWAY_URL: '',
      SMS_SECRET: '',
      WECHAT_APPID: '',
      EXPRESS_LANE_CONTACTS: '',
    });
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.HOTLINE_CALLBACKS.size).toBe(0);
    expect(config.COURT_CALLBACKS.size).toBe(0);
    expect(config.SMS_GATEWAY_URL).toBeUndefined();
    expect(config.WECHAT_APPID).toBeUndefined();
    expect(config.EXPRESS_LANE_CONTACTS).toEqual({});
  });

  it('names the variable that is wrong', () => {
    const problems = (env: Record<string, string>) => {
      try {
        parseConfig(notifyConfigSchema, { ...base, ...env });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problems({ HOTLINE_CALLBACKS: 'not json' })).toContain('HOTLINE_CALLBACKS: must be JSON');
    expect(
      problems({ COURT_CALLBACKS: '{"c":{"url":"http://court.example/x","secret":"0123456789abcdef"}}' }),
    ).toContain('COURT_CALLBACKS.c.url: must be https (http only for localhost)');
    expect(problems({ SMS_GATEWAY_URL: 'https://sms.example' })).toContain(
      'SMS_SECRET: required with SMS_GATEWAY_URL',
    );
    expect(problems({ WECHAT_APPID: 'wx0123456789', WECHAT_APP_SECRET: '0123456789abcdef0123' })).toContain(
      'REDIS_URL: required with WECHAT_APPID',
    );
    expect(problems({ EXPRESS_LANE_CONTACTS: '{"350802":[{}]}' })).toContain('a phone or a wechatOpenId');
  });

  it("refuses a department code that is not one of the city's, naming it and the code it is nearest", () => {
    const webhooks = (...codes: string[]) =>
      JSON.stringify(
        Object.fromEntries(
          codes.map((code) => [code, { url: 'https://agency.example/hook', secret: 'x'.repeat(16) }]),
        ),
      );
    const refusal = (codes: string[]) => {
      try {
        parseConfig(notifyConfigSchema, { ...base, AGENCY_WEBHOOKS: webhooks(...codes) });
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
    };
    // A letter short: taken, that department's deliveries would go to the outbox file, silently.
    const misspelt = refusal(['350802107-judicial_office', '350802107-judicial_offic', 'police']);
    expect(misspelt).toContain(
      'AGENCY_WEBHOOKS.350802107-judicial_offic: not a department code of the city (did you mean 350802107-judicial_office, 江山镇司法所?)',
    );
    // Each unknown code is named; one near none is not given a guess.
    expect(misspelt).toContain(
      'AGENCY_WEBHOOKS.police: not a department code of the city: its webhook would never be called',
    );
    expect(misspelt).not.toContain('AGENCY_WEBHOOKS.350802107-judicial_office:');
    expect(refusal(['350802107-Judicial_Office'])).toContain('did you mean 350802107-judicial_office');

    const config = parseConfig(notifyConfigSchema, {
      ...base,
      AGENCY_WEBHOOKS: webhooks('350802107-judicial_office', '350802-public_security_bureau'),
    });
    expect([...config.AGENCY_WEBHOOKS.keys()]).toEqual([
      '350802107-judicial_office',
      '350802-public_security_bureau',
    ]);
  });
});
