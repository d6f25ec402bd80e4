/**
 * What an engine (Kafka, or the embedded log) must do. Engines move bytes; everything about
 * events — encoding, validation, retries, dead letters — lives once, above them, in the bus.
 */
export interface RawRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** Written to this partition; by default the key's (always, for the services: one key's in order). */
  partition?: number;
}

export interface RawMessage extends RawRecord {
  partition: number;
  /** Kafka offsets are int64: carried as decimal strings. */
  offset: string;
}

export interface DeliveryContext {
  /** Tells the engine the consumer is alive during a long handler (Kafka's session timeout). */
  heartbeat(): Promise<void>;
  /** Aborted when the subscription is stopping: a handler waiting to retry gives up instead of dead-lettering. */
  signal: AbortSignal;
}

/** Called once per message; when it resolves, the message's offset may be committed. */
export type RawHandler = (message: RawMessage, ctx: DeliveryContext) => Promise<void>;

export interface ConsumeOptions {
  /**
   * At most this many messages handled at once by this consumer — never two of one key, which
   * are handled one after another in the order of their partition. Engines may do fewer.
   */
  concurrency?: number;
}

export interface EngineSubscription {
  /** Stops fetching, waits for the message in flight, commits, leaves the group. */
  stop(): Promise<void>;
}

export interface Engine {
  readonly name: 'kafka' | 'embedded';
  /** Resolves only once every record is durably written (Kafka: acks=all). */
  produce(records: RawRecord[]): Promise<void>;
  /**
   * Resolves once the consumer has joined its group. On Kafka that waits for the group's
   * rebalance, up to the session timeout while a member that never left is still in it; 30 s
   * past the session timeout it gives up, disconnected, and rejects.
   */
  consume(
    group: string,
    topics: string[],
    handler: RawHandler,
    options?: ConsumeOptions,
  ): Promise<EngineSubscription>;
  ensureTopics(topics: string[], partitions: number): Promise<void>;
  /** Next offset to read per partition for a group (what a restart would resume from). */
  committedOffsets(group: string, topic: string): Promise<Map<number, string>>;
  /**
   * Hands `visit` every message the topic holds, up to its end as it stands when called: in
   * offset order within each partition, one at a time. No group's offsets move. For tools that
   * look at a topic (the dead letters), not for services; a topic that does not exist holds none.
   * Kafka reads only as a member of a group: one of its own, named with `groupPrefix` (a
   * namespace's), and deleted after.
   */
  read(
    topic: string,
    visit: (message: RawMessage) => Promise<void> | void,
    options?: { groupPrefix?: string },
  ): Promise<void>;
  /**
   * How far the group is behind on the topic: messages written but not yet committed by the
   * group, summed over the partitions. A group that has committed nothing counts from the
   * first message still in the log, where it would start.
   */
  lag(group: string, topic: string): Promise<number>;
  /** Reachable and able to serve: used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
