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
});
