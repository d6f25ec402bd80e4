import { randomUUID } from 'node:crypto';
import { catalogue, type EventName } from '@huijie/contracts/catalogue.ts';
import { dlqHeaders, toHeaders } from '@huijie/contracts/cloudevents.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import { listDeadLetters, redrive } from '@huijie/event-bus/dead-letters.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { normaliseWorkOrder, WorkOrder } from '@huijie/ingest-12345/work-order.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingDone } from './checks.ts';
import { type KafkaProbe, kafkaProbe } from './kafka.ts';
import type { ServiceName } from './processes.ts';
import { Pusher, workOrder } from './pusher.ts';
import { type Stack, startStack } from './stack.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

/** Every topic a service consumes, and who consumes it (each consumer group is named after its service). */
const table: { topic: EventName; consumers: ServiceName[] }[] = [
  { topic: 'dispute.intake.v1', consumers: ['routing', 'cases'] },
  { topic: 'dispute.assignment.v1', consumers: ['cases', 'notify'] },
  { topic: 'case.status.v1', consumers: ['notify', 'ingest-wechat'] },
  { topic: 'case.escalation.v1', consumers: ['notify'] },
  { topic: 'case.correction.v1', consumers: ['routing'] },
  { topic: 'operator.access.v1', consumers: ['notify'] },
];

/** Three kinds of poison, each put first on every partition of every topic. */
const poisons = [
  { kind: 'not JSON', value: () => '{"disputeId": "cut off', typed: true, error: /^body: not JSON/ },
  { kind: 'not the schema', value: () => '{"hello":"world"}', typed: true, error: /^body: invalid / },
  { kind: 'no CloudEvents headers', value: () => '{}', typed: false, error: /^header ce_/ },
];

