import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { topics } from '@huijie/contracts/topics.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { describe, expect, it } from 'vitest';

const servers = await requireServers('kafka');
const root = join(import.meta.dirname, '..', '..');

describe.runIf(servers)('the historical import on Kafka under KAFKA_NAMESPACE', () => {
  it("publishes where the namespace's services read, not on the cluster's bare topic", async () => {
    const namespace = uniqueName('import-ns');
    const file = join(mkdtempSync(join(tmpdir(), 'huijie-import-ns-')), 'records.csv');
    writeFileSync(
      file,
      'channel,source_ref,received_at,content\n12345,GD-NS-1,2024-09-01 10:00,邻居装修噪音扰民\n',
    );
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'services/cases/scripts/import.ts', file],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          KAFKA_BROKERS: servers!.kafkaBrokers!.join(','),
          KAFKA_NAMESPACE: namespace,
        },
      },
    );
    const engine = namespaced(
      createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'import-ns-test' }),
      namespace,
    );
    try {
      const read: string[] = [];
      await engine.read(topics.intake, (message) => {
        read.push(JSON.parse(message.value.toString()).sourceRef);
      });
      expect(read).toEqual(['GD-NS-1']);
    } finally {
      await engine.close();
    }
  });
});
