import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from '@huijie/service-kit/data-lock.ts';
import { standaloneVariables } from '@huijie/standalone/config.ts';
import { eventually } from '@huijie/testing/servers.ts';
import { startArgv } from '@huijie/testing/start-script.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../faults/processes.ts';

const root = join(import.meta.dirname, '..', '..');

interface Run {
  child: ChildProcess;
  output: string;
  exited: Promise<number | null>;
}

/** `npm start` as package.json runs it (the bundled platform), on the given data directory and ports. */
function start(dataDir: string, ports: Record<string, string>): Run {
  return run(startArgv(root), { DATA_DIR: dataDir, HOST: '127.0.0.1', ...ports });
}

/** The historical import into the standalone log of `dataDir` (no KAFKA_BROKERS in its environment). */
function importInto(dataDir: string, args: string[]): Run {
  return run(['--import', 'tsx', 'services/cases/scripts/import.ts', ...args], { DATA_DIR: dataDir });
}

function run(argv: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, argv, {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: Run = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (chunk) => (started.output += chunk));
  child.stderr!.on('data', (chunk) => (started.output += chunk));
  return started;
}

async function ready(run: Run): Promise<void> {
  const deadline = Date.now() + 150_000;
  while (!/ready in \d+ ms/.test(run.output)) {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}:\n${run.output}`);
    if (Date.now() > deadline) throw new Error(`not ready:\n${run.output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const portVariables = Object.keys(standaloneVariables.shape).filter((name) => name.endsWith('_PORT'));

async function freePorts(): Promise<Record<string, string>> {
  const ports: Record<string, string> = {};
  for (const name of portVariables) ports[name] = String(await freePort());
  return ports;
}

/** What a start refused by the lock on `dir` says, naming its holder. */
const inUse = (dir: string, holder: string, pid: number | undefined) =>
  `${dir} is in use by ${holder} (pid ${pid}, lock ${join(dir, 'huijie.lock')}); stop it or set DATA_DIR`;

/** Two `npm start` on the same ./data: PGlite supports one process, so the second must not open it. */
describe('standalone mode locks its data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huijie-lock-'));
  const runs: Run[] = [];
  afterAll(async () => {
    for (const run of runs)
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });

  it('a second start exits at once naming the platform and the pid holding it; a lock left by a killed process does not block', async () => {
    const ports = await freePorts();
    const first = start(dataDir, ports);
    runs.push(first);
    await ready(first);

    // Other ports, so that what stops it is the lock, not a port in use.
    const second = start(dataDir, await freePorts());
    runs.push(second);
    // At once: before opening the database, so well before a start's ready (without the lock it
    // would open the first's database, and hang or damage it).
    const stillRunning = new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 30_000));
    expect(await Promise.race([second.exited, stillRunning])).toBe(1);
    const lines = second.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).msg).toBe(
      `cannot start: ${inUse(dataDir, 'the platform (npm start)', first.child.pid)}`,
    );
    // The first still serves.
    expect((await fetch(`http://127.0.0.1:${ports.CASES_PORT}/readyz`)).status).toBe(200);

    first.child.kill('SIGKILL');
    await first.exited;
    // Its lock is left behind, holding a pid that no longer runs.
    expect(readFileSync(join(dataDir, 'huijie.lock'), 'utf8')).toBe(
      `${first.child.pid} the platform (npm start)`,
    );
    // At info (the platform's default is warn): its stop is logged as every service's.
    const third = start(dataDir, { ...ports, LOG_LEVEL: 'info' });
    runs.push(third);
    await ready(third);
    expect((await fetch(`http://127.0.0.1:${ports.CASES_PORT}/readyz`)).status).toBe(200);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    // A clean stop says so, last.
    expect(third.output.trim().split('\n').at(-1)).toMatch(/"msg":"stopped"/);
  }, 400_000);

  const workOrder =
    'channel,source_ref,received_at,content\n12345,GD-LOCK-1,2023-05-06 09:30,老板拖欠工资3800元\n';

  it('the historical import refuses a data directory the platform holds, in one line, without opening its database', async () => {
    const held = mkdtempSync(join(tmpdir(), 'huijie-lock-import-'));
    const file = join(held, 'records.csv');
    writeFileSync(file, workOrder);
    // Held as the platform holds it, by a live process other than the import (this one).
    lockDataDir(held, 'the platform (npm start)');
    try {
      const refused = importInto(held, [file]);
      runs.push(refused);
      expect(await refused.exited).toBe(1);
      expect(refused.output.trim()).toBe(
        `import failed: ${inUse(held, 'the platform (npm start)', process.pid)}`,
      );
      expect(existsSync(join(held, 'pglite'))).toBe(false);
    } finally {
      rmSync(held, { recursive: true, force: true });
    }
  }, 60_000);

  it('the platform refuses to start while the historical import writes into its data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huijie-lock-importing-'));
    // A named pipe: the import waits on its records for as long as the test wants it running.
    const pipe = join(dir, 'records.csv');
    execFileSync('mkfifo', [pipe]);
    try {
      const importing = importInto(dir, [pipe, '--encoding=utf-8']);
      runs.push(importing);
      await eventually(
        () =>
          existsSync(join(dir, 'huijie.lock')) &&
          readFileSync(join(dir, 'huijie.lock'), 'utf8').startsWith(`${importing.child.pid} `),
        { what: 'the import to take the lock', timeoutMs: 30_000 },
      );

      const platform = start(dir, await freePorts());
      runs.push(platform);
      expect(await platform.exited).toBe(1);
      expect(JSON.parse(platform.output.trim()).msg).toBe(
        `cannot start: ${inUse(dir, 'the historical import', importing.child.pid)}`,
      );

      await writeFile(pipe, workOrder);
      expect(await importing.exited, importing.output).toBe(0);
      expect(importing.output).toContain('1 published as dispute.intake.v1, 0 rejected');
      // Released on exit: the platform may start now.
      expect(existsSync(join(dir, 'huijie.lock'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
