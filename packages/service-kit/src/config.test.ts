import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, parseConfig, port } from './config.ts';

describe('configuration', () => {
  const schema = z.object({ HOST: commonEnv.HOST, LOG_LEVEL: commonEnv.LOG_LEVEL, CASES_PORT: port(8105) });

  it('a blank HOST, LOG_LEVEL or port is unset: the defaults, not every address or port 0', () => {
    expect(parseConfig(schema, { HOST: '', LOG_LEVEL: ' ', CASES_PORT: '' })).toEqual({
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      CASES_PORT: 8105,
    });
  });

  it('what is set is taken, and a bad value is refused naming the variable', () => {
    expect(parseConfig(schema, { HOST: '0.0.0.0', LOG_LEVEL: 'warn', CASES_PORT: '9000' })).toEqual({
      HOST: '0.0.0.0',
      LOG_LEVEL: 'warn',
      CASES_PORT: 9000,
    });
    expect(() => parseConfig(schema, { CASES_PORT: 'eighty' })).toThrow(/CASES_PORT/);
  });

  it('METRICS_TOKEN is optional (blank is unset) and, when set, at least 32 characters', () => {
    const metrics = z.object({ METRICS_TOKEN: commonEnv.METRICS_TOKEN });
    expect(parseConfig(metrics, {})).toEqual({});
    expect(parseConfig(metrics, { METRICS_TOKEN: ' ' })).toEqual({});
    expect(() => parseConfig(metrics, { METRICS_TOKEN: 'short' })).toThrow(
      /METRICS_TOKEN: at least 32 characters/,
    );
  });

  it('a required variable left out is named as required, not as a type error', () => {
    const required = z.object({ KAFKA_BROKERS: commonEnv.KAFKA_BROKERS, JWT_SECRET: z.string().min(32) });
    expect(() => parseConfig(required, {})).toThrow(
      'invalid configuration:\n  KAFKA_BROKERS: required\n  JWT_SECRET: required',
    );
    // A value that is there and wrong keeps the schema's own words.
    expect(() => parseConfig(required, { KAFKA_BROKERS: 'kafka', JWT_SECRET: 'short' })).toThrow(
      /KAFKA_BROKERS: a comma-separated list of host:port\n {2}JWT_SECRET: Too small/,
    );
  });

  describe("the README's example secrets", () => {
    const schema = z.object({
      JWT_SECRET: z.string().min(32),
      HOTLINE_CLIENTS: z.string(),
      COURT_CLIENTS: z.string().optional(),
    });
    const own = { JWT_SECRET: 'k'.repeat(40), HOTLINE_CLIENTS: 'hotline-a:secret-of-hotline-a' };

    it('are refused where a service reads them, naming the variable and why', () => {
      expect(() => parseConfig(schema, { ...own, JWT_SECRET: 'change-me-to-32-or-more-characters' })).toThrow(
        "invalid configuration:\n  JWT_SECRET: the README's example secret (public: anyone who has read it can sign an operator's token); set a secret of your own",
      );
      // Inside a list of id:secret pairs, or a JSON value.
      expect(() =>
        parseConfig(schema, {
          ...own,
          HOTLINE_CLIENTS: 'hotline-b:secret-of-hotline-b,hotline-a:a-long-secret',
        }),
      ).toThrow(/^invalid configuration:\n {2}HOTLINE_CLIENTS: the README's example secret/);
      expect(() =>
        parseConfig(schema, { ...own, COURT_CLIENTS: '[{"id":"court-a","secret":"a-long-secret"}]' }),
      ).toThrow(/COURT_CLIENTS: the README's example secret/);
    });

    it('are said beside the other problems, once for a variable already refused for its form', () => {
      expect(() =>
        parseConfig(schema, { JWT_SECRET: 'change-me-to-32-or-more-characters', HOTLINE_CLIENTS: undefined }),
      ).toThrow(
        /^invalid configuration:\n {2}HOTLINE_CLIENTS: required\n {2}JWT_SECRET: the README's example/,
      );
      const short = z.object({ JWT_SECRET: z.string().min(40, 'at least 40 characters') });
      expect(() => parseConfig(short, { JWT_SECRET: 'change-me-to-32-or-more-characters' })).toThrow(
        /^invalid configuration:\n {2}JWT_SECRET: at least 40 characters$/,
      );
    });

    it('are no concern of a service that does not read the variable, nor is a secret that only contains one', () => {
      const routing = z.object({ HOST: commonEnv.HOST });
      expect(parseConfig(routing, { JWT_SECRET: 'change-me-to-32-or-more-characters' })).toEqual({
        HOST: '127.0.0.1',
      });
      expect(
        parseConfig(schema, { ...own, JWT_SECRET: 'change-me-to-32-or-more-characters-and-then-some' }),
      ).toEqual({ ...own, JWT_SECRET: 'change-me-to-32-or-more-characters-and-then-some' });
      // Read through a transform piped after the object (standalone's schema): still the object's variables.
      const piped = schema.transform((config) => ({ ...config, extra: true }));
      expect(() => parseConfig(piped, { ...own, JWT_SECRET: 'change-me-to-32-or-more-characters' })).toThrow(
        /JWT_SECRET: the README's example secret/,
      );
    });
  });
});
