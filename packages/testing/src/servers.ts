import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Where integration tests find real servers: the environment first (as on CI), else
 * testcontainers where a Docker engine exists, else the tests are skipped with a loud
 * message — except under CI=true, where a missing server fails the run.
 */
export interface Servers {
  kafkaBrokers: string[];
  databaseUrl: string;
  redisUrl: string;
}

type Kind = 'kafka' | 'postgres' | 'redis';

const env = process.env;
const inCi = env.CI === 'true' || env.CI === '1';
const resolved = new Map<Kind, Promise<string | null>>();

function fromEnvironment(kind: Kind): string | undefined {
  return { kafka: env.KAFKA_BROKERS, postgres: env.DATABASE_URL, redis: env.REDIS_URL }[kind];
}

async function fromContainer(kind: Kind): Promise<string | null> {
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    if (kind === 'postgres') {
      const c = await new GenericContainer('postgres:16-alpine')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
        .start();
      return `postgres://postgres@${c.getHost()}:${c.getMappedPort(5432)}/postgres`;
    }
    if (kind === 'redis') {
      const c = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
      return `redis://${c.getHost()}:${c.getMappedPort(6379)}`;
    }
    const c = await new GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: 9092, host: 19092 })
      .withEnvironment({
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://localhost:19092,CONTROLLER://localhost:9093',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    return `${c.getHost()}:19092`;
  } catch (error) {
    console.warn(`[huijie/testing] no ${kind} container: ${(error as Error).message}`);
    return null;
  }
}

async function locate(kind: Kind): Promise<string | null> {
  const named = fromEnvironment(kind);
  if (named) return named;
  const started = await fromContainer(kind);
  if (started) return started;
  const variable = { kafka: 'KAFKA_BROKERS', postgres: 'DATABASE_URL', redis: 'REDIS_URL' }[kind];
  const message = `no ${kind} for integration tests: set ${variable} or provide a Docker engine for testcontainers`;
  if (inCi) throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** SKIPPING ${kind} integration tests: ${message} ***\n`);
  return null;
}

/** The servers a test file needs, or null when they cannot be had outside CI (the file then skips). */
export async function requireServers(...kinds: Kind[]): Promise<Partial<Servers> | null> {
  const found: Partial<Servers> = {};
  for (const kind of kinds) {
    let pending = resolved.get(kind);
    if (!pending) {
      pending = locate(kind);
      resolved.set(kind, pending);
    }
    const address = await pending;
    if (address === null) return null;
    if (kind === 'kafka') found.kafkaBrokers = address.split(',');
    if (kind === 'postgres') found.databaseUrl = address;
    if (kind === 'redis') found.redisUrl = address;
  }
  return found;
}

/** A name no other test uses: topics, groups, databases, Redis prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A fresh, empty database on the server of `databaseUrl`; drop it with the returned function. */
export async function freshDatabase(
  databaseUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueName('huijie_test').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Waits for a condition instead of sleeping: polls until it holds or the time is up. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(
    `timed out waiting for ${options.what ?? 'a condition'}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}
