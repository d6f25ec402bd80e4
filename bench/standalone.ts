/**
 * Standalone start: how long `npm start` takes to be ready on an existing data directory, and how
 * much memory the platform holds when idle, against floors measured in the same run.
 *
 *   npx tsx bench/standalone.ts [--rounds=5] [--idle=5] [--compare=<another checkout>]
 *
 * Each start is a child process started as `npm start` starts it (node with the arguments of the
 * checkout's package.json start script, without npm's own process in front), on free ports and a
 * temporary data directory: the first start creates the directory, then every round restarts on it. Measured from
 * the spawn: the ready line main.ts prints, and every port answering GET /readyz with 200; the CPU
 * time the node process running main.ts had used by then (on a loaded machine the wall clock
 * mostly measures the others' load, the CPU time much less). After `--idle` seconds of nothing,
 * the resident memory (VmRSS) of the node process running main.ts, of its whole process tree
 * (esbuild's service process, when tsx or the start's bundling left one running), and the CPU it used while idle. Then SIGTERM, which must exit 0.
 *
 * Floors, one start of each per round, interleaved with the platform's so load affects all alike,
 * with the node and V8 flags of this checkout's start script: bare Fastify answering /readyz under
 * plain node and under tsx, and Fastify answering /readyz with `SELECT 1` on the same PGlite data
 * directory (what the embedded database costs before any service).
 *
 * `--compare` starts the platform of another checkout of the project as well, in the same rounds
 * (its own data directory), for a before/after on a machine whose load changes from minute to
 * minute: e.g. `git worktree add` of the commit before a change, with a node_modules of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFlagsOf, startArgv } from '@huijie/testing/start-script.ts';
import { freePort, readyz } from './lib/platform-process.ts';
import { machine, median, processCpuSeconds, table } from './lib/report.ts';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const rounds = arg('rounds', 5);
const idleSeconds = arg('idle', 5);
const compare = process.argv.find((a) => a.startsWith('--compare='))?.split('=')[1];

const root = fileURLToPath(new URL('..', import.meta.url));

interface Scenario {
  name: string;
  /** The checkout it runs in. */
  cwd: string;
  /** Node's arguments: a script and its arguments. */
  argv: string[];
  env: Record<string, string>;
  ports: number[];
}

interface Start {
  lineMs: number;
  readyzMs: number;
  /** What main.ts says of itself ("ready in N ms": since its process started; from main.ts's first line in a checkout from before the bundled start). */
  ownMs?: number;
  /** CPU time the node process running the script had used when it was ready: less sensitive to load than the wall clock. */
  cpuToReadyS: number;
  rssMb: number;
  treeRssMb: number;
  idleCpuPercent: number;
  exitCode: number | null;
}

/** The process and its descendants, read from /proc (parent first). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces or parentheses: the fields after it are what count.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

async function start(scenario: Scenario): Promise<Start> {
  const spawned = performance.now();
  const child = spawn(process.execPath, scenario.argv, {
    cwd: scenario.cwd,
    env: { ...process.env, ...scenario.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  try {
    const lineMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${scenario.name}: not ready in 120 s`)), 120_000);
      const check = () => {
        if (/ready in \d+ ms/.test(output)) {
          clearTimeout(timer);
          resolve(performance.now() - spawned);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${scenario.name} exited (${code}) before it was ready:\n${output}`));
      });
    });
    for (;;) {
      const statuses = await Promise.all(scenario.ports.map(readyz));
      if (statuses.every((status) => status === 200)) break;
      if (performance.now() - spawned > 120_000) throw new Error(`${scenario.name}: /readyz ${statuses}`);
      await sleep(20);
    }
    const readyzMs = performance.now() - spawned;
    const ownMs = /ready in (\d+) ms/.exec(output)?.[1];
    const tree = processTree(child.pid!);
    // The node process running the script (esbuild's service process may be below it).
    const node = realpathSync(process.execPath);
    const main = tree.filter((pid) => readlinkSync(`/proc/${pid}/exe`) === node).at(-1)!;
    const cpuBefore = processCpuSeconds(main);
    const cpuToReadyS = cpuBefore;
    await sleep(idleSeconds * 1000);
    const idleCpuPercent = ((processCpuSeconds(main) - cpuBefore) / idleSeconds) * 100;
    const rss = rssMb(main);
    const treeRss = tree.reduce((sum, pid) => sum + rssMb(pid), 0);
    child.kill('SIGTERM');
    const exitCode = await exited(child);
    if (exitCode !== 0) console.error(`${scenario.name}: SIGTERM gave exit code ${exitCode}\n${output}`);
    return {
      lineMs,
      readyzMs,
      ...(ownMs && { ownMs: Number(ownMs) }),
      cpuToReadyS,
      rssMb: rss,
      treeRssMb: treeRss,
      idleCpuPercent,
      exitCode,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'huijie-bench-standalone-'));
const dataDir = join(dir, 'data');
const url = (path: string) => JSON.stringify(new URL(path, `file://${root}`).href);

/** Fastify answering /readyz (after `SELECT 1` on PGlite when given a data directory), printing a ready line. */
function floorScript(withPglite: boolean): string {
  return `const started = performance.now();
const { default: Fastify } = await import(${JSON.stringify(import.meta.resolve('fastify'))});
${
  withPglite
    ? `const { openPglite } = await import(${url('packages/database/src/sql-client.ts')});
const db = await openPglite(process.env.PGLITE_DIR);
await db.query('SELECT 1');`
    : ''
}
const app = Fastify();
app.get('/readyz', async () => {${withPglite ? " await db.query('SELECT 1');" : ''} return { status: 'ready' }; });
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('floor ready in ' + Math.round(performance.now() - started) + ' ms');
process.once('SIGTERM', async () => { await app.close();${withPglite ? ' await db.close();' : ''} process.exit(0); });
`;
}
mkdirSync(join(dir, 'floor'));
// The same script as JavaScript for plain node (it has no types), as TypeScript for tsx.
writeFileSync(join(dir, 'floor', 'fastify.mjs'), floorScript(false));
writeFileSync(join(dir, 'floor', 'fastify.mts'), floorScript(false));
writeFileSync(join(dir, 'floor', 'pglite.mts'), floorScript(true));

