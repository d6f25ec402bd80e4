/**
 * Whether an error says the Kafka broker could not be reached (refused, cut, not answering, no
 * broker for a partition) rather than that the records were refused. A publish that failed so
 * succeeds once the broker is back. kafkajs gives up on a connection after its own retries with
 * KafkaJSNumberOfRetriesExceeded, the connection error as its cause, so the cause chain is looked at.
 */
export function isBrokerUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current && typeof current === 'object'; ) {
    if (seen.has(current)) return false;
    seen.add(current);
    const { name, cause } = current as { name?: unknown; cause?: unknown };
    if (typeof name === 'string' && unreachable.has(name)) return true;
    current = cause;
  }
  return false;
}

/** kafkajs's errors for a broker that is away (KafkaJSConnectionClosedError is a KafkaJSConnectionError). */
const unreachable = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);
