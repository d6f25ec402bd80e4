import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxStandIns } from '../src/app.ts';

const servers = await requireServers('kafka', 'postgres');
const main = join(import.meta.dirname, '../src/main.ts');
const jwtSecret = 'notify-start-test-secret-0123456789';

/**
 * `node services/notify/src/main.ts` as the README's distributed mode runs it, in a process of its
 * own: what it says at start, or why it does not start.
 */
describe.runIf(servers)('notify started as the README shows (Kafka + PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'notify-start-'));
  const env = () => ({
    PATH: process.env.PATH,
    KAFKA_BROKERS: servers!.kafkaBrokers!.join(','),
    KAFKA_NAMESPACE: uniqueName('notify-start'),
    DATABASE_URL: database.url,
    JWT_SECRET: jwtSecret,
    NOTIFY_PORT: '0',
    NOTIFY_OUTBOX_FILE: join(dir, 'outbox.jsonl'),
  });

  beforeAll(async () => {
    database = await freshDatabase(servers!.databaseUrl!);
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a provider variable, warns once, naming each channel that goes to the outbox file', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const complete = buffered.split('\n');
          buffered = complete.pop() ?? '';
          for (const text of complete) {
            if (!text.startsWith('{')) continue;
            const line = JSON.parse(text) as Record<string, unknown>;
            lines.push(line);
            // Listening: everything said at start has been said.
            if (String(line.msg).includes('listening')) resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`notify exited (${code}): ${JSON.stringify(lines)}`)));
      });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    const standIns = lines.filter((line) => String(line.msg).includes('outbox file'));
    expect(standIns).toHaveLength(1);
    expect(standIns[0]).toMatchObject({
      level: 40,
      service: 'notify',
      channels: ['outbox', 'hotline', 'court', 'sms', 'wechat'],
    });
    // As the unit test has them (app.test.ts): every provider variable, each named.
    for (const { variable } of outboxStandIns({ jwtSecret, webhooks: new Map(), outboxFile: '' }))
      expect(standIns[0]!.msg).toContain(`set ${variable}`);
  }, 60_000);

  it('refuses a department code in AGENCY_WEBHOOKS that is not a department, in one line naming it', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: {
        ...env(),
        AGENCY_WEBHOOKS: JSON.stringify({
          '350802107-judicial_offic': {
            url: 'https://agency.example/hook',
            secret: 'agency-secret-0123456789',
          },
        }),
      },
      encoding: 'utf8',
      // A refusal takes a few seconds (loading under tsx); one that starts runs until this.
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    const lines = `${run.stdout}${run.stderr}`.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 60,
      service: 'notify',
      msg: expect.stringMatching(
        /^cannot start: invalid configuration: AGENCY_WEBHOOKS\.350802107-judicial_offic: not a department code of the city \(did you mean 350802107-judicial_office, 江山镇司法所\?\)/,
      ),
    });
  }, 60_000);
});