const platformPorts = await Promise.all(Array.from({ length: 6 }, freePort));
const floorPort = await freePort();
/** `npm start` in a checkout, on its own data directory. */
const platformIn = (checkout: string, name: string, data: string): Scenario => ({
  name,
  cwd: checkout,
  argv: startArgv(checkout),
  env: {
    DATA_DIR: data,
    ...Object.fromEntries(
      [
        'INGEST_12345_PORT',
        'INGEST_WECHAT_PORT',
        'INGEST_COURTS_PORT',
        'ROUTING_PORT',
        'CASES_PORT',
        'NOTIFY_PORT',
      ].map((port, i) => [port, String(platformPorts[i])]),
    ),
  },
  ports: platformPorts,
});
const platforms = [
  platformIn(root, 'platform', dataDir),
  ...(compare ? [platformIn(compare, `platform in ${compare}`, join(dir, 'compare-data'))] : []),
];
/** The start script's own settings for node and V8: the floors run with them too. */
const v8Flags = nodeFlagsOf(platforms[0]!.argv);
const floors: Scenario[] = [
  {
    name: 'floor: node, bare Fastify',
    cwd: root,
    argv: [...v8Flags, join(dir, 'floor', 'fastify.mjs')],
    env: { PORT: String(floorPort) },
    ports: [floorPort],
  },
  {
    name: 'floor: tsx, bare Fastify',
    cwd: root,
    argv: [...v8Flags, '--import', 'tsx', join(dir, 'floor', 'fastify.mts')],
    env: { PORT: String(floorPort) },
    ports: [floorPort],
  },
  {
    name: 'floor: tsx, Fastify + PGlite (same data dir)',
    cwd: root,
    argv: [...v8Flags, '--import', 'tsx', join(dir, 'floor', 'pglite.mts')],
    env: { PORT: String(floorPort), PGLITE_DIR: join(dataDir, 'pglite') },
    ports: [floorPort],
  },
];

console.log(machine());
console.log(`${rounds} restarts on an existing data directory, ${idleSeconds} s idle before reading memory`);
for (const platform of platforms) console.log(`${platform.name}: node ${platform.argv.join(' ')}`);
console.log(`floors: node ${v8Flags.join(' ')} …`);
console.log();
const results = new Map<string, Start[]>();
const record = (name: string, result: Start) => results.set(name, [...(results.get(name) ?? []), result]);
try {
  for (const platform of platforms) {
    record(`${platform.name}, first start (creates the data)`, await start(platform));
  }
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of [...platforms, ...floors]) record(scenario.name, await start(scenario));
    process.stderr.write(`round ${round}/${rounds} done\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ms = (values: number[]) => {
  const m = Math.round(median(values));
  return values.length > 1
    ? `${m} (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})`
    : String(m);
};
const mb = (values: number[]) => `${Math.round(median(values))}`;
console.log(
  table(
    [
      'start',
      'runs',
      'spawn → ready line, ms',
      'spawn → every /readyz 200, ms',
      'own "ready in", ms',
      'CPU to ready, s',
      'RSS idle, MB',
      'RSS of its process tree, MB',
      'CPU idle, %',
    ],
    [...results].map(([name, starts]) => [
      name,
      starts.length,
      ms(starts.map((s) => s.lineMs)),
      ms(starts.map((s) => s.readyzMs)),
      starts.some((s) => s.ownMs !== undefined) ? ms(starts.map((s) => s.ownMs ?? 0)) : '',
      median(starts.map((s) => s.cpuToReadyS)).toFixed(2),
      mb(starts.map((s) => s.rssMb)),
      mb(starts.map((s) => s.treeRssMb)),
      median(starts.map((s) => s.idleCpuPercent)).toFixed(0),
    ]),
  ),
);
console.log(`\n(medians, min–max in brackets; load at the end: ${machine().split('load ')[1]})`);
const failed = [...results.values()].flat().filter((s) => s.exitCode !== 0).length;
if (failed > 0) {
  console.error(`${failed} start(s) did not exit 0 on SIGTERM`);
  process.exitCode = 1;
}
