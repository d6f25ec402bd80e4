import { type BusLogger, type BusObserver, createEventBus, type EventBus } from './bus.ts';
import { createKafkaEngine } from './kafka/kafka-engine.ts';
import { namespaced } from './namespaced-engine.ts';

/** A service's bus on Kafka, as every distributed `main.ts` builds it. */
export function kafkaBus(options: {
  brokers: string[];
  service: string;
  observer?: BusObserver;
  /** The service's logger: each message its consumers dead-letter is one `warn` line. */
  logger?: BusLogger;
  onFatal: (error: Error) => void;
  /** Prefix of every topic and group (KAFKA_NAMESPACE): environments sharing one cluster. */
  namespace?: string | undefined;
  /** KAFKA_SESSION_TIMEOUT_MS: how soon a crashed replica's partitions go to another. */
  sessionTimeoutMs?: number | undefined;
}): EventBus {
  const engine = createKafkaEngine({
    brokers: options.brokers,
    clientId: `huijie-${options.service}`,
    onFatal: options.onFatal,
    ...(options.sessionTimeoutMs !== undefined && { sessionTimeoutMs: options.sessionTimeoutMs }),
  });
  return createEventBus(namespaced(engine, options.namespace ?? ''), {
    source: `/huijie/${options.service}`,
    ...(options.observer && { observer: options.observer }),
    ...(options.logger && { logger: options.logger }),
  });
}
