import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { deadLetterTopic, topics } from '@huijie/contracts/topics.ts';
import { openPglite, pgliteClient } from '@huijie/database/sql-client.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { lockDataDir } from '@huijie/service-kit/data-lock.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, describe, expect, it } from 'vitest';

const servers = await requireServers('kafka');
const root = join(import.meta.dirname, '..', '..');

/** `npx tsx scripts/dead-letters.ts …` as an engineer runs it, with only the variables given. */
function deadLetters(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dead-letters.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (err += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

function report(sourceRef: string): { key: string; data: DisputeReceivedV1 } {
  const key = randomUUID();
  return {
    key,
    data: {
      disputeId: key,
      channel: 'hotline_12345',
      sourceRef,
      revision: 1,
      receivedAt: '2024-08-24T09:00:00+08:00',
      content: `郭某某 13912345678 ${sourceRef}`,
      location: { address: '龙岩市新罗区江山镇' },
      parties: [],
      attachments: [],
    },
  };
}

/** A group that cannot file reports whose reference starts with "fails" until `mend()`. */
async function failingGroup(bus: EventBus, group: string) {
  let mended = false;
  const filed: string[] = [];
  const subscription = await bus.subscribe({
    group,
    topics: [topics.intake],
    retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    handlers: {
      'dispute.intake.v1': async (event) => {
        if (event.sourceRef.startsWith('fails') && !mended)
          throw new Error('the department directory has no such town');
        filed.push(event.sourceRef);
      },
    },
  });
  return { filed, mend: () => (mended = true), stop: () => subscription.stop() };
}

const rows = (out: string) => out.trim().split('\n').slice(1);

describe.runIf(servers)(
  'scripts/dead-letters.ts: an engineer lists dead letters, then sends them again',
  () => {
    it('on Kafka under a namespace: lists them without their content, sends them to their group once', async () => {
      const namespace = uniqueName('dlq-cli');
      const env = { KAFKA_BROKERS: servers!.kafkaBrokers!.join(','), KAFKA_NAMESPACE: namespace };
      const engine = namespaced(
        createKafkaEngine({
          brokers: servers!.kafkaBrokers!,
          clientId: 'dlq-cli-test',
          sessionTimeoutMs: 6_000,
        }),
        namespace,
      );
      const bus = createEventBus(engine, { source: '/test/hotline' });
      try {
        const filer = await failingGroup(bus, 'filer');
        const reports = ['fails-1', 'filed', 'fails-2'].map(report);
        await bus.publish(
          reports.map(({ key, data }) => ({ name: 'dispute.intake.v1' as const, key, data })),
        );
        await eventually(() => filer.filed.includes('filed'), { what: 'the report that files' });
        await eventually(async () => (await engine.lag('filer', topics.intake)) === 0, {
          what: 'the failing ones parked',
        });

        const listed = await deadLetters(['list'], env);
        expect(listed.code, listed.err).toBe(0);
        expect(listed.err).toContain(`dead letters in Kafka ${env.KAFKA_BROKERS} (namespace ${namespace})`);
        expect(listed.err).toContain('2 dead letters: 2 not sent again (filer 2)');
        expect(listed.out.split('\n')[0]).toBe(
          'parked at\tfailed at\tgroup\tread from\tevent type\tevent id\tattempts\tstate\treason',
        );
        expect(rows(listed.out)).toHaveLength(2);
        for (const row of rows(listed.out)) {
          const [parkedAt, , group, readFrom, eventType, , attempts, state, reason] = row.split('\t');
          expect(parkedAt).toMatch(
            new RegExp(`^${deadLetterTopic(topics.intake).replaceAll('.', '\\.')}/\\d/\\d+$`),
          );
          expect({ group, eventType, attempts, state, reason }).toEqual({
            group: 'filer',
            eventType: 'cn.huijie.dispute.intake.v1',
            attempts: '2',
            state: 'parked',
            reason: 'handler: the department directory has no such town',
          });
          expect(readFrom).toMatch(/^dispute\.intake\.v1\/\d\/\d+$/);
        }
        // Never what a report says: names and numbers stay in the dead-letter topic.
        expect(listed.out + listed.err).not.toMatch(/郭某某|13912345678|江山镇/);

        const withoutGroup = await deadLetters(['redrive'], env);
        expect(withoutGroup.code).toBe(1);
        expect(withoutGroup.err).toMatch(/^redrive needs --group: each group sends its own again\nusage:/);

        const dryRun = await deadLetters(['redrive', '--group=filer', '--dry-run'], env);
        expect(dryRun.code, dryRun.err).toBe(0);
        expect(dryRun.err).toContain(
          'would send 2 dead letters of filer again (dispute.intake.v1 2): dry run, nothing sent',
        );

        filer.mend();
        const sent = await deadLetters(['redrive', '--group=filer'], env);
        expect(sent.code, sent.err).toBe(0);
        expect(sent.err).toContain('sent 2 dead letters of filer again (dispute.intake.v1 2)');
        await eventually(() => filer.filed.length === 3, { what: 'the mended group to file both' });
        expect(filer.filed.sort()).toEqual(['fails-1', 'fails-2', 'filed']);

        const after = await deadLetters(['list', '--group=filer'], env);
        expect(after.err).toContain('2 dead letters: 0 not sent again');
        expect(rows(after.out).map((row) => row.split('\t')[7])).toEqual(['sent again', 'sent again']);
        const again = await deadLetters(['redrive', '--group=filer'], env);
        expect(again.err).toContain('sent 0 dead letters of filer again');
        await filer.stop();
      } finally {
        await bus.close();
      }
    }, 120_000);

    describe('on the standalone log in DATA_DIR', () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'huijie-dlq-'));
      afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

      /** The platform's log on `dataDir`, as `npm start` opens it, with the group that cannot file yet. */
      async function platform() {
        const db = await openPglite(join(dataDir, 'pglite'));
        const bus = createEventBus(createEmbeddedEngine(pgliteClient(db)), { source: '/test/hotline' });
        const filer = await failingGroup(bus, 'filer');
        return {
          bus,
          filer,
          async stop() {
            await filer.stop();
            await bus.close();
            await db.close();
          },
        };
      }

      it('lists what the platform parked while it is stopped, sends it again for its next start, and refuses while it runs', async () => {
        const first = await platform();
        const { key, data } = report('fails-standalone');
        await first.bus.publish([{ name: 'dispute.intake.v1', key, data }]);
        await eventually(
          async () => (await first.bus.engine.lag('filer', deadLetterTopic(topics.intake))) > 0,
          {
            what: 'the report parked',
          },
        );
        await first.stop();

        const listed = await deadLetters(['list'], { DATA_DIR: dataDir });
        expect(listed.code, listed.err).toBe(0);
        expect(listed.err).toContain(`dead letters in the standalone event log in ${dataDir}`);
        expect(listed.err).toContain('1 dead letter: 1 not sent again (filer 1)');
        const sent = await deadLetters(['redrive', '--group=filer'], { DATA_DIR: dataDir });
        expect(sent.err).toContain('sent 1 dead letter of filer again (dispute.intake.v1 1)');

        // The next start, mended: the group files it.
        const next = await platform();
        next.filer.mend();
        await eventually(() => next.filer.filed.includes('fails-standalone'), { what: 'the report filed' });
        await next.stop();

        // A directory with no platform in it (the wrong one, KAFKA_BROKERS forgotten) is no empty log.
        const elsewhere = join(dataDir, 'not-here');
        const wrong = await deadLetters(['list'], { DATA_DIR: elsewhere });
        expect(wrong.code).toBe(1);
        expect(wrong.err.trim()).toBe(
          `dead letters: no standalone platform in ${elsewhere} (no ${join(elsewhere, 'pglite')}): set KAFKA_BROKERS for Kafka, or DATA_DIR to the platform's data directory`,
        );

        // Held as the platform holds it, by a live process other than the command (this one).
        lockDataDir(dataDir, 'the platform (npm start)');
        const refused = await deadLetters(['list'], { DATA_DIR: dataDir });
        expect(refused.code).toBe(1);
        expect(refused.err.trim()).toBe(
          `dead letters: ${dataDir} is in use by the platform (npm start) (pid ${process.pid}, lock ${join(dataDir, 'huijie.lock')}); stop it or set DATA_DIR`,
        );
      }, 60_000);
    });
  },
);
