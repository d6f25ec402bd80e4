import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { consumes, createServiceApp } from './http-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { reachAtStart, serve, startupFailureMessage } from './process.ts';
import { connectRedis, pingRedis } from './redis.ts';

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

const silent = createLogger({ service: 'test', level: 'silent' });

/** Runs `work` with serve's SIGTERM/SIGINT listeners taken off again afterwards. */
async function keepingSignals(work: () => Promise<void>): Promise<void> {
  const signals = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
  try {
    await work();
  } finally {
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      for (const listener of process.listeners(signal))
        if (!signals[signal].includes(listener)) process.off(signal, listener);
  }
}

function portOf(app: FastifyInstance): number {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** An app with a consumer whose start the test controls: it joins its group when the test says. */
function appWithConsumer() {
  const app = createServiceApp({ logger: silent, metrics: createMetrics('serve-test'), readiness: {} });
  const consumer = { starts: 0, stops: 0, join: () => {}, fail: (_error: Error) => {} };
  consumes(app, () => {
    consumer.starts++;
    return new Promise((resolve, reject) => {
      consumer.join = () => resolve({ stop: async () => void consumer.stops++ });
      consumer.fail = reject;
    });
  });
  return { app, consumer };
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

  it(
    'names each variable left out as required',
    () => {
      expect(failedStart('ingest-12345', {}).msg).toBe(
        'cannot start: invalid configuration: KAFKA_BROKERS: required; REDIS_URL: required; HOTLINE_CLIENTS: required',
      );
    },
    startTimeoutMs,
  );

  it.each(['cases', 'notify'])(
    "%s: the README's example JWT_SECRET stops it with one line naming the variable and why",
    (service) => {
      const line = failedStart(service, {
        KAFKA_BROKERS: '127.0.0.1:1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
        JWT_SECRET: 'change-me-to-32-or-more-characters',
      });
      expect(line).toMatchObject({
        level: 60,
        service,
        msg: "cannot start: invalid configuration: JWT_SECRET: the README's example secret (public: anyone who has read it can sign an operator's token); set a secret of your own",
      });
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
        WECHAT_TOKEN: 'processtesttoken1',
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
        msg: 'cannot start: Redis named by REDIS_URL cannot be reached: connect ECONNREFUSED 127.0.0.1:1',
      });
    },
    // A child process that loads a service under tsx and tries Redis for a few seconds: about 4 s
    // on an idle 2-core machine, past vitest's 5 s default when the machine is busy.
    startTimeoutMs,
  );

  it('says why a name with several addresses cannot be reached, address by address', () => {
    // Node's error when every address of a name (localhost: ::1, 127.0.0.1) refuses: no message of its own.
    const refused = new AggregateError([
      new Error('connect ECONNREFUSED ::1:6390'),
      new Error('connect ECONNREFUSED 127.0.0.1:6390'),
    ]);
    expect(startupFailureMessage(refused)).toBe(
      'connect ECONNREFUSED ::1:6390; connect ECONNREFUSED 127.0.0.1:6390',
    );
  });

  it('says why Redis cannot be reached in the words of the connection, not of the client library', async () => {
    const redis = connectRedis('redis://127.0.0.1:1', { namespace: undefined });
    try {
      await expect(reachAtStart('REDIS_URL', 'Redis', () => pingRedis(redis))).rejects.toThrow(
        /^Redis named by REDIS_URL cannot be reached: connect ECONNREFUSED 127\.0\.0\.1:1$/,
      );
    } finally {
      redis.disconnect();
    }
  });

  it('names the port variable when the port is taken, before any consumer joins its group', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as { port: number };
    const { app, consumer } = appWithConsumer();
    let cleanedUp = false;
    await keepingSignals(async () => {
      try {
        await expect(
          serve([{ name: 'ingest-12345', app, port }], {
            host: '127.0.0.1',
            logger: silent,
            cleanup: async () => {
              cleanedUp = true;
            },
          }),
        ).rejects.toThrow(
          `ingest-12345: 127.0.0.1:${port} is already in use (another Huijie still running?); stop it or set INGEST_12345_PORT`,
        );
        expect(consumer.starts).toBe(0);
        expect(cleanedUp).toBe(true);
      } finally {
        await app.close();
        squatter.close();
      }
    });
  });

  it('names HOST when it is no name this machine can resolve', async () => {
    const app = Fastify();
    await keepingSignals(async () => {
      try {
        await expect(
          serve([{ name: 'routing', app, port: 0 }], { host: 'not-a-host', logger: silent }),
        ).rejects.toThrow(
          /^routing: HOST not-a-host is not a name this machine can resolve \((ENOTFOUND|EAI_AGAIN)\); check HOST$/,
        );
      } finally {
        await app.close();
      }
    });
  });

  it('a consumer that cannot join is named with its app; the start lets go of what it took', async () => {
    const { app, consumer } = appWithConsumer();
    let cleanedUp = false;
    await keepingSignals(async () => {
      const started = serve([{ name: 'routing', app, port: 0 }], {
        host: '127.0.0.1',
        logger: silent,
        cleanup: async () => {
          cleanedUp = true;
        },
      });
      await vi.waitFor(() => expect(consumer.starts).toBe(1));
      consumer.fail(new Error('consumer group routing not joined within 60 s'));
      await expect(started).rejects.toThrow('routing: consumer group routing not joined within 60 s');
      expect(cleanedUp).toBe(true);
      expect(app.server.listening).toBe(false);
    });
  });
});

