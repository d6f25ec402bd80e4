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
});
