import { randomUUID } from 'node:crypto';
import { requireServers } from '@huijie/testing/servers.ts';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaEngine, idleFetchWaitMs } from '../src/kafka/kafka-engine.ts';
import { busContractSuite } from './bus-contract.ts';

const servers = await requireServers('kafka');

describe.runIf(servers)('Kafka engine', () => {
  busContractSuite('kafka', () => ({ kind: 'kafka', brokers: servers!.kafkaBrokers! }));

  it('an idle consumer stops within about a fetch wait, whenever the stop comes', async () => {
    // A stop waits for the fetch in flight: with kafkajs's default (5 s) an idle service took up to 5 s.
    const engine = createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'idle-stop' });
    const topic = `engine-idle-stop-${randomUUID().slice(0, 8)}`;
    try {
      await engine.ensureTopics([topic], 3);
      const took: number[] = [];
      // Stops at several points of the fetch cycle.
      for (const idleMs of [1_500, 2_300, 3_100]) {
        const subscription = await engine.consume(`g-${topic}-${idleMs}`, [topic], async () => {});
        await new Promise((resolve) => setTimeout(resolve, idleMs));
        const started = performance.now();
        await subscription.stop();
        took.push(performance.now() - started);
      }
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
