import { requireServers } from '@huijie/testing/servers.ts';
import { describe } from 'vitest';
import { busContractSuite } from './bus-contract.ts';

const servers = await requireServers('kafka');

describe.runIf(servers)('Kafka engine', () => {
  busContractSuite('kafka', () => ({ kind: 'kafka', brokers: servers!.kafkaBrokers! }));
});
