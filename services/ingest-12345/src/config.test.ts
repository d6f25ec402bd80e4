import { ConfigError, parseConfig } from '@huijie/service-kit/config.ts';
import { describe, expect, it } from 'vitest';
import { ingest12345ConfigSchema, settingsFrom } from './config.ts';

const env = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  REDIS_URL: 'redis://127.0.0.1:6379',
  HOTLINE_CLIENTS: 'longyan-12345:secret-of-longyan,fujian-12345:another-secret',
};

describe('ingest-12345 configuration', () => {
  it('needs only the clients; the limits have defaults', () => {
    const settings = settingsFrom(parseConfig(ingest12345ConfigSchema, env));
    expect(settings).toEqual({
      clients: new Map([
        ['longyan-12345', 'secret-of-longyan'],
        ['fujian-12345', 'another-secret'],
      ]),
      rateLimitPerMinute: 600,
    });
  });

  it('reads the default limit and per-client exceptions', () => {
    const settings = settingsFrom(
      parseConfig(ingest12345ConfigSchema, {
        ...env,
        HOTLINE_RATE_LIMIT_PER_MINUTE: '120',
        HOTLINE_RATE_LIMITS: 'longyan-12345:3000',
      }),
    );
    expect(settings.rateLimitPerMinute).toBe(120);
    expect(settings.rateLimits).toEqual(new Map([['longyan-12345', 3000]]));
  });

  it.each([
    ['HOTLINE_CLIENTS', { HOTLINE_CLIENTS: 'longyan-12345:short' }],
    ['HOTLINE_CLIENTS', { HOTLINE_CLIENTS: `${'x'.repeat(65)}:secret-of-longyan` }],
    ['HOTLINE_RATE_LIMITS', { HOTLINE_RATE_LIMITS: 'longyan-12345:0' }],
    ['HOTLINE_RATE_LIMITS', { HOTLINE_RATE_LIMITS: 'longyan-12345' }],
    ['HOTLINE_RATE_LIMIT_PER_MINUTE', { HOTLINE_RATE_LIMIT_PER_MINUTE: 'lots' }],
  ])('stops with a message naming %s', (variable, change) => {
    expect(() => parseConfig(ingest12345ConfigSchema, { ...env, ...change })).toThrow(ConfigError);
    expect(() => parseConfig(ingest12345ConfigSchema, { ...env, ...change })).toThrow(variable);
  });
});
