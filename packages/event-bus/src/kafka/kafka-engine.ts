import { randomUUID } from 'node:crypto';
import { type Consumer, Kafka, type KafkaMessage, logLevel, type Producer } from 'kafkajs';
import type {
  ConsumeOptions,
  Engine,
  EngineSubscription,
  RawHandler,
  RawMessage,
  RawRecord,
} from '../engine.ts';
import { consumerStopSignal, defaultConcurrency, runKeyOrdered, Slots, windowFor } from '../key-ordered.ts';

export interface KafkaEngineOptions {
  brokers: string[];
  clientId: string;
  /**
   * How long concurrent publishes wait to share one request. kafkajs sends each `send` on its
   * own; under load, batching them is what keeps intake fast. No caller is answered before
   * its records are acknowledged by the broker either way.
   */
  lingerMs?: number;
  /**
   * Messages one consumer handles at once, across its partitions, unless a subscription says
   * otherwise. Never two of one key: those are handled one after another, in offset order.
   */
  concurrency?: number;
  /** Partitions of one consumer fetched and worked on at once. */
  partitionsConsumedConcurrently?: number;
  /** How long the broker waits for a silent consumer before giving its partitions to others. */
  sessionTimeoutMs?: number;
  /** Called when a consumer has crashed beyond kafkajs's own restarts: the process should exit. */
  onFatal?: (error: Error) => void;
}

/** How kafkajs retries a request (and a consumer its start) before it reports a failure. */
const clientRetry = { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 };
/** Bytes of keys and values per produce request, at most (one record more than this, really). */
const maxRequestBytes = 512 * 1024;
/**
 * How long past its session timeout a consumer may take to join its group before `consume` fails:
 * once the members that never left are dropped, the live ones rejoin at their next heartbeat.
 */
const joinMarginMs = 30_000;
/** Partitions worked on at once by default; the concurrency bounds the messages. */
const defaultPartitionsConsumed = 16;
/**
 * How long the broker holds a fetch that finds nothing new. A stop waits for the fetch in flight,
 * so with kafkajs's 5 s an idle service took up to 5 s to stop; a message that arrives answers the
 * fetch at once whatever this is, so it costs only an idle consumer's polls (one a second).
 */
export const idleFetchWaitMs = 1_000;
/** How long a read may go without a batch before it gives up (a reader joins its group first). */
const readStallMs = 30_000;

