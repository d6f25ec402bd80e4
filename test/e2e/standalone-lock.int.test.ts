import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standaloneConfigSchema } from '@huijie/standalone/config.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../faults/processes.ts';

const root = join(import.meta.dirname, '..', '..');

interface Run {
  child: ChildProcess;
  output: string;
  exited: Promise<number | null>;
}

/** `npm start` as package.json runs it, on the given data directory and ports. */
function start(dataDir: string, ports: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'standalone/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, HOST: '127.0.0.1', ...ports },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (chunk) => (run.output += chunk));
  child.stderr!.on('data', (chunk) => (run.output += chunk));
  return run;
}

async function ready(run: Run): Promise<void> {
  const deadline = Date.now() + 150_000;
  while (!/ready in \d+ ms/.test(run.output)) {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}:\n${run.output}`);
    if (Date.now() > deadline) throw new Error(`not ready:\n${run.output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const portVariables = Object.keys(standaloneConfigSchema.shape).filter((name) => name.endsWith('_PORT'));

async function freePorts(): Promise<Record<string, string>> {
  const ports: Record<string, string> = {};
  for (const name of portVariables) ports[name] = String(await freePort());
  return ports;
}

/** Two `npm start` on the same ./data: PGlite supports one process, so the second must not open it. */
describe('standalone mode locks its data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huijie-lock-'));
  const runs: Run[] = [];
  afterAll(async () => {
    for (const run of runs)
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });

  it('a second start exits at once naming the pid holding it; a lock left by a killed process does not block', async () => {
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
      `cannot start: ${dataDir} is in use by another Huijie (pid ${first.child.pid}, lock ${join(dataDir, 'huijie.lock')}); stop it or set DATA_DIR`,
    );
    // The first still serves.
    expect((await fetch(`http://127.0.0.1:${ports.CASES_PORT}/readyz`)).status).toBe(200);

    first.child.kill('SIGKILL');
    await first.exited;
    // Its lock is left behind, holding a pid that no longer runs.
    expect(readFileSync(join(dataDir, 'huijie.lock'), 'utf8')).toBe(String(first.child.pid));
    const third = start(dataDir, ports);
    runs.push(third);
    await ready(third);
    expect((await fetch(`http://127.0.0.1:${ports.CASES_PORT}/readyz`)).status).toBe(200);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 400_000);
});
