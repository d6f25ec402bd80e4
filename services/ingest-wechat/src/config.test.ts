import { ConfigError, parseConfig } from '@huijie/service-kit/config.ts';
import { describe, expect, it } from 'vitest';
import { ingestWechatConfigSchema, settingsFrom } from './config.ts';

const env = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  REDIS_URL: 'redis://127.0.0.1:6379',
  WECHAT_TOKEN: 'demotoken',
  WECHAT_APPID: 'wxhuijiedemo000000',
  PUBLIC_BASE_URL: 'https://tiaojie.example.cn/',
};

describe('configuration', () => {
  it('defaults: port 8102, plaintext without a key, safe with one; the base URL without its trailing slash', () => {
    const plain = settingsFrom(parseConfig(ingestWechatConfigSchema, env));
    expect(plain.wechat.mode).toBe('plaintext');
    expect(plain.publicBaseUrl).toBe('https://tiaojie.example.cn');
    expect(parseConfig(ingestWechatConfigSchema, env).INGEST_WECHAT_PORT).toBe(8102);
    const safe = settingsFrom(
      parseConfig(ingestWechatConfigSchema, {
        ...env,
        WECHAT_ENCODING_AES_KEY: 'HuijieDemoEncodingAesKey0123456789abcdefghi',
      }),
    );
    expect(safe.wechat.mode).toBe('safe');
    const rotated = settingsFrom(
      parseConfig(ingestWechatConfigSchema, {
        ...env,
        WECHAT_ENCODING_AES_KEY: 'HuijieDemoEncodingAesKey0123456789abcdefghi',
        WECHAT_PREVIOUS_ENCODING_AES_KEY: 'PreviousEncodingAesKey0123456789abcdefghijk',
      }),
    );
    expect(rotated.wechat.previousEncodingAesKey).toBe('PreviousEncodingAesKey0123456789abcdefghijk');
    expect(safe.limits).toEqual({
      applicationsPerPhonePerDay: 5,
      requestsPerIpPer10Min: 60,
      lookupsPerApplicationPerHour: 10,
      pagesPerIpPer10Min: 300,
    });
  });

  it('a bad value stops start-up with a message that names the variable', () => {
    const bad = (overrides: Record<string, string>) => () =>
      parseConfig(ingestWechatConfigSchema, { ...env, ...overrides });
    expect(bad({ WECHAT_ENCODING_AES_KEY: 'too-short' })).toThrow(
      /WECHAT_ENCODING_AES_KEY: an EncodingAESKey is 43/,
    );
    expect(bad({ WECHAT_MESSAGE_MODE: 'safe' })).toThrow(
      /WECHAT_ENCODING_AES_KEY: required for the compatible and safe/,
    );
    expect(bad({ WECHAT_PREVIOUS_ENCODING_AES_KEY: 'too-short' })).toThrow(
      /WECHAT_PREVIOUS_ENCODING_AES_KEY: an EncodingAESKey is 43/,
    );
    expect(bad({ WECHAT_TOKEN: 'a b' })).toThrow(ConfigError);
    expect(bad({ PUBLIC_BASE_URL: 'ftp://x' })).toThrow(/PUBLIC_BASE_URL/);
  });
});
