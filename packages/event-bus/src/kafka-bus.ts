import { type BusObserver, createEventBus, type EventBus } from './bus.ts';
import { createKafkaEngine } from './kafka/kafka-engine.ts';

/** A service's bus on Kafka, as every distributed `main.ts` builds it. */
export function kafkaBus(options: {
  brokers: string[];
  service: string;
  observer?: BusObserver;
  onFatal: (error: Error) => void;
}): EventBus {
  const engine = createKafkaEngine({
    brokers: options.brokers,
    clientId: `huijie-${options.service}`,
    onFatal: options.onFatal,
  });
  return createEventBus(engine, {
    source: `/huijie/${options.service}`,
    ...(options.observer && { observer: options.observer }),
  });
}
