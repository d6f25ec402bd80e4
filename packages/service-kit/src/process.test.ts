import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { serve } from './process.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** How long a test may wait for a started service to give up (failedStart's own limit). */
const startTimeoutMs = 60_000;

/** Starts a service's main with only `env`: it must exit 1 with one JSON line and no stack trace, returned parsed. */
function failedStart(service: string, env: Record<string, string>) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `services/${service}/src/main.ts`], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: startTimeoutMs,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  const lines = `${run.stdout}${run.stderr}`.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

describe('a start that cannot go on', () => {
  it(
    'is one JSON line naming the bad variable, not a stack trace',
    () => {
      const line = failedStart('routing', { KAFKA_BROKERS: 'not a broker list', ROUTING_PORT: '99999' });
      expect(line).toMatchObject({ level: 60, service: 'routing' });
      expect(line.msg).toMatch(
        /^cannot start: invalid configuration: .*ROUTING_PORT: .*; KAFKA_BROKERS: a comma-separated list of host:port/,
      );
    },
    startTimeoutMs,
  );

  // Port 1 answers nobody: the edges cannot keep their idempotency keys, so they must not take pushes.
  it.each([
    ['ingest-12345', { HOTLINE_CLIENTS: 'hotline-a:secret-of-hotline-a' }],
    [
      'ingest-courts',
      { COURT_CLIENTS: '[{"id":"court-a","secret":"secret-of-court-a","courts":["闽0803"]}]' },
    ],
    [
      'ingest-wechat',
      {
        WECHAT_TOKEN: 'accounttoken1',
        WECHAT_APPID: 'wx0123456789abcdef',
        PUBLIC_BASE_URL: 'https://t.example',
      },
    ],
  ])(
    '%s: Redis not answering stops it with one line naming REDIS_URL',
    (service, variables) => {
      const line = failedStart(service, {
        KAFKA_BROKERS: '127.0.0.1:1',
        REDIS_URL: 'redis://127.0.0.1:1',
        ...variables,
      });
      expect(line).toMatchObject({
        level: 60,
        service,
        msg: expect.stringMatching(/^cannot start: Redis named by REDIS_URL cannot be reached: /),
      });
    },
    // A child process that loads a service under tsx and tries Redis for a few seconds: about 4 s
    // on an idle 2-core machine, past vitest's 5 s default when the machine is busy.
    startTimeoutMs,
  );

  it('names the port variable when the port is taken', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as { port: number };
    const app = Fastify();
    const signals = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    try {
      await expect(
        serve([{ name: 'ingest-12345', app, port }], {
          host: '127.0.0.1',
          logger: createLogger({ service: 'test', level: 'silent' }),
        }),
      ).rejects.toThrow(
        `ingest-12345: 127.0.0.1:${port} is already in use (another Huijie still running?); stop it or set INGEST_12345_PORT`,
      );
    } finally {
      for (const signal of ['SIGTERM', 'SIGINT'] as const)
        for (const listener of process.listeners(signal))
          if (!signals[signal].includes(listener)) process.off(signal, listener);
      await app.close();
      squatter.close();
    }
  });
});
