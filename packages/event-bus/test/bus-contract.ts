import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { dlqHeaders } from '@huijie/contracts/cloudevents.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { deadLetterTopic, topics } from '@huijie/contracts/topics.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { eventually, uniqueName } from '@huijie/testing/servers.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusLogger, createEventBus, type EventBus } from '../src/bus.ts';
import { listDeadLetters, redrive } from '../src/dead-letters.ts';
import type { Engine, RawMessage } from '../src/engine.ts';
import { namespaced } from '../src/namespaced-engine.ts';
import { type EngineSpec, openEngine } from './engines.ts';

const fastRetry = { attempts: 3, initialDelayMs: 10, maxDelayMs: 50 };

function intake(sourceRef: string, key = randomUUID()): DisputeReceivedV1 {
  return {
    disputeId: key,
    channel: 'hotline_12345',
    sourceRef,
    revision: 1,
    receivedAt: '2024-08-24T09:00:00+08:00',
    content: `report ${sourceRef}`,
    location: { address: '龙岩市新罗区江山镇' },
    parties: [],
    attachments: [],
  };
}

/** Collects the raw messages of a topic (e.g. a dead-letter topic) with a plain engine consumer. */
async function collectRaw(
  engine: Engine,
  topic: string,
): Promise<{ messages: RawMessage[]; stop: () => Promise<void> }> {
  const messages: RawMessage[] = [];
  const subscription = await engine.consume(uniqueName('raw'), [topic], async (message) => {
    messages.push(message);
  });
  return { messages, stop: () => subscription.stop() };
}

/** Subscribes the group, waits until it has handled `count` events, then stops it, committing them. */
async function handleThenStop(bus: EventBus, group: string, topic: string, count: number): Promise<void> {
  let handled = 0;
  const subscription = await bus.subscribe({
    group,
    topics: [topic],
    handlers: {
      'dispute.intake.v1': async () => {
        handled++;
      },
    },
  });
  await eventually(() => handled === count, { what: `${count} events handled` });
  await subscription.stop();
}

/**
 * The behaviour every engine must have. Each test uses its own topics and groups, so the
 * suite runs against one shared broker or database.
 */