describe('a start whose consumer waits to join its group', () => {
  it('listens at once, is not ready until the consumer has joined, and stops the consumer on close', async () => {
    const { app, consumer } = appWithConsumer();
    await keepingSignals(async () => {
      try {
        let served = false;
        const started = serve([{ name: 'routing', app, port: 0 }], {
          host: '127.0.0.1',
          logger: silent,
        }).then(() => {
          served = true;
        });
        await vi.waitFor(() => expect(consumer.starts).toBe(1));
        const readyz = async () => {
          const answer = await fetch(`http://127.0.0.1:${portOf(app)}/readyz`);
          return { status: answer.status, body: await answer.json() };
        };
        expect(await readyz()).toEqual({
          status: 503,
          body: { status: 'not_ready', checks: { consumers: 'starting' } },
        });
        expect(served).toBe(false);

        consumer.join();
        await started;
        expect(await readyz()).toEqual({
          status: 200,
          body: { status: 'ready', checks: { consumers: 'ok' } },
        });
      } finally {
        await app.close();
      }
      expect(consumer.stops).toBe(1);
    });
  });
});

describe('a stop signal', () => {
  /** Starts the fixture service, sends it `signals` (ms after it listens), resolves how it ended. */
  function signalled(
    signals: { signal: NodeJS.Signals; afterMs: number }[],
    env: Record<string, string> = {},
  ) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'packages/service-kit/src/signalled-service.fixture.ts'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, ...env },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (!out.includes('listening') && `${out}${chunk}`.includes('listening'))
        for (const { signal, afterMs } of signals) setTimeout(() => child.kill(signal), afterMs);
      out += chunk;
    });
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, out })),
    );
  }

  it('delivered twice at once (a Ctrl-C under npm: the terminal and npm both send it) still drains and exits 0', async () => {
    const ended = await signalled([
      { signal: 'SIGINT', afterMs: 0 },
      { signal: 'SIGINT', afterMs: 50 },
    ]);
    expect(ended).toMatchObject({ code: 0, signal: null });
    expect(ended.out).toContain('drained');
  }, 30_000);

  it('says when the stop has finished, and how long it took: the last line before exit 0', async () => {
    const ended = await signalled([{ signal: 'SIGTERM', afterMs: 0 }], { SIGNALLED_LOG_LEVEL: 'info' });
    expect(ended).toMatchObject({ code: 0, signal: null });
    const lines = ended.out.trim().split('\n');
    const logged = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(logged.filter(({ msg }) => ['shutting down', 'stopped'].includes(msg))).toEqual([
      expect.objectContaining({ level: 30, msg: 'shutting down', signal: 'SIGTERM' }),
      expect.objectContaining({ level: 30, msg: 'stopped', signal: 'SIGTERM', service: 'signalled' }),
    ]);
    // After the drain (800 ms) and the cleanup: nothing is logged after it.
    expect(logged.at(-1).stopMs).toBeGreaterThanOrEqual(800);
    expect(lines).toContain('drained');
    expect(lines.indexOf('drained')).toBeLessThan(lines.length - 1);
    expect(JSON.parse(lines.at(-1) ?? '').msg).toBe('stopped');
  }, 30_000);

  it('again more than a second later stops at once (exit 1, the drain cut short)', async () => {
    const ended = await signalled(
      [
        { signal: 'SIGINT', afterMs: 0 },
        { signal: 'SIGINT', afterMs: 1_300 },
      ],
      { SIGNALLED_DRAIN_MS: '5000' },
    );
    expect(ended).toMatchObject({ code: 1, signal: null });
    expect(ended.out).not.toContain('drained');
  }, 30_000);

  it('while its consumer is still joining its group (restarted after a kill -9) stops at once and exits 0', async () => {
    const started = Date.now();
    const ended = await signalled([{ signal: 'SIGTERM', afterMs: 100 }], { SIGNALLED_CONSUMER: 'joining' });
    expect(ended).toMatchObject({ code: 0, signal: null });
    expect(ended.out).toContain('drained');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);
});
