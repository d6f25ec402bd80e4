import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '@huijie/service-kit/signing.ts';
import { demo, standaloneVariables } from '@huijie/standalone/config.ts';
import { eventually } from '@huijie/testing/servers.ts';
import { startArgv } from '@huijie/testing/start-script.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../faults/processes.ts';

const root = join(import.meta.dirname, '..', '..');

/**
 * `npm start` runs the platform bundled by standalone/start.mjs, not its sources through tsx (the
 * other tests' way): the README's story, over HTTP, on what the bundle serves. Its modules find
 * their files from where their sources are — migrations, routing's gazetteer and departments, the
 * overview's page and chart library — or the story fails here.
 */
describe('npm start (the bundled platform)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huijie-npm-start-'));
  const ports: Record<string, string> = {};
  let output = '';
  const child = (async () => {
    for (const name of Object.keys(standaloneVariables.shape).filter((n) => n.endsWith('_PORT')))
      ports[name] = String(await freePort());
    const started = spawn(process.execPath, startArgv(root), {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, HOST: '127.0.0.1', ...ports },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.stdout.on('data', (chunk) => (output += chunk));
    started.stderr.on('data', (chunk) => (output += chunk));
    return started;
  })();
  const url = (port: string, path: string) => `http://127.0.0.1:${ports[port]}${path}`;
  afterAll(async () => {
    (await child).kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("takes the README's push, routes it to 江山镇司法所, serves the overview, and stops cleanly", async () => {
    const platform = await child;
    await eventually(() => /ready in \d+ ms/.test(output) || platform.exitCode !== null, {
      timeoutMs: 150_000,
      what: 'the ready line',
    });
    expect(platform.exitCode, output).toBeNull();

    const body = JSON.stringify({
      orderNo: 'GD20240824001',
      receivedAt: '2024-08-24T09:30:00+08:00',
      content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
      caller: { name: '郭某', phone: '13800000000' },
      location: { address: '福建省龙岩市新罗区江山镇' },
      category: { name: '劳动保障-欠薪' },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const pushed = await fetch(url('INGEST_12345_PORT', '/v1/work-orders'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-huijie-client': demo.hotlineClient.id,
        'x-huijie-timestamp': timestamp,
        'x-huijie-signature': sign(demo.hotlineClient.secret, timestamp, body),
      },
      body,
    });
    expect(pushed.status).toBe(202);
    const { disputeId } = (await pushed.json()) as { disputeId: string };

    const signedIn = await fetch(url('CASES_PORT', '/v1/auth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: demo.operator.username, password: demo.operator.password }),
    });
    const auth = { authorization: `Bearer ${((await signedIn.json()) as { token: string }).token}` };
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, read as the README reads it
    const read = async (path: string): Promise<any> => {
      const response = await fetch(url('CASES_PORT', path), { headers: auth });
      return response.ok ? response.json() : undefined;
    };
    const { caseId } = await eventually(() => read(`/v1/disputes/${disputeId}`), { what: 'the case' });
    const assigned = await eventually(
      async () => {
        const detail = await read(`/v1/cases/${caseId}`);
        return detail?.status === 'assigned' && detail;
      },
      { what: 'the case assigned' },
    );
    expect(assigned.jurisdiction.names).toEqual(['龙岩市', '新罗区', '江山镇']);
    expect(assigned.assignments.find((a: { role: string }) => a.role === 'lead').departmentName).toBe(
      '江山镇司法所',
    );

    const page = await fetch(url('CASES_PORT', '/overview'));
    expect(page.status).toBe(200);
    const chart = await fetch(url('CASES_PORT', '/overview/assets/chart.umd.min.js'));
    expect(chart.status).toBe(200);
    expect((await chart.text()).length).toBeGreaterThan(100_000);
    await eventually(() => readFileSync(join(dataDir, 'notify-outbox.jsonl'), 'utf8').includes(disputeId), {
      what: "the departments' deliveries in the outbox file",
    });

    platform.kill('SIGTERM');
    const code = await new Promise((resolve) => platform.once('exit', resolve));
    expect(code, output).toBe(0);
  }, 240_000);
});