export function busContractSuite(label: string, spec: () => EngineSpec) {
  describe(`EventBus contract: ${label}`, () => {
    const open: EventBus[] = [];
    const children: ChildProcess[] = [];
    async function newBus(options: { logger?: BusLogger } = {}): Promise<EventBus> {
      const bus = createEventBus(await openEngine(spec()), {
        source: '/test/contract',
        retry: fastRetry,
        ...options,
      });
      open.push(bus);
      return bus;
    }
    async function closeBus(bus: EventBus) {
      open.splice(open.indexOf(bus), 1);
      await bus.close();
    }
    afterEach(async () => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });

    it('delivers every published event, in order per key', async () => {
      const bus = await newBus();
      const topic = uniqueName('t-order');
      await bus.ensureTopics([topic], 3);
      const keys = [randomUUID(), randomUUID(), randomUUID()];
      const events = Array.from({ length: 60 }, (_, i) => ({ key: keys[i % 3]!, seq: i }));
      // Published in several calls, as concurrent requests would.
      for (let i = 0; i < events.length; i += 10) {
        await bus.publish(
          events.slice(i, i + 10).map(({ key, seq }) => ({
            name: 'dispute.intake.v1' as const,
            key,
            topic,
            data: intake(String(seq), key),
          })),
        );
      }
      const seen = new Map<string, number[]>();
      await bus.subscribe({
        group: uniqueName('g'),
        topics: [topic],
        handlers: {
          'dispute.intake.v1': async (event, ctx) => {
            seen.set(ctx.key, [...(seen.get(ctx.key) ?? []), Number(event.sourceRef)]);
          },
        },
      });
      await eventually(() => [...seen.values()].flat().length >= 60, { what: '60 events' });
      for (const key of keys) {
        const expected = events.filter((e) => e.key === key).map((e) => e.seq);
        expect(seen.get(key)).toEqual(expected);
      }
    });

    it('shares partitions between two consumers of one group, while another group sees everything', async () => {
      const bus = await newBus();
      const topic = uniqueName('t-groups');
      await bus.ensureTopics([topic], 4);
      const group = uniqueName('shared');
      const byMember: string[][] = [[], []];
      const other: string[] = [];
      for (const member of [0, 1]) {
        await bus.subscribe({
          group,
          topics: [topic],
          handlers: { 'dispute.intake.v1': async (event) => void byMember[member]!.push(event.sourceRef) },
        });
      }
      await bus.subscribe({
        group: uniqueName('other'),
        topics: [topic],
        handlers: { 'dispute.intake.v1': async (event) => void other.push(event.sourceRef) },
      });
      // Let the group settle before publishing, so the work is split rather than taken by the first joiner.
      await new Promise((resolve) => setTimeout(resolve, spec().kind === 'kafka' ? 4_000 : 100));
      const refs = Array.from({ length: 80 }, (_, i) => `r${i}`);
      await bus.publish(
        refs.map((ref) => ({
          name: 'dispute.intake.v1' as const,
          key: randomUUID(),
          topic,
          data: intake(ref),
        })),
      );
      await eventually(() => byMember[0]!.length + byMember[1]!.length >= 80 && other.length >= 80, {
        what: 'both groups to finish',
        timeoutMs: 40_000,
      });
      expect([...byMember[0]!, ...byMember[1]!].sort()).toEqual([...refs].sort());
      expect(byMember[0]!.length).toBeGreaterThan(0);
      expect(byMember[1]!.length).toBeGreaterThan(0);
      expect([...other].sort()).toEqual([...refs].sort());
    });

    it('after a graceful stop, a restart resumes from the committed offset and redelivers nothing', async () => {
      const topic = uniqueName('t-restart');
      const group = uniqueName('g');
      const first = await newBus();
      await first.ensureTopics([topic], 1);
      const key = randomUUID();
      const publish = (bus: EventBus, from: number, to: number) =>
        bus.publish(
          Array.from({ length: to - from }, (_, i) => ({
            name: 'dispute.intake.v1' as const,
            key,
            topic,
            data: intake(String(from + i), key),
          })),
        );
      await publish(first, 0, 5);
      await handleThenStop(first, group, topic, 5);
      expect(await first.engine.committedOffsets(group, topic)).toEqual(new Map([[0, '5']]));
      await publish(first, 5, 10);
      await closeBus(first);

      const second = await newBus();
      const seenSecond: { ref: string; offset: string }[] = [];
      await second.subscribe({
        group,
        topics: [topic],
        handlers: {
          'dispute.intake.v1': async (event, ctx) =>
            void seenSecond.push({ ref: event.sourceRef, offset: ctx.offset }),
        },
      });
      await eventually(() => seenSecond.length >= 5, { what: 'the last five' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seenSecond.map((s) => s.ref)).toEqual(['5', '6', '7', '8', '9']);
      expect(seenSecond[0]!.offset).toBe('5');
    });

    it('tells how far a group is behind: all that was written before it reads, nothing once it has committed', async () => {
      const bus = await newBus();
      const topic = uniqueName('t-lag');
      const group = uniqueName('g');
      await bus.ensureTopics([topic], 2);
      // Keys of their own: the seven spread over both partitions.
      await bus.publish(
        Array.from({ length: 7 }, (_, i) => ({
          name: 'dispute.intake.v1' as const,
          key: randomUUID(),
          topic,
          data: intake(String(i)),
        })),
      );
      expect(await bus.engine.lag(group, topic)).toBe(7);
      await handleThenStop(bus, group, topic, 7);
      expect(await bus.engine.lag(group, topic)).toBe(0);
    });

    it('after a kill -9 mid-handler, the unacknowledged message is delivered again and nothing is lost', async () => {
      const topic = uniqueName('t-crash');
      const group = uniqueName('g');
      const setup = await newBus();
      await setup.ensureTopics([topic], 1);
      const key = randomUUID();
      const refs = ['0', '1', '2', '3', '4', 'hang', '6', '7'];
      await setup.publish(
        refs.map((ref) => ({ name: 'dispute.intake.v1' as const, key, topic, data: intake(ref, key) })),
      );
      // The embedded engine's PGlite is single-process: hand the data directory to the child.
      await closeBus(setup);

      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'crash-consumer.ts')],
        {
          env: { ...process.env, ENGINE_SPEC: JSON.stringify(spec()), GROUP: group, TOPIC: topic },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.push(child);
      const lines: string[] = [];
      createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
      await eventually(() => lines.includes('hanging 5'), {
        what: 'the child to hang on offset 5',
        timeoutMs: 40_000,
      });
      // Give the child's periodic commit a chance to run: the test must hold however much was committed.
      await new Promise((resolve) => setTimeout(resolve, 700));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const after = await newBus();
      const committed = Number((await after.engine.committedOffsets(group, topic)).get(0));
      expect(committed).toBeLessThanOrEqual(5);
      const redelivered: { ref: string; offset: number }[] = [];
      await after.subscribe({
        group,
        topics: [topic],
        handlers: {
          'dispute.intake.v1': async (event, ctx) =>
            void redelivered.push({ ref: event.sourceRef, offset: Number(ctx.offset) }),
        },
      });
      await eventually(() => redelivered.some((r) => r.ref === '7'), {
        what: 'the end of the log',
        timeoutMs: 40_000,
      });
      expect(redelivered[0]!.offset).toBe(committed);
      expect(redelivered.map((r) => r.ref)).toEqual(refs.slice(committed));
    });

    it('retries a failing handler with backoff, and commits once it succeeds', async () => {
      const bus = await newBus();
      const topic = uniqueName('t-retry');
      const group = uniqueName('g');
      await bus.ensureTopics([topic], 1);
      const attempts: number[] = [];
      await bus.subscribe({
        group,
        topics: [topic],
        handlers: {
          'dispute.intake.v1': async (_event, ctx) => {
            attempts.push(ctx.attempt);
            if (ctx.attempt < 3) throw new Error('database busy');
          },
        },
      });
      const dlq = await collectRaw(bus.engine, deadLetterTopic(topic));
      await bus.publish([{ name: 'dispute.intake.v1', key: randomUUID(), topic, data: intake('flaky') }]);
      await eventually(async () => (await bus.engine.committedOffsets(group, topic)).get(0) === '1', {
        what: 'the commit',
      });
      expect(attempts).toEqual([1, 2, 3]);
      expect(dlq.messages).toEqual([]);
    });

    it('many handlers retrying at once is no listener leak: no MaxListenersExceededWarning', async () => {
      // Each retry's sleep listens on the subscription's stop signal, which all its handlers share.
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
      process.on('warning', onWarning);
      try {
        const bus = await newBus();
        const topic = uniqueName('t-retry-many');
        await bus.ensureTopics([topic], 1);
        const concurrency = 16;
        let started = 0;
        const handled = new Set<string>();
        await bus.subscribe({
          group: uniqueName('g'),
          topics: [topic],
          concurrency,
          handlers: {
            'dispute.intake.v1': async (event, ctx) => {
              if (ctx.attempt === 1) {
                // All fail together, so all are waiting to retry at the same time.
                started++;
                await eventually(() => started === concurrency, { what: 'every handler started' });
                throw new Error('database busy');
              }
              handled.add(event.sourceRef);
            },
          },
        });
        await bus.publish(
          Array.from({ length: concurrency }, (_, i) => ({
            name: 'dispute.intake.v1' as const,
            key: randomUUID(),
            topic,
            data: intake(`r${i}`),
          })),
        );
        await eventually(() => handled.size === concurrency, { what: 'every event handled on its retry' });
        expect(warnings.filter((warning) => warning.includes('MaxListeners'))).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('dead-letters a poison message with its origin and error, and the partition moves on', async () => {
      // The service's logger (redaction and all), its lines kept: one warning per message parked.
      const { logger, lines } = capturedLogger('contract');
      const bus = await newBus({ logger });
      const topic = uniqueName('t-poison');
      await bus.ensureTopics([topic], 1);
      const dlq = await collectRaw(bus.engine, deadLetterTopic(topic));
      const handled: string[] = [];
      const group = uniqueName('poison');
      await bus.subscribe({
        group,
        topics: [topic],
        handlers: {
          'dispute.intake.v1': async (event) => {
            if (event.sourceRef === 'poison') throw new Error('cannot route this');
            handled.push(event.sourceRef);
          },
        },
      });
      const key = randomUUID();
      const good = await buildRaw(bus, topic, key, intake('before', key));
      const notJson = { ...good, value: Buffer.from('{not json') };
      // Not the schema (no content), with a caller's name and mobile beside what is wrong.
      const caller = { role: 'caller', name: '郭某某', phone: '13912345678' } as const;
      const invalid = {
        ...good,
        value: Buffer.from(JSON.stringify({ ...intake('x', key), content: '', parties: [caller] })),
      };
      await bus.engine.produce([good, notJson, invalid]);
      await bus.publish([
        { name: 'dispute.intake.v1', key, topic, data: intake('poison', key) },
        { name: 'dispute.intake.v1', key, topic, data: intake('after', key) },
      ]);
      await eventually(() => handled.includes('after') && dlq.messages.length === 3, {
        what: 'dead letters',
      });
      expect(handled).toEqual(['before', 'after']);
      const [bad, wrong, poison] = dlq.messages;
      expect(bad!.value.toString()).toBe('{not json');
      expect(bad!.headers[dlqHeaders.error]).toMatch(/^body: not JSON/);
      expect(wrong!.headers[dlqHeaders.error]).toMatch(/content/);
      expect(poison!.key).toBe(key);
      expect(JSON.parse(poison!.value.toString()).sourceRef).toBe('poison');
      expect(poison!.headers).toMatchObject({
        ce_type: 'cn.huijie.dispute.intake.v1',
        [dlqHeaders.topic]: topic,
        [dlqHeaders.partition]: '0',
        [dlqHeaders.offset]: '3',
        [dlqHeaders.group]: group,
        [dlqHeaders.error]: 'handler: cannot route this',
        [dlqHeaders.attempts]: '3',
      });
      // Each dead letter is one warning naming the group, where the message was and why, and the
      // event when its headers say; never what the message holds.
      const warnings = lines.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
      expect(warnings).toHaveLength(3);
      const [badLine, wrongLine, poisonLine] = [1, 2, 3].map((offset) =>
        warnings.find((line) => line.offset === String(offset)),
      );
      const origin = {
        service: 'contract',
        group,
        topic,
        partition: 0,
        deadLetterTopic: deadLetterTopic(topic),
      };
      expect(badLine).toMatchObject({ ...origin, eventType: 'cn.huijie.dispute.intake.v1', attempts: 0 });
      expect(badLine.reason).toMatch(/^body: not JSON/);
      expect(wrongLine).toMatchObject({ ...origin, eventId: good.headers.ce_id, attempts: 0 });
      expect(wrongLine.reason).toMatch(/^body: invalid dispute\.intake\.v1: content: /);
      expect(poisonLine).toMatchObject({
        ...origin,
        eventType: 'cn.huijie.dispute.intake.v1',
        eventId: poison!.headers.ce_id,
        attempts: 3,
        reason: 'handler: cannot route this',
      });
      for (const line of lines) {
        expect(line).not.toContain(caller.name);
        expect(line).not.toContain(caller.phone);
        expect(line).not.toContain('江山镇');
        expect(line).not.toContain('report poison');
      }
      await dlq.stop();
    });

    it("lists a group's dead letters without their content, sends them again to that group alone, once", async () => {
      // The platform's own topic names, in a namespace of this test's: dead letters are looked for
      // on the dead-letter topics of the topics the platform consumes.
      const engine = namespaced(await openEngine(spec()), uniqueName('dl'));
      const bus = createEventBus(engine, { source: '/test/contract', retry: fastRetry });
      open.push(bus);
      await bus.ensureTopics([topics.intake], 2);
      let mended = false;
      const handledBy = { mender: [] as string[], bystander: [] as string[] };
      for (const group of ['mender', 'bystander'] as const)
        await bus.subscribe({
          group,
          topics: [topics.intake],
          handlers: {
            'dispute.intake.v1': async (event) => {
              if (group === 'mender' && event.sourceRef.startsWith('fails') && !mended)
                throw new Error(`cannot file ${event.sourceRef} yet`);
              handledBy[group].push(event.sourceRef);
            },
          },
        });
      const published = ['before', 'fails-1', 'fails-2', 'after'].map((sourceRef) => {
        const key = randomUUID();
        const data = { ...intake(sourceRef, key), content: `郭某某 13912345678 ${sourceRef}` };
        return { name: 'dispute.intake.v1' as const, key, id: randomUUID(), data };
      });
      for (const event of published) await bus.publish([event]);
      await eventually(() => handledBy.mender.includes('after') && handledBy.bystander.length === 4, {
        what: 'both groups past the failures',
      });
      const parked = await eventually(
        async () => {
          const letters = await listDeadLetters(engine);
          return letters.length === 2 ? letters : undefined;
        },
        { what: 'two dead letters' },
      );
      const failing = published.filter((event) => event.data.sourceRef.startsWith('fails'));
      expect(parked.map((letter) => letter.eventId).sort()).toEqual(failing.map((event) => event.id).sort());
      for (const letter of parked)
        expect(letter).toMatchObject({
          topic: deadLetterTopic(topics.intake),
          group: 'mender',
          from: { topic: topics.intake },
          eventType: 'cn.huijie.dispute.intake.v1',
          attempts: '3',
          reason: expect.stringMatching(/^handler: cannot file fails-\d yet$/),
          redriven: false,
        });
      // What a dead letter says is what its log line said: never the report itself.
      expect(JSON.stringify(parked)).not.toMatch(/郭某某|13912345678/);
      expect(await listDeadLetters(engine, { group: 'bystander' })).toEqual([]);

      // Mended: sent again, the mender files them; the bystander, which filed them the first time, does not again.
      mended = true;
      expect(await redrive(engine, { group: 'mender' }, { dryRun: true })).toHaveLength(2);
      expect((await listDeadLetters(engine)).filter((letter) => letter.redriven)).toEqual([]);
      const sent = await redrive(engine, { group: 'mender' });
      expect(sent.map((letter) => letter.eventId).sort()).toEqual(failing.map((event) => event.id).sort());
      await eventually(() => handledBy.mender.filter((ref) => ref.startsWith('fails')).length === 2, {
        what: 'the mender to file what it parked',
      });
      await eventually(async () => (await engine.lag('bystander', topics.intake)) === 0, {
        what: 'the bystander past what was sent again',
      });
      expect(handledBy.bystander.sort()).toEqual(['after', 'before', 'fails-1', 'fails-2']);
      expect((await listDeadLetters(engine)).map((letter) => letter.redriven)).toEqual([true, true]);
      // Sent once: a second redrive has nothing to send, and the mender files nothing twice.
      expect(await redrive(engine, { group: 'mender' })).toEqual([]);
      await eventually(async () => (await engine.lag('mender', topics.intake)) === 0, {
        what: 'the mender idle',
      });
      expect(handledBy.mender.sort()).toEqual(['after', 'before', 'fails-1', 'fails-2']);
    });

    it('refuses to publish text PostgreSQL cannot store, and dead-letters such a message at once: no retries holding the partition', async () => {
      const bus = await newBus();
      const topic = uniqueName('t-unstorable');
      await bus.ensureTopics([topic], 1);
      const dlq = await collectRaw(bus.engine, deadLetterTopic(topic));
      const handled: string[] = [];
      await bus.subscribe({
        group: uniqueName('unstorable'),
        topics: [topic],
        handlers: {
          'dispute.intake.v1': async (event) => {
            handled.push(event.sourceRef);
          },
        },
      });
      const key = randomUUID();
      const nul = { ...intake('nul', key), content: '噪音扰民\u0000' };
      await expect(bus.publish([{ name: 'dispute.intake.v1', key, topic, data: nul }])).rejects.toThrow(
        /NUL/,
      );
      // Written by a producer that does not check (an older release, another client): parked once.
      const good = await buildRaw(bus, topic, key, intake('before', key));
      await bus.engine.produce([good, { ...good, value: Buffer.from(JSON.stringify(nul)) }]);
      await bus.publish([{ name: 'dispute.intake.v1', key, topic, data: intake('after', key) }]);
      await eventually(() => handled.includes('after') && dlq.messages.length === 1, { what: 'dead letter' });
      expect(handled).toEqual(['before', 'after']);
      expect(dlq.messages[0]!.headers).toMatchObject({
        [dlqHeaders.attempts]: '0',
        [dlqHeaders.error]:
          'body: invalid dispute.intake.v1: content: must not contain the NUL character (\\u0000)',
      });
      await dlq.stop();
    });

    it('a graceful stop waits for the message in flight and commits it', async () => {
      const bus = await newBus();
      const topic = uniqueName('t-stop');
      const group = uniqueName('g');
      await bus.ensureTopics([topic], 1);
      let started = false;
      let finished = false;
      const sub = await bus.subscribe({
        group,
        topics: [topic],
        handlers: {
          'dispute.intake.v1': async () => {
            started = true;
            await new Promise((resolve) => setTimeout(resolve, 800));
            finished = true;
          },
        },
      });
      await bus.publish([{ name: 'dispute.intake.v1', key: randomUUID(), topic, data: intake('slow') }]);
      await eventually(() => started, { what: 'the handler to start' });
      await sub.stop();
      expect(finished).toBe(true);
      expect((await bus.engine.committedOffsets(group, topic)).get(0)).toBe('1');
    });

    it('a graceful stop finishes what lies before the furthest message started, so a restart handles nothing again', async () => {
      const bus = await newBus();
      const topic = uniqueName('t-stop-prefix');
      const group = uniqueName('g');
      await bus.ensureTopics([topic], 1);
      const [a, b] = [randomUUID(), randomUUID()];
      // Offsets 0 and 1 are one dispute's (1 waits for 0), offset 2 another's (it may overtake them).
      await bus.publish(
        (
          [
            ['slow', a],
            ['after-slow', a],
            ['other', b],
          ] as const
        ).map(([ref, key]) => ({ name: 'dispute.intake.v1' as const, key, topic, data: intake(ref, key) })),
      );
      const seen: string[] = [];
      const sub = await bus.subscribe({
        group,
        topics: [topic],
        concurrency: 2,
        handlers: {
          'dispute.intake.v1': async (event) => {
            if (event.sourceRef === 'slow') await new Promise((resolve) => setTimeout(resolve, 800));
            seen.push(event.sourceRef);
          },
        },
      });
      await eventually(() => seen.includes('other'), { what: 'the other dispute handled first' });
      await sub.stop();
      // Offset 2 is handled: so are 0 and 1, and the commit covers all three.
      expect(seen).toEqual(['other', 'slow', 'after-slow']);
      expect((await bus.engine.committedOffsets(group, topic)).get(0)).toBe('3');
    });
  });
}

/** A well-formed raw record, built the way the bus builds one, to be mutated into poison. */
async function buildRaw(bus: EventBus, topic: string, key: string, data: DisputeReceivedV1) {
  let captured: Parameters<Engine['produce']>[0][number] | undefined;
  const capture = createEventBus(
    {
      ...bus.engine,
      produce: async (records) => {
        captured = records[0];
      },
    },
    { source: '/test/contract' },
  );
  await capture.publish([{ name: 'dispute.intake.v1', key, topic, data }]);
  return captured!;
}
