import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isBrokerUnavailable } from './unavailable.ts';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

describe('isBrokerUnavailable', () => {
  // What the Kafka engine's publish to a closed port throws, after ~13 s of kafkajs's retries.
  const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
    broker: '127.0.0.1:1',
    code: 'ECONNREFUSED',
  } as never);

  it('is true for a refused connection, and for the retries given up on one', () => {
    expect(isBrokerUnavailable(refused)).toBe(true);
    expect(
      isBrokerUnavailable(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 5000 })),
    ).toBe(true);
  });

  it('is false for the records refused, a plain error and nothing', () => {
    expect(isBrokerUnavailable(new KafkaJSProtocolError('Message was too large'))).toBe(false);
    expect(isBrokerUnavailable(new Error('Connection error'))).toBe(false);
    expect(isBrokerUnavailable('KafkaJSConnectionError')).toBe(false);
    expect(isBrokerUnavailable(undefined)).toBe(false);
  });
});
