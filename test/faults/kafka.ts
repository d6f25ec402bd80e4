import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';

/** A record as the test reads it back from a topic. */
export interface TopicRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * What the test needs to see on the broker itself, beside the services: how many records a
 * topic holds, the records themselves, and a group's committed offsets.
 */
export function kafkaProbe(brokers: string[]) {
  const kafka = new Kafka({ clientId: 'faults-probe', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let producer: Producer | undefined;
  let connected: Promise<void> | undefined;
  const ready = () => {
    connected ??= admin.connect();
    return connected;
  };

  /** High watermark per partition; an empty map when the topic does not exist. */
  async function ends(topic: string): Promise<Map<number, number>> {
    await ready();
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) return new Map();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
  }

  return {
    ends,
    /** Records the topic holds now (0 when it does not exist). */
    async count(topic: string): Promise<number> {
      return [...(await ends(topic)).values()].reduce((sum, end) => sum + end, 0);
    },

    /** Every record the topic holds now, read from the beginning. */
    async read(topic: string, timeoutMs = 30_000): Promise<TopicRecord[]> {
      const until = await ends(topic);
      const total = [...until.values()].reduce((sum, end) => sum + end, 0);
      if (total === 0) return [];
      const records: TopicRecord[] = [];
      const consumer = kafka.consumer({ groupId: `faults-reader-${randomUUID()}` });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        let done: () => void = () => {};
        const complete = new Promise<void>((resolve) => {
          done = resolve;
        });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            if (Number(message.offset) >= (until.get(partition) ?? 0)) return;
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {}))
              if (value !== undefined) headers[name] = String(Array.isArray(value) ? value[0] : value);
            records.push({
              partition,
              offset: Number(message.offset),
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              headers,
            });
            if (records.length >= total) done();
          },
        });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          complete,
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`read ${records.length} of ${total} records of ${topic}`)),
              timeoutMs,
            );
          }),
        ]).finally(() => clearTimeout(timer));
      } finally {
        await consumer.disconnect();
      }
      return records;
    },

    /** The next offset the group would read, per partition (-1 when it committed nothing there). */
    async committed(group: string, topic: string): Promise<Map<number, number>> {
      await ready();
      const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    },

    /** Writes raw records straight to the given partitions, past the bus and its validation (poison). */
    async produce(
      topic: string,
      records: { partition: number; key: string; value: string; headers: Record<string, string> }[],
    ): Promise<void> {
      producer ??= kafka.producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: records });
    },

    async close() {
      await producer?.disconnect();
      if (connected) await admin.disconnect();
    },
  };
}

export type KafkaProbe = ReturnType<typeof kafkaProbe>;

/** A service's Prometheus counter, summed over its labels (0 when never incremented). */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** GET /readyz's status code, or 0 when the service does not answer. */
export async function readiness(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
}