/** Events handled by a consumer group on a topic, from the service's /metrics. */
async function handled(url: string, group: string, topic: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return text
    .split('\n')
    .filter(
      (line) =>
        line.startsWith('huijie_event_handler_duration_seconds_count{') &&
        line.includes(`group="${group}"`) &&
        line.includes(`topic="${topic}"`),
    )
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * A message nobody can process — cut-off JSON, JSON that is not the event, no CloudEvents
 * headers — placed first on every partition of every topic a service consumes. Each consumer
 * group parks each one on `<topic>.dlq` with its origin and the reason, once, and the events
 * behind it on the same partitions are handled: real pushes go all the way through.
 */
describe.runIf(servers)('poison messages on every consumed topic (services in their own processes)', () => {
  let stack: Stack;
  let probe: KafkaProbe;
  let bus: EventBus;
  let pusher: Pusher;
  let partitions: number;
  const before = new Map<string, number>();

  beforeAll(async () => {
    stack = await startStack({
      brokers: servers!.kafkaBrokers!,
      postgresUrl: servers!.databaseUrl!,
      redisUrl: servers!.redisUrl!,
      withWechat: true,
    });
    probe = kafkaProbe(servers!.kafkaBrokers!);
    bus = createEventBus(
      namespaced(
        createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'faults-poison' }),
        stack.namespace,
      ),
      { source: '/test/faults' },
    );
    const ends = await probe.ends(`${stack.namespace}.dispute.intake.v1`);
    partitions = ends.size;
    for (const { topic } of table) {
      await probe.produce(
        `${stack.namespace}.${topic}`,
        poisons.flatMap((poison) =>
          Array.from({ length: partitions }, (_, partition) => ({
            partition,
            key: `poison-${poison.kind}-${partition}`,
            value: poison.value(),
            headers: poison.typed
              ? toHeaders({
                  id: randomUUID(),
                  type: catalogue[topic].type,
                  source: '/test/poison',
                  time: new Date().toISOString(),
                })
              : {},
          })),
        ),
      );
    }
    // Every poison parked by every group before anything else is sent: what follows comes after it.
    for (const { topic, consumers } of table) {
      await eventually(
        async () =>
          (await probe.count(`${stack.namespace}.${topic}.dlq`)) ===
          consumers.length * poisons.length * partitions,
        { what: `the poison of ${topic} to be parked`, timeoutMs: 60_000, intervalMs: 500 },
      );
      for (const service of consumers)
        before.set(`${service} ${topic}`, await handled(stack.services[service].url, service, topic));
    }

    pusher = new Pusher({
      url: () => stack.services['ingest-12345'].url,
      client: stack.client,
      tag: `poison-${stack.namespace.slice(-8)}`,
      perSecond: 10,
    });
    await pusher.burst(12);
    // The topics no push reaches: an escalation, an operator's correction of another dispute, an
    // operator's account.
    const other = normaliseWorkOrder(
      WorkOrder.parse(workOrder(`poison-other-${randomUUID()}`, '13912345678')),
      {
        clientId: stack.client.id,
      },
    );
    await bus.publish([
      {
        name: 'case.escalation.v1',
        key: randomUUID(),
        data: {
          caseId: randomUUID(),
          level: 'township',
          previousLevel: null,
          reason: 'manual',
          occurredAt: new Date().toISOString(),
          divisionCode: '350802107',
          category: 'labor',
          dueAt: null,
        },
      },
      {
        name: 'case.correction.v1',
        key: other.disputeId,
        data: {
          caseId: randomUUID(),
          version: 2,
          dispute: other,
          currentDepartments: [],
          currentAssignments: [],
          corrected: { category: 'labor' },
          by: 'test-operator',
          reason: 'poison test',
          occurredAt: new Date().toISOString(),
        },
      },
      {
        name: 'operator.access.v1',
        key: 'poison-test-operator',
        data: {
          username: 'poison-test-operator',
          status: 'disabled',
          role: 'operator',
          scope: '350802',
          tokensValidFrom: new Date().toISOString(),
          occurredAt: new Date().toISOString(),
        },
      },
    ]);
  }, 240_000);

  afterAll(async () => {
    await bus?.close();
    await probe?.close();
    await stack?.release();
  });

  it.each(table.flatMap(({ topic, consumers }) => consumers.map((service) => ({ topic, service }))))(
    '$topic, $service: each poison parked once on the dead-letter topic with its origin, later events handled',
    async ({ topic, service }) => {
      const parked = (await probe.read(`${stack.namespace}.${topic}.dlq`)).filter(
        (record) => record.headers[dlqHeaders.group] === service,
      );
      expect(parked).toHaveLength(poisons.length * partitions);
      for (const poison of poisons) {
        const these = parked.filter((record) => record.key.startsWith(`poison-${poison.kind}-`));
        expect(these.map((record) => record.headers[dlqHeaders.partition]).sort()).toEqual(
          Array.from({ length: partitions }, (_, partition) => String(partition)).sort(),
        );
        for (const record of these) {
          expect(record.value).toBe(poison.value());
          expect(record.headers[dlqHeaders.topic]).toBe(topic);
          expect(record.headers[dlqHeaders.offset]).toMatch(/^\d+$/);
          expect(record.headers[dlqHeaders.error]).toMatch(poison.error);
        }
      }
      await eventually(
        async () =>
          (await handled(stack.services[service].url, service, topic)) > before.get(`${service} ${topic}`)!,
        { what: `${service} to handle ${topic} after the poison`, timeoutMs: 60_000, intervalMs: 500 },
      );
    },
    90_000,
  );

  it("an engineer sends routing's dead letters of the intake again: routing parks them again (still poison), cases does not see them", async () => {
    const engine = bus.engine;
    const topic = 'dispute.intake.v1';
    const perGroup = poisons.length * partitions;
    const byGroup = async () => {
      const counts: Record<string, number> = {};
      for (const { group } of await listDeadLetters(engine, { topic }))
        counts[String(group)] = (counts[String(group)] ?? 0) + 1;
      return counts;
    };
    expect(await byGroup()).toEqual({ routing: perGroup, cases: perGroup });
    const sent = await redrive(engine, { group: 'routing', topic });
    expect(sent).toHaveLength(perGroup);
    await eventually(async () => (await byGroup()).routing === 2 * perGroup, {
      what: 'routing to park them again',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    await eventually(async () => (await engine.lag('cases', topic)) === 0, { what: 'cases past them' });
    // Cases read them and let them pass: its own dead letters are the ones it parked the first time.
    expect(await byGroup()).toEqual({ routing: 2 * perGroup, cases: perGroup });
    const routing = await listDeadLetters(engine, { group: 'routing', topic });
    expect(routing.filter((letter) => letter.redriven)).toHaveLength(perGroup);
    expect(await redrive(engine, { group: 'routing', topic }, { dryRun: true })).toHaveLength(perGroup);
  }, 120_000);

  it('the pushes made after the poison all became cases, and every service is still running', async () => {
    await everythingDone(stack, pusher, 90_000);
    expect(Object.values(stack.services).flatMap((service) => service.unexpectedExits)).toEqual([]);
  }, 120_000);
});
