import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { kafkaBusEnv } from './kafka-env.ts';

describe('kafkaBusEnv', () => {
  it('asks for nothing: no namespace, the 30 s session of before', () => {
    expect(parseConfig(kafkaBusEnv, {})).toEqual({ KAFKA_SESSION_TIMEOUT_MS: 30_000 });
    expect(parseConfig(kafkaBusEnv, { KAFKA_NAMESPACE: ' ' }).KAFKA_NAMESPACE).toBeUndefined();
  });

  it('takes a namespace and a session timeout', () => {
    expect(
      parseConfig(kafkaBusEnv, { KAFKA_NAMESPACE: 'staging-2', KAFKA_SESSION_TIMEOUT_MS: '10000' }),
    ).toEqual({
      KAFKA_NAMESPACE: 'staging-2',
      KAFKA_SESSION_TIMEOUT_MS: 10_000,
    });
  });

  it('names the variable when a value is wrong', () => {
    expect(() => parseConfig(kafkaBusEnv, { KAFKA_NAMESPACE: 'a b' })).toThrow(/KAFKA_NAMESPACE/);
    // Below the broker's group.min.session.timeout.ms, joining the group would fail.
    expect(() => parseConfig(kafkaBusEnv, { KAFKA_SESSION_TIMEOUT_MS: '1000' })).toThrow(
      /KAFKA_SESSION_TIMEOUT_MS/,
    );
  });
});
