/**
 * Standalone under load: N signed 12345 work orders (default 2,000, each with a caller of its
 * own) pushed through the batch API, 100 per push, into `npm start` on a new data directory; how
 * long until the platform has answered them all, and until the cases of 1 in 50 of them (and of
 * the last) are assigned — read back through the cases API as an operator reads them.
 *
 *   npx tsx bench/standalone-load.ts [--orders=2000] [--compare=<another checkout>]
 *
 * `--compare` runs the same load on the platform of another checkout too, right after, for a
 * before/after (e.g. `git worktree add` of the commit before a change, with a node_modules of its
 * own). The baseline of every run is the rate at which the same platform answered the pushes:
 * what the consumers behind it (routing, cases, notify, on the embedded database and event log)
 * keep up with, against what intake accepts.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startArgv } from '@huijie/testing/start-script.ts';
import { freePort, readyz } from './lib/platform-process.ts';
import { machine, table } from './lib/report.ts';

const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const orders = Number(option('orders') ?? 2_000);
const compare = option('compare');
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The demo hotline client and operator every standalone platform has (README, "Try it"). */
const client = { id: 'demo-12345', secret: 'demo-secret' };
const operator = { username: 'demo-operator', password: 'demo-password' };

async function run(checkout: string) {
  const ports = await Promise.all(Array.from({ length: 6 }, freePort));
  const [ingest, , , , cases] = ports as [number, number, number, number, number, number];
  const data = mkdtempSync(join(tmpdir(), 'huijie-load-'));
  const names = ['INGEST_12345', 'INGEST_WECHAT', 'INGEST_COURTS', 'ROUTING', 'CASES', 'NOTIFY'];
  const child = spawn(process.execPath, startArgv(checkout), {
    cwd: checkout,
    env: {
      ...process.env,
      DATA_DIR: data,
      LOG_LEVEL: 'warn',
      // Standalone: the embedded database and event log, whatever the shell says.
      KAFKA_BROKERS: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      ...Object.fromEntries(names.map((name, i) => [`${name}_PORT`, String(ports[i])])),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    while ((await Promise.all(ports.map(readyz))).some((status) => status !== 200)) await sleep(200);
    const run = randomUUID().slice(0, 8);
    const disputeIds: string[] = [];
    const started = performance.now();
    for (let from = 0; from < orders; from += 100) {
      const body = JSON.stringify({
        orders: Array.from({ length: Math.min(100, orders - from) }, (_, k) => ({
          orderNo: `LOAD-${run}-${from + k}`,
          receivedAt: '2024-08-24T09:30:00+08:00',
          content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
          caller: { name: '郭某', phone: `137${String(from + k).padStart(8, '0')}` },
          location: { address: '福建省龙岩市新罗区江山镇' },
          category: { name: '劳动保障-欠薪' },
        })),
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await fetch(`http://127.0.0.1:${ingest}/v1/work-orders/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-huijie-client': client.id,
          'x-huijie-timestamp': timestamp,
          'x-huijie-signature': createHmac('sha256', client.secret)
            .update(`${timestamp}.${body}`)
            .digest('hex'),
        },
        body,
      });
      const { results } = (await response.json()) as { results: { status: number; disputeId?: string }[] };
      for (const result of results) {
        if (result.status !== 202) throw new Error(`an order was answered ${result.status}`);
        disputeIds.push(result.disputeId!);
      }
    }
    const answered = performance.now();
    const { token } = (await (
      await fetch(`http://127.0.0.1:${cases}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(operator),
      })
    ).json()) as { token: string };
    const read = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${cases}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
    };
    const waiting = new Set(disputeIds.filter((_, i) => i % 50 === 0 || i === disputeIds.length - 1));
    while (waiting.size > 0) {
      for (const disputeId of waiting) {
        const dispute = await read(`/v1/disputes/${disputeId}`);
        const found = dispute && (await read(`/v1/cases/${dispute.caseId}`));
        if (found?.status === 'assigned') waiting.delete(disputeId);
      }
      if (waiting.size > 0) await sleep(250);
      if (performance.now() - started > 15 * 60_000) throw new Error(`${waiting.size} cases never assigned`);
    }
    const assigned = performance.now();
    return { answeredS: (answered - started) / 1000, assignedS: (assigned - started) / 1000 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(data, { recursive: true, force: true });
  }
}

console.log(`Standalone under load — ${machine()}`);
console.log(
  `${orders.toLocaleString('en-US')} signed work orders, 100 per push, into npm start on a new data directory\n`,
);
const checkouts = [root, ...(compare ? [compare] : [])];
const rows: string[][] = [];
for (const checkout of checkouts) {
  const { answeredS, assignedS } = await run(checkout);
  const rate = (seconds: number) => Math.round(orders / seconds).toLocaleString('en-US');
  rows.push([
    checkout === root ? 'this checkout' : checkout,
    `${rate(answeredS)}/s (${answeredS.toFixed(1)} s)`,
    `${rate(assignedS)}/s (${assignedS.toFixed(1)} s)`,
  ]);
}
console.log(table(['platform', 'pushes answered (baseline)', 'cases assigned, end to end'], rows));
console.log(`\n${machine()}`);
