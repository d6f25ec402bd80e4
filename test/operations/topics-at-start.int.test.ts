import { topics as contractTopics, defaultPartitions } from '@huijie/contracts/topics.ts';
import { freshDatabase, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { freePort, ServiceProcess } from '../faults/processes.ts';

const servers = await requireServers('kafka', 'postgres');

/**
 * A topic the broker creates on a first write gets the broker's `num.partitions`, not the
 * project's: a consumer group could then use fewer replicas than it has. So a service creates
 * the topics it writes to when it starts, before any other service has.
 */
describe.runIf(servers)(
  'distributed mode: topics exist from the start of the service that writes them',
  () => {
    it('cases, started alone on a fresh namespace, has created every topic its outbox writes to, with the partitions of the contract', async () => {
      const database = await freshDatabase(servers!.databaseUrl!);
      const namespace = uniqueName('topics');
      const cases = new ServiceProcess(
        'cases',
        {
          KAFKA_BROKERS: servers!.kafkaBrokers!.join(','),
          KAFKA_NAMESPACE: namespace,
          DATABASE_URL: database.url,
          JWT_SECRET: 'topics-jwt-secret-0123456789abcdef0123',
          LOG_LEVEL: 'warn',
        },
        await freePort(),
      );
      const admin = new Kafka({
        clientId: 'topics-probe',
        brokers: servers!.kafkaBrokers!,
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        await cases.start();
        const written = [
          contractTopics.caseStatus,
          contractTopics.caseEscalation,
          contractTopics.caseCorrection,
          contractTopics.operatorAccess,
        ];
        const existing = new Set(await admin.listTopics());
        const partitions = await Promise.all(
          written.map(async (topic) => {
            const name = `${namespace}.${topic}`;
            if (!existing.has(name)) return [topic, 'missing'];
            const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
            return [topic, topics[0]?.partitions.length];
          }),
        );
        expect(Object.fromEntries(partitions)).toEqual(
          Object.fromEntries(written.map((topic) => [topic, defaultPartitions])),
        );
      } finally {
        await cases.stop();
        await admin.disconnect();
        await database.drop();
      }
    }, 120_000);
  },
);
