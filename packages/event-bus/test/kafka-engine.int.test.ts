import { randomUUID } from 'node:crypto';
import { requireServers } from '@huijie/testing/servers.ts';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaEngine, idleFetchWaitMs } from '../src/kafka/kafka-engine.ts';
import { busContractSuite } from './bus-contract.ts';

const servers = await requireServers('kafka');

describe.runIf(servers)('Kafka engine', () => {
  busContractSuite('kafka', () => ({ kind: 'kafka', brokers: servers!.kafkaBrokers! }));

  it('reads a topic to its end and stops: past a tail kafkajs filters out (an aborted transaction), and on empty partitions', async () => {
    const brokers = servers!.kafkaBrokers!;
    const topic = `engine-read-${randomUUID().slice(0, 8)}`;
    const engine = createKafkaEngine({ brokers, clientId: 'engine-read' });
    const kafka = new Kafka({ brokers, clientId: 'engine-read-tx', logLevel: logLevel.NOTHING });
    const transactional = kafka.producer({
      transactionalId: `engine-read-${topic}`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await engine.ensureTopics([topic], 3);
      await transactional.connect();
      // Partition 0: two records. Partition 1: only a transaction's, aborted — its record and the
      // abort marker are in the log, and kafkajs gives no one a batch of them. Partition 2: nothing.
      const plain = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await plain.connect();
      await plain.send({
        topic,
        messages: [
          { partition: 0, value: 'one' },
          { partition: 0, value: 'two' },
        ],
      });
      await plain.disconnect();
      const transaction = await transactional.transaction();
      await transaction.send({ topic, messages: [{ partition: 1, value: 'aborted' }] });
      await transaction.abort();
      const seen: string[] = [];
      const started = performance.now();
      await engine.read(topic, (message) => {
        seen.push(message.value.toString());
      });
      expect(seen.sort()).toEqual(['one', 'two']);
      // Not the 30 s a read waits for more before it gives up.
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      await transactional.disconnect();
      await engine.close();
    }
  });

  it('an idle consumer stops within about a fetch wait, whenever the stop comes', async () => {
    // A stop waits for the fetch in flight: with kafkajs's default (5 s) an idle service took up to 5 s.
    const engine = createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'idle-stop' });
    const topic = `engine-idle-stop-${randomUUID().slice(0, 8)}`;
    try {
      await engine.ensureTopics([topic], 3);
      // Stops at several points of the fetch cycle: three idle consumers at once, each stopped at its time.
      const took = await Promise.all(
        [1_500, 2_300, 3_100].map(async (idleMs) => {
          const subscription = await engine.consume(`g-${topic}-${idleMs}`, [topic], async () => {});
          await new Promise((resolve) => setTimeout(resolve, idleMs));
          const started = performance.now();
          await subscription.stop();
          return performance.now() - started;
        }),
      );
      expect(Math.max(...took)).toBeLessThan(idleFetchWaitMs + 700);
    } finally {
      await engine.close();
    }
  });

  it('every record acknowledged after a failed send is in the log, on every partition the failed request touched', async () => {
    // A request to two partitions, one of which refuses its record (too large): kafkajs rolled both
    // back to their earlier sequence numbers, the one the broker had written too, and the next
    // record sent there was acknowledged as a duplicate and never written.
    const brokers = servers!.kafkaBrokers!;
    const topic = `engine-failed-send-${randomUUID().slice(0, 8)}`;
    const admin = new Kafka({ brokers, clientId: 'failed-send-admin', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const engine = createKafkaEngine({ brokers, clientId: 'failed-send' });
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }],
        waitForLeaders: true,
      });
      // kafkajs's default partitioner, as the engine's producer uses it: a key for each partition.
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = [0, 1].map((partitionId) => ({
        partitionId,
        partitionErrorCode: 0,
        leader: 0,
        replicas: [0],
        isr: [0],
      }));
      const keyFor = (partition: number) => {
        for (let i = 0; ; i++)
          if (partitioner({ topic, partitionMetadata, message: { key: `k${i}`, value: null } }) === partition)
            return `k${i}`;
      };
      const record = (partition: number, bytes = 10) => ({
        topic,
        key: keyFor(partition),
        value: Buffer.alloc(bytes, 'x'),
        headers: {},
      });
      const written = async () => (await admin.fetchTopicOffsets(topic)).map(({ high }) => Number(high));

      await engine.produce([record(0), record(1)]);
      // Both in one request: partition 1's record is refused, partition 0's is written.
      const mixed = await Promise.allSettled([
        engine.produce([record(0)]),
        engine.produce([record(1, 5_000)]),
      ]);
      expect(mixed.map(({ status }) => status)).toContain('rejected');
      const before = await written();

      for (let i = 0; i < 3; i++) await engine.produce([record(0), record(1)]);
      expect(await written()).toEqual(before.map((high) => high + 3));
    } finally {
      await engine.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });
});