interface Pending {
  record: RawRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

export function createKafkaEngine(options: KafkaEngineOptions): Engine {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry: clientRetry,
  });
  const lingerMs = options.lingerMs ?? 2;
  let producer: Producer | undefined;
  let producerReady: Promise<Producer> | undefined;
  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  /** The produce request in flight, if any. */
  let sending: Promise<void> | undefined;
  /** Each consumer, with what stops its handlers and keeps kafkajs from restarting it. */
  const consumers = new Map<Consumer, AbortController>();
  const admin = kafka.admin();
  let adminReady: Promise<void> | undefined;

  function getProducer(): Promise<Producer> {
    producerReady ??= (async () => {
      // Idempotent + acks=all: a broker-side retry never writes a record twice.
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      await p.connect();
      producer = p;
      return p;
    })().catch((error) => {
      producerReady = undefined;
      throw error;
    });
    return producerReady;
  }

  /**
   * After a failed send the idempotent producer cannot be trusted: kafkajs rolls every partition
   * of a failed request back to its earlier sequence numbers, also those the broker wrote, so the
   * next record sent there carries a written batch's numbers and the broker acknowledges it as a
   * duplicate without writing it (or refuses every later send, out of order). A new producer id
   * starts clean; what the old one may have written of the failed request is written again when
   * the caller retries, which consumers deduplicate.
   */
  async function discardProducer(): Promise<void> {
    const old = producer;
    producer = undefined;
    producerReady = undefined;
    await old?.disconnect().catch(() => {});
  }

  function getAdmin(): Promise<void> {
    adminReady ??= admin.connect().catch((error) => {
      adminReady = undefined;
      throw error;
    });
    return adminReady;
  }

  /**
   * One produce request at a time (the idempotent producer allows no more); what is published
   * meanwhile waits and goes in the next one. Under load each request carries what built up
   * during the last, instead of many small requests queueing behind one another.
   */
  function schedule(): void {
    if (sending) return;
    if (lingerMs <= 0) sending = flush();
    else
      timer ??= setTimeout(() => {
        timer = undefined;
        sending = flush();
      }, lingerMs);
  }

  async function flush(): Promise<void> {
    // A request stays well under the broker's default limit of 1 MiB per partition's record batch.
    let take = 0;
    for (let bytes = 0; take < queue.length && bytes < maxRequestBytes; take++) {
      const { record } = queue[take]!;
      bytes += record.value.length + record.key.length;
    }
    const batch = queue.splice(0, take);
    const byTopic = new Map<string, Pending[]>();
    for (const item of batch) {
      const list = byTopic.get(item.record.topic) ?? [];
      list.push(item);
      byTopic.set(item.record.topic, list);
    }
    try {
      const p = await getProducer();
      await p.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, items]) => ({
          topic,
          messages: items.map(({ record }) => ({
            key: record.key,
            value: record.value,
            headers: record.headers,
            ...(record.partition !== undefined && { partition: record.partition }),
          })),
        })),
      });
      for (const item of batch) item.resolve();
    } catch (error) {
      for (const item of batch) item.reject(error as Error);
      await discardProducer();
    } finally {
      sending = undefined;
      // What arrived during this request has waited long enough: it goes at once.
      if (queue.length > 0) sending = flush();
    }
  }

  return {
    name: 'kafka',
    produce(records) {
      if (records.length === 0) return Promise.resolve();
      const written = records.map(
        (record) =>
          new Promise<void>((resolve, reject) => {
            queue.push({ record, resolve, reject });
          }),
      );
      schedule();
      return Promise.all(written).then(() => undefined);
    },

    async consume(
      group,
      topics,
      handler: RawHandler,
      consumeOptions: ConsumeOptions = {},
    ): Promise<EngineSubscription> {
      const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
      const concurrency = consumeOptions.concurrency ?? options.concurrency ?? defaultConcurrency;
      const abort = consumerStopSignal(concurrency);
      const consumer = kafka.consumer({
        groupId: group,
        sessionTimeout,
        heartbeatInterval: Math.min(3_000, sessionTimeout / 3),
        maxWaitTimeInMs: idleFetchWaitMs,
        // The client's retries, but no restart of a consumer stopped here (a join given up on).
        retry: { ...clientRetry, restartOnFailure: async () => !abort.signal.aborted },
      });
      const slots = new Slots(concurrency);
      consumers.set(consumer, abort);
      consumer.on(consumer.events.CRASH, (event) => {
        const { error, restart } = event.payload as { error: Error; restart: boolean };
        // kafkajs restarts on retriable errors by itself; anything else leaves a live process consuming nothing.
        if (!restart && !abort.signal.aborted) options.onFatal?.(error);
      });
      // `run` returns once joined, or once its first join failed (kafkajs retries that by itself).
      const joined = new Promise<void>((resolve) => {
        const off = consumer.on(consumer.events.GROUP_JOIN, () => {
          off();
          resolve();
        });
      });
      const stop = async () => {
        abort.abort();
        // disconnect() waits for the message in flight, commits resolved offsets, leaves the group.
        await consumer.disconnect();
        consumers.delete(consumer);
      };
      await consumer.connect();
      // A new group starts at the beginning: nothing published before its first start is skipped.
      await retryWhileTopicsPropagate(() => consumer.subscribe({ topics, fromBeginning: true }));
      const running = consumer.run({
        // Commit often: what a crash replays is bounded by this, and handlers are idempotent anyway.
        // kafkajs commits resolved offsets on these triggers, after every batch, and always on stop;
        // an offset is resolved only once it and everything before it in its partition is handled.
        autoCommit: true,
        autoCommitInterval: 500,
        autoCommitThreshold: 100,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? defaultPartitionsConsumed,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const { topic, partition } = batch;
          // A failed heartbeat means the group is rebalancing: start nothing more, finish what runs, rejoin.
          let lost: { error: unknown } | undefined;
          let beating: Promise<void> | undefined;
          const beat = () => {
            beating ??= heartbeat()
              .catch((error: unknown) => {
                lost ??= { error };
              })
              .finally(() => {
                beating = undefined;
              });
          };
          await runKeyOrdered({
            messages: batch.messages,
            keyOf: (message) => message.key?.toString('utf8') ?? '',
            slots,
            window: windowFor(concurrency),
            // Stopping or rebalancing: finish up to the furthest message started, so that what is
            // committed is exactly what was handled; moved elsewhere by a seek: start nothing.
            stopping: () => lost !== undefined || !isRunning(),
            abandoned: () => isStale(),
            handledThrough: (index) => resolveOffset(batch.messages[index]!.offset),
            handle: async (message) => {
              await handler(rawMessage(topic, partition, message), { heartbeat, signal: abort.signal });
              beat();
            },
          });
          await beating;
          if (lost) throw lost.error;
        },
      });
      // Joining waits for the group's rebalance: up to the session timeout while a member that
      // never left (a killed process) is still in the group. Past that and a margin, it gives up.
      const joinWithinMs = sessionTimeout + joinMarginMs;
      let giveUp: NodeJS.Timeout | undefined;
      let stoppedWhileJoining: (() => void) | undefined;
      try {
        await Promise.race([
          running.then(() => joined),
          new Promise<never>((_, reject) => {
            giveUp = setTimeout(() => {
              const seconds = (ms: number) => `${ms / 1000} s`;
              reject(
                new Error(
                  `consumer group ${group} not joined within ${seconds(joinWithinMs)} (its session timeout, ${seconds(sessionTimeout)}, and ${seconds(joinMarginMs)} more)`,
                ),
              );
            }, joinWithinMs);
          }),
          // Closed while joining (a stop during the start): nothing to wait for.
          new Promise<never>((_, reject) => {
            stoppedWhileJoining = () => reject(new Error(`consumer group ${group}: stopped while joining`));
            abort.signal.addEventListener('abort', stoppedWhileJoining, { once: true });
          }),
        ]);
      } catch (error) {
        running.catch(() => {});
        await stop().catch(() => {});
        throw error;
      } finally {
        clearTimeout(giveUp);
        if (stoppedWhileJoining) abort.signal.removeEventListener('abort', stoppedWhileJoining);
      }
      return { stop };
    },

    async ensureTopics(topics, partitions) {
      await getAdmin();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      // Waiting for the leaders reads metadata that may not list the new topics yet; created
      // topics are not created again (createTopics answers false), so the whole call is retried.
      await retryWhileTopicsPropagate(() =>
        admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
        }),
      );
    },

    async committedOffsets(group, topic) {
      await getAdmin();
      const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const result = new Map<number, string>();
      for (const { partition, offset } of entry?.partitions ?? []) {
        // Kafka says -1 for "nothing committed": the group would start at the log's beginning.
        result.set(partition, offset === '-1' ? '0' : offset);
      }
      return result;
    },

    async read(topic, visit, readOptions = {}) {
      await getAdmin();
      if (!(await admin.listTopics()).includes(topic)) return;
      /** Per partition not read to its end yet, the offset it ends at now: what comes later is not read. */
      const ends = new Map<number, bigint>();
      for (const { partition, low, high } of await retryWhileTopicsPropagate(() =>
        admin.fetchTopicOffsets(topic),
      ))
        if (BigInt(high) > BigInt(low)) ends.set(partition, BigInt(high));
      if (ends.size === 0) return;
      // kafkajs reads only as a group's member: a group of its own, never committed, deleted after.
      const prefix = readOptions.groupPrefix ? `${readOptions.groupPrefix}.` : '';
      const groupId = `${prefix}${options.clientId}.reader.${randomUUID()}`;
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: idleFetchWaitMs, retry: clientRetry });
      let stalled: NodeJS.Timeout | undefined;
      let settled = false;
      try {
        await consumer.connect();
        await retryWhileTopicsPropagate(() => consumer.subscribe({ topics: [topic], fromBeginning: true }));
        await new Promise<void>((resolve, reject) => {
          // Nothing for a while, partitions not at their end: retention deleted what was left, say.
          const watch = () => {
            clearTimeout(stalled);
            // A batch that ends while the consumer disconnects starts no timer of its own.
            if (settled) return;
            stalled = setTimeout(() => {
              const left = [...ends].map(([partition, end]) => `${partition} (to ${end})`).join(', ');
              reject(
                new Error(
                  `reading ${topic}: nothing more came for ${readStallMs / 1000} s from partitions ${left}`,
                ),
              );
            }, readStallMs);
          };
          watch();
          consumer.on(consumer.events.CRASH, (event) => reject((event.payload as { error: Error }).error));
          // Emitted for every batch, one whose records were all left out too (an aborted
          // transaction's, control records), which eachBatch never sees: the end is noticed here.
          consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
            const { partition, lastOffset } = event.payload as { partition: number; lastOffset: string };
            watch();
            const end = ends.get(partition);
            if (end !== undefined && BigInt(lastOffset) + 1n >= end) ends.delete(partition);
            if (ends.size === 0) resolve();
          });
          consumer
            .run({
              autoCommit: false,
              partitionsConsumedConcurrently: 1,
              eachBatch: async ({ batch }) => {
                const end = ends.get(batch.partition);
                if (end === undefined) return;
                try {
                  for (const message of batch.messages) {
                    if (BigInt(message.offset) >= end) break;
                    await visit(rawMessage(topic, batch.partition, message));
                  }
                } catch (error) {
                  reject(error);
                }
              },
            })
            .catch(reject);
        });
      } finally {
        settled = true;
        clearTimeout(stalled);
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => {});
      }
    },

    async lag(group, topic) {
      await getAdmin();
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ]);
      let behind = 0;
      for (const { partition, high, low } of ends) {
        const offset = committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1';
        // Nothing committed (-1), or a commit older than what retention kept: the group reads from
        // the log's start, and what retention deleted it will never read.
        const from = Math.max(Number(offset), Number(low));
        behind += Math.max(0, Number(high) - from);
      }
      return behind;
    },

    async ping() {
      await getAdmin();
      await admin.describeCluster();
    },

    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (queue.length > 0 && !sending) sending = flush();
      while (sending) await sending;
      await Promise.all(
        [...consumers].map(([consumer, abort]) => {
          abort.abort();
          return consumer.disconnect();
        }),
      );
      consumers.clear();
      await producer?.disconnect();
      if (adminReady) await admin.disconnect();
    },
  };
}

/** A record as kafkajs hands it, as the engines hand it on. */
function rawMessage(topic: string, partition: number, message: KafkaMessage): RawMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers,
  };
}

/**
 * A topic created a moment ago may not be in every metadata answer yet ("does not host this
 * topic-partition"): retry briefly instead of failing the subscription.
 */
async function retryWhileTopicsPropagate<T>(work: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
