import { randomUUID } from 'node:crypto';
import { catalogue, type EventName, type EventOf } from '@huijie/contracts/catalogue.ts';
import { type CloudEventAttributes, toHeaders } from '@huijie/contracts/cloudevents.ts';
import { deadLetterTopic, defaultPartitions } from '@huijie/contracts/topics.ts';
import type { Engine, EngineSubscription } from './engine.ts';
import { type BusLogger, type BusObserver, type HandlerMap, type RetryPolicy, runMessage } from './runner.ts';

export type { BusLogger, BusObserver };

export interface OutgoingEvent<N extends EventName = EventName> {
  name: N;
  data: EventOf<N>;
  /** Partition key: the dispute or case id, so one dispute's events stay in order. */
  key: string;
  /** Defaults to the event's own topic. */
  topic?: string;
  /** CloudEvents id; a deterministic one lets consumers deduplicate a re-publish. Random by default. */
  id?: string;
  correlationId?: string;
  time?: string;
}

export interface SubscribeOptions {
  group: string;
  topics: string[];
  handlers: HandlerMap;
  retry?: Partial<RetryPolicy>;
  /** Events handled at once (never two of one key); the engine's default otherwise. */
  concurrency?: number;
}

/** How far one consumer group is behind on one topic (see `Engine.lag`). */
export interface ConsumerLag {
  group: string;
  topic: string;
  lag: number;
}

export interface EventBus {
  readonly engine: Engine;
  /** Durable when it resolves: only then may a caller be told "accepted". */
  publish(events: OutgoingEvent[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<EngineSubscription>;
  ensureTopics(topics: string[], partitions?: number): Promise<void>;
  /** The lag of every group and topic this bus consumes now, for /metrics. */
  consumerLag(): Promise<ConsumerLag[]>;
  close(): Promise<void>;
}

export const defaultRetry: RetryPolicy = { attempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 };

export function createEventBus(
  engine: Engine,
  options: {
    source: string;
    observer?: BusObserver;
    retry?: Partial<RetryPolicy>;
    /** The service's logger: one `warn` line for each message a subscription dead-letters. */
    logger?: BusLogger;
  },
): EventBus {
  /** Live subscriptions, with what they consume: the lag is reported for those. */
  const subscriptions = new Map<EngineSubscription, { group: string; topics: string[] }>();
  return {
    engine,
    async publish(events) {
      await engine.produce(
        events.map((event) => {
          const entry = catalogue[event.name];
          // Validating on the way out keeps a bad event from ever reaching a consumer.
          const data = entry.schema.parse(event.data);
          const attrs: CloudEventAttributes = {
            id: event.id ?? randomUUID(),
            type: entry.type,
            source: options.source,
            time: event.time ?? new Date().toISOString(),
            subject: event.key,
          };
          if (event.correlationId) attrs.correlationId = event.correlationId;
          return {
            topic: event.topic ?? event.name,
            key: event.key,
            value: Buffer.from(JSON.stringify(data)),
            headers: toHeaders(attrs),
          };
        }),
      );
    },
    async subscribe({ group, topics, handlers, retry, concurrency }) {
      const policy = { ...defaultRetry, ...options.retry, ...retry };
      // A consumer may start before any producer: its topics and their dead-letter topics must exist.
      await engine.ensureTopics([...topics, ...topics.map(deadLetterTopic)], defaultPartitions);
      const subscription = await engine.consume(
        group,
        topics,
        (message, ctx) =>
          runMessage(message, ctx, {
            group,
            handlers,
            retry: policy,
            engine,
            observer: options.observer,
            logger: options.logger,
          }),
        concurrency === undefined ? {} : { concurrency },
      );
      subscriptions.set(subscription, { group, topics });
      return {
        async stop() {
          subscriptions.delete(subscription);
          await subscription.stop();
        },
      };
    },
    ensureTopics: (topics, partitions = defaultPartitions) => engine.ensureTopics(topics, partitions),
    consumerLag() {
      // Several members of one group in this process consume the same topics: asked once.
      const pairs = new Map<string, { group: string; topic: string }>();
      for (const { group, topics } of subscriptions.values())
        for (const topic of topics) pairs.set(JSON.stringify([group, topic]), { group, topic });
      return Promise.all(
        [...pairs.values()].map(async ({ group, topic }) => ({
          group,
          topic,
          lag: await engine.lag(group, topic),
        })),
      );
    },
    async close() {
      await Promise.all([...subscriptions.keys()].map((subscription) => subscription.stop()));
      subscriptions.clear();
      await engine.close();
    },
  };
}
