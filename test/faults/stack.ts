import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresClient, type SqlClient } from '@huijie/database/sql-client.ts';
import { freshDatabase, uniqueName } from '@huijie/testing/servers.ts';
import { type Receiver, startReceiver } from '../../services/notify/test/receivers.ts';
import { freePort, type ServiceName, ServiceProcess } from './processes.ts';

/** The lead department of Guo's work order (江山镇司法所): it takes its assignments by webhook. */
export const leadDepartment = '350802107-judicial_office';
const webhookSecret = 'faults-webhook-secret-0123456789';

export interface Stack {
  /** The services started (ingest-wechat only when asked for). */
  services: Record<ServiceName, ServiceProcess>;
  /** The services in the order a dispute passes through them. */
  all: ServiceProcess[];
  client: { id: string; secret: string };
  namespace: string;
  /** The test's own connection to the fresh database (not through any proxy). */
  sql: SqlClient;
  databaseUrl: string;
  /** The lead department's webhook receiver: it deduplicates on x-huijie-delivery, as receivers must. */
  receiver: Receiver;
  /** Where notify writes what goes to unconfigured providers (co-handlers, SMS). */
  outboxFile: string;
  release(): Promise<void>;
}

/**
 * The distributed platform for one test: ingest-12345, routing, cases and notify, each in its
 * own process started from its main.ts, on `brokers` under a namespace of their own, a fresh
 * database (reached at `databaseUrlFor(url)`, e.g. through a proxy) and Redis.
 */
export async function startStack(options: {
  brokers: string[];
  postgresUrl: string;
  redisUrl: string;
  /** The database address the services get (default: the fresh database's own). */
  databaseUrlFor?: (url: string) => string;
  sessionTimeoutMs?: number;
  /** Also start ingest-wechat (a consumer of case.status.v1 for its tracking page). */
  withWechat?: boolean;
}): Promise<Stack> {
  const database = await freshDatabase(options.postgresUrl);
  const sql = postgresClient(database.url, { max: 2 });
  const directory = await mkdtemp(join(tmpdir(), 'huijie-faults-'));
  const receiver = await startReceiver(webhookSecret);
  const namespace = uniqueName('faults');
  const client = { id: `faults-${randomBytes(3).toString('hex')}`, secret: randomBytes(16).toString('hex') };
  const outboxFile = join(directory, 'notify-outbox.jsonl');
  const databaseUrl = (options.databaseUrlFor ?? ((url) => url))(database.url);
  const common = {
    KAFKA_BROKERS: options.brokers.join(','),
    KAFKA_NAMESPACE: namespace,
    // A crashed consumer's partitions move to its successor after this (the broker's floor is 6 s).
    KAFKA_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs ?? 10_000),
    LOG_LEVEL: 'info',
    JWT_SECRET: 'faults-jwt-secret-0123456789abcdef0123',
  };
  const env: Record<ServiceName, Record<string, string>> = {
    'ingest-12345': {
      ...common,
      REDIS_URL: options.redisUrl,
      HOTLINE_CLIENTS: `${client.id}:${client.secret}`,
      HOTLINE_RATE_LIMIT_PER_MINUTE: '1000000',
    },
    'ingest-wechat': {
      ...common,
      REDIS_URL: options.redisUrl,
      WECHAT_TOKEN: 'faultstoken',
      WECHAT_APPID: 'wxfaults0000000000',
      WECHAT_ENCODING_AES_KEY: 'HuijieDemoEncodingAesKey0123456789abcdefghi',
      PUBLIC_BASE_URL: 'http://127.0.0.1:8102',
    },
    routing: common,
    cases: { ...common, DATABASE_URL: databaseUrl },
    notify: {
      ...common,
      DATABASE_URL: databaseUrl,
      // No REDIS_URL: throttles count per process, nothing shared with other tests' keys.
      REDIS_URL: '',
      AGENCY_WEBHOOKS: JSON.stringify({ [leadDepartment]: { url: receiver.url, secret: webhookSecret } }),
      NOTIFY_OUTBOX_FILE: outboxFile,
      NOTIFY_SEND_TIMEOUT_MS: '2000',
      NOTIFY_RETRY_BASE_MS: '200',
      NOTIFY_RETRY_MAX_MS: '2000',
    },
  };
  const names: ServiceName[] = [
    'ingest-12345',
    ...(options.withWechat ? (['ingest-wechat'] as const) : []),
    'routing',
    'cases',
    'notify',
  ];
  const ports = await Promise.all(names.map(() => freePort()));
  const services = Object.fromEntries(
    names.map((name, index) => [name, new ServiceProcess(name, env[name], ports[index]!)]),
  ) as Record<ServiceName, ServiceProcess>;
  const all = names.map((name) => services[name]);
  const release = async () => {
    await Promise.all(all.map((service) => service.stop()));
    await receiver.close();
    await sql.close();
    await database.drop();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    // One after another: cases and notify migrate their schemas, each service creates its topics.
    for (const service of all) await service.start();
  } catch (error) {
    await release();
    throw error;
  }
  return { services, all, client, namespace, sql, databaseUrl, receiver, outboxFile, release };
}
