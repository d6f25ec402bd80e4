/**
 * Signed 12345 pushes from a separate process. Building and HMAC-signing every request costs
 * CPU: run in the process of the server under test it would slow that server down (and the
 * slower server more, which distorts the ratio to a baseline). Each target gets the same
 * generator, signing cost and connections; only the server differs.
 *
 * In the benchmark: `await signedLoad({ url, … })` forks this file, which runs autocannon and
 * sends the figures back.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sign } from '@huijie/service-kit/signing.ts';
import autocannon from 'autocannon';

export interface SignedLoadOptions {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  /** The client id sent as `x-huijie-client`, and its secret. */
  client: string;
  secret: string;
}

export interface LoadFigures {
  /** Requests per second, averaged over the run. */
  rps: number;
  p50: number;
  p99: number;
  /** Answers other than 2xx, plus connection errors (timeouts among them). */
  non2xx: number;
}

/** A 12345 work order as a hotline pushes it; every call is a new order. */
export const workOrderBody = (orderNo: string) =>
  JSON.stringify({
    orderNo,
    receivedAt: '2024-08-24T09:30:00+08:00',
    content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
    caller: { name: '郭某', phone: '13800000000' },
    location: { address: '福建省龙岩市新罗区江山镇' },
    category: { name: '劳动保障-欠薪' },
  });

/** Runs the load in a child process and resolves with its figures. */
export function signedLoad(options: SignedLoadOptions): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let figures: LoadFigures | undefined;
    child.on('message', (message) => {
      figures = message as LoadFigures;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (figures && code === 0) resolve(figures);
      else reject(new Error(`load generator exited with ${code} and no figures`));
    });
    child.send(options);
  });
}

async function generate(options: SignedLoadOptions): Promise<LoadFigures> {
  const run = randomUUID().slice(0, 8);
  let n = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'POST',
        path: options.path,
        // Every request is a new order, signed as a hotline system signs it.
        setupRequest: (request) => {
          const raw = workOrderBody(`B${run}-${++n}`);
          const timestamp = String(Math.floor(Date.now() / 1000));
          return {
            ...request,
            body: raw,
            headers: {
              'content-type': 'application/json',
              'x-huijie-client': options.client,
              'x-huijie-timestamp': timestamp,
              'x-huijie-signature': sign(options.secret, timestamp, raw),
            },
          };
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

// Forked by signedLoad: one run, its figures to the parent, then exit.
if (process.send && process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  process.once('message', async (options: SignedLoadOptions) => {
    const figures = await generate(options);
    process.send?.(figures, () => process.exit(0));
  });
}
