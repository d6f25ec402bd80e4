import { ConfigError, parseConfig } from '@huijie/service-kit/config.ts';
import { describe, expect, it } from 'vitest';
import { type CourtClientEntry, ingestCourtsConfigSchema } from './config.ts';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };
const clients = (value: unknown) => JSON.stringify(value);
const demo: CourtClientEntry = { id: 'demo-court', secret: 'demo-secret', courts: ['闽0803', '闽0802'] };

function problem(env: Record<string, string>) {
  try {
    parseConfig(ingestCourtsConfigSchema, { ...base, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('ingest-courts configuration', () => {
  it('reads the clients and their courts, with the defaults', () => {
    const config = parseConfig(ingestCourtsConfigSchema, {
      ...base,
      COURT_CLIENTS: clients([demo, { id: 'city-court', secret: 'city-secret-0123', courts: ['闽08'] }]),
    });
    expect(config.INGEST_COURTS_PORT).toBe(8103);
    expect(config.COURT_RATE_LIMIT_PER_MINUTE).toBe(120);
    expect(config.COURT_CLIENTS).toEqual(
      new Map([
        [
          'demo-court',
          {
            secret: 'demo-secret',
            courts: new Set(['闽0803', '闽0802']),
          },
        ],
        ['city-court', { secret: 'city-secret-0123', courts: new Set(['闽08']) }],
      ]),
    );
  });

  it.each([
    ['not JSON', 'demo-court:demo-secret', /COURT_CLIENTS: must be a JSON array of court clients/],
    ['an empty list', '[]', /COURT_CLIENTS: at least one court client/],
    ['a short secret', clients([{ ...demo, secret: 'short' }]), /COURT_CLIENTS\.0\.secret: a secret of 8\+/],
    [
      'a court outside Longyan',
      clients([{ ...demo, courts: ['闽0803', '京0105'] }]),
      /COURT_CLIENTS\.0\.courts\.1/,
    ],
    ['no courts', clients([{ ...demo, courts: [] }]), /COURT_CLIENTS\.0\.courts: at least one court/],
    ['a repeated id', clients([demo, demo]), /COURT_CLIENTS: client ids must be unique/],
    [
      // Outcomes go back through notify: a callback here would be configured and never used.
      "a callback, pointing to notify's COURT_CALLBACKS",
      clients([{ ...demo, callback: { url: 'https://court.example/x', secret: 'callback-secret' } }]),
      /COURT_CLIENTS\.0\.callback: .*COURT_CALLBACKS=\{"<client id>":\{"url","secret"\}\}/,
    ],
    ['a misspelt key', clients([{ ...demo, court: ['闽0803'] }]), /COURT_CLIENTS\.0: .*"court"/],
  ])('refuses %s, naming the variable', (_label, value, message) => {
    expect(problem({ COURT_CLIENTS: value })).toMatch(message);
  });

  it('requires the clients, the broker and Redis', () => {
    const message = (() => {
      try {
        parseConfig(ingestCourtsConfigSchema, {});
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/COURT_CLIENTS/);
    expect(message).toMatch(/KAFKA_BROKERS/);
    expect(message).toMatch(/REDIS_URL/);
  });
});
