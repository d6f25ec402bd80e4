import { parseConfig } from '@huijie/service-kit/config.ts';
import { describe, expect, it } from 'vitest';
import { casesConfigSchema } from './config.ts';

const required = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters',
};

describe('cases configuration', () => {
  it('SLA_DUE_SOON_HOURS left blank (as compose writes an unset one) is its default, not 0, which sends no due-soon reminder', () => {
    expect(parseConfig(casesConfigSchema, { ...required, SLA_DUE_SOON_HOURS: '' }).SLA_DUE_SOON_HOURS).toBe(
      24,
    );
    expect(parseConfig(casesConfigSchema, { ...required, SLA_DUE_SOON_HOURS: '0' }).SLA_DUE_SOON_HOURS).toBe(
      0,
    );
    expect(() => parseConfig(casesConfigSchema, { ...required, SLA_DUE_SOON_HOURS: '-1' })).toThrow(
      /SLA_DUE_SOON_HOURS/,
    );
  });
});
