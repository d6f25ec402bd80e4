import { AgencyStatusV1 } from '@huijie/contracts/events/agency-status-v1.ts';
import { agencyStatusTopic } from '@huijie/contracts/topics.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnCase } from '../actions/act-on-case.ts';
import { departments, seedRoutedCase } from '../consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { casesAppOnKafka, issueAgencyKey } from '../http/api-fixtures.ts';
import { remindDueSoon, sweepOverdue } from '../sla/sla-sweeper.ts';
import { relayOnce } from './relay.ts';

const servers = await requireServers('postgres', 'kafka');

const { judicialOffice: lead, policeStation: police, labourInspection: labour } = departments;

const hour = 3600 * 1000;
const day = 24 * hour;

describe.runIf(servers)("what a case's departments are told on their agency status topics", () => {
  let db: CasesDb;
  let app: FastifyInstance;
  let drop: () => Promise<void>;
  const agency = { 'x-api-key': 'key-jiangshan' };

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
    await issueAgencyKey(db, 'key-jiangshan', lead);
    app = await casesAppOnKafka(db, servers!.kafkaBrokers!, 'agency-status');
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  const act = (caseId: string, action: string, payload: object = {}) =>
    app.inject({ method: 'POST', url: `/v1/cases/${caseId}/${action}`, headers: agency, payload });

  /** The notices of a matter in the outbox, oldest first, as [topic, notice]. */
  const notices = async (disputeId: string) =>
    (
      await db.outboxEvent.findMany({
        where: { eventName: 'agency.status.v1', key: disputeId },
        orderBy: { id: 'asc' },
      })
    ).map((row) => [row.topic, AgencyStatusV1.parse(row.data)] as const);

  /** A case led by the town's judicial office with the police and the labour inspection; the labour inspection withdrawn since. */
  const seedJointCase = async (applicant: { name: string; phone: string; confidential?: boolean }) => {
    const seeded = await seedRoutedCase(db, { applicant, coHandlers: [police, labour] });
    // As a re-routing that left it out leaves it: on the case's record, no longer on the case.
    await db.assignment.updateMany({
      where: { caseId: seeded.caseId, departmentCode: labour.code },
      data: { status: 'withdrawn' },
    });
    return seeded;
  };

  it('the lead records an outcome: each department still on the case gets one `ended`, the summary masked for its role as its webhook does; a withdrawn one none', async () => {
    const guo = await seedJointCase({ name: '郭某', phone: '13900008801' });
    expect((await act(guo.caseId, 'accept')).statusCode).toBe(200);
    expect(await notices(guo.disputeId)).toEqual([]);
    const summary = '老板拒不到场，回拨13900008801，身份证350802198501011234';
    expect(
      (await act(guo.caseId, 'outcome', { kind: 'not_mediated', summary, referredTo: 'arbitration' })).json(),
    ).toMatchObject({ status: 'unresolved' });

    const { routingVersion } = await db.case.findUniqueOrThrow({ where: { id: guo.caseId } });
    const ended = (department: typeof lead | typeof police, role: 'lead' | 'co', told: string) => [
      agencyStatusTopic(department.code),
      {
        kind: 'ended',
        disputeId: guo.disputeId,
        version: routingVersion,
        caseId: guo.caseId,
        department,
        role,
        occurredAt: expect.any(String),
        ended: {
          disputeIds: [guo.disputeId],
          status: 'unresolved',
          outcome: { kind: 'not_mediated', summary: told, referredTo: 'arbitration' },
          result: '调解未成功，已引导仲裁',
        },
      },
    ];
    expect(await notices(guo.disputeId)).toEqual([
      // The lead calls the citizen back: it reads the mobile, as in its copies and its case_result.
      ended(lead, 'lead', '老板拒不到场，回拨13900008801，身份证[身份证号]'),
      ended(police, 'co', '老板拒不到场，回拨[手机号]，身份证[身份证号]'),
    ]);

    // An operator filing it afterwards tells nobody anything new.
    const operator = {
      kind: 'operator' as const,
      claims: { sub: 'city', role: 'operator' as const, scope: '350800', exp: Date.now() / 1000 + 3600 },
    };
    expect(await actOnCase(db, guo.caseId, operator, { type: 'close', by: 'operator:city' })).toMatchObject({
      status: 'closed',
    });
    expect((await notices(guo.disputeId)).map(([, notice]) => notice.kind)).toEqual(['ended', 'ended']);
  });

  it('a confidential (保密) party: nobody reads its name in the summary, nor a mobile, the lead neither', async () => {
    const guo = await seedJointCase({ name: '郭建华', phone: '13900008802', confidential: true });
    expect((await act(guo.caseId, 'accept')).statusCode).toBe(200);
    expect(
      (
        await act(guo.caseId, 'outcome', {
          kind: 'mediated',
          summary: '郭建华与老板达成协议，电话13900008802',
          amount: 3800,
        })
      ).statusCode,
    ).toBe(200);
    const told = (await notices(guo.disputeId)).map(([topic, notice]) => [
      topic,
      notice.role,
      notice.ended?.outcome,
      notice.ended?.result,
    ]);
    const outcome = { kind: 'mediated', summary: '[保密当事人]与老板达成协议，电话[手机号]', amount: 3800 };
    expect(told).toEqual([
      [agencyStatusTopic(lead.code), 'lead', outcome, '调解成功，涉及金额3800元'],
      [agencyStatusTopic(police.code), 'co', outcome, '调解成功，涉及金额3800元'],
    ]);
  });

  it('delivered twice, applied once: every publish of a notice on Kafka carries the same CloudEvents id', async () => {
    const guo = await seedRoutedCase(db, { applicant: { name: '郭某', phone: '13900008803' } });
    expect((await act(guo.caseId, 'accept')).statusCode).toBe(200);
    expect((await act(guo.caseId, 'outcome', { kind: 'withdrawn' })).statusCode).toBe(200);
    const [row] = await db.outboxEvent.findMany({
      where: { eventName: 'agency.status.v1', key: guo.disputeId },
    });

    // A relay of our own, on a namespace of its own, publishes the notice, then again: as after a
    // crash between the publish and marking it published.
    const engine = namespaced(
      createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'status-test' }),
      uniqueName('status'),
    );
    const bus = createEventBus(engine, { source: '/test' });
    try {
      const received: { id: string; kind: string }[] = [];
      const reader = await engine.consume(
        uniqueName('agency'),
        [agencyStatusTopic(lead.code)],
        async (message) => {
          if (message.key === guo.disputeId)
            received.push({ id: message.headers.ce_id!, kind: JSON.parse(message.value.toString()).kind });
        },
      );
      for (let publish = 0; publish < 2; publish++) {
        await db.outboxEvent.update({ where: { id: row!.id }, data: { publishedAt: null } });
        expect(await relayOnce(db, bus)).toBeGreaterThan(0);
      }
      await eventually(() => received.length >= 2, {
        what: 'both publishes of the notice',
        timeoutMs: 30_000,
      });
      await reader.stop();
      expect(received).toEqual([
        { id: row!.eventId, kind: 'ended' },
        { id: row!.eventId, kind: 'ended' },
      ]);
      // A consumer that keeps what it applied by that id applies it once.
      expect(new Set(received.map((message) => message.id)).size).toBe(1);
    } finally {
      await bus.close();
    }
  });

  it('the sweeper reminds the lead of its deadline on its topic: due soon once per deadline, afresh when it moved; overdue once', async () => {
    const guo = await seedJointCase({ name: '郭某', phone: '13900008804' });
    const { dueAt, routingVersion } = await db.case.findUniqueOrThrow({ where: { id: guo.caseId } });
    const reminders = async () =>
      (await notices(guo.disputeId)).map(([topic, notice]) => [
        topic,
        notice.kind,
        notice.role,
        notice.version,
        notice.reminder,
      ]);

    // Two days before: not yet. A day before: due soon, to the lead only; a later sweep not again.
    await remindDueSoon(db, new Date(dueAt!.getTime() - 2 * day), day);
    expect(await reminders()).toEqual([]);
    await remindDueSoon(db, new Date(dueAt!.getTime() - 20 * hour), day);
    await remindDueSoon(db, new Date(dueAt!.getTime() - 10 * hour), day);
    const dueSoon = (at: Date) => [
      agencyStatusTopic(lead.code),
      'reminder',
      'lead',
      routingVersion,
      { level: 'due_soon', dueAt: at.toISOString() },
    ];
    expect(await reminders()).toEqual([dueSoon(dueAt!)]);

    // The deadline came forward (a court's date): reminded of afresh.
    const earlier = new Date(dueAt!.getTime() - 12 * hour);
    await db.case.update({ where: { id: guo.caseId }, data: { dueAt: earlier } });
    await remindDueSoon(db, new Date(earlier.getTime() - 5 * hour), day);
    expect(await reminders()).toEqual([dueSoon(dueAt!), dueSoon(earlier)]);

    // Past it, the sweeper's own reminder: overdue, once, however often it sweeps.
    await sweepOverdue(db, new Date(earlier.getTime() + hour), 3 * day);
    await sweepOverdue(db, new Date(earlier.getTime() + 2 * hour), 3 * day);
    await remindDueSoon(db, new Date(earlier.getTime() + 2 * hour), day);
    expect(await reminders()).toEqual([
      dueSoon(dueAt!),
      dueSoon(earlier),
      [
        agencyStatusTopic(lead.code),
        'reminder',
        'lead',
        routingVersion,
        { level: 'overdue', dueAt: earlier.toISOString() },
      ],
    ]);
  });

  it('a case that has ended gets no reminder', async () => {
    const guo = await seedRoutedCase(db, { applicant: { name: '郭某', phone: '13900008805' } });
    const { dueAt } = await db.case.findUniqueOrThrow({ where: { id: guo.caseId } });
    expect((await act(guo.caseId, 'accept')).statusCode).toBe(200);
    expect((await act(guo.caseId, 'outcome', { kind: 'withdrawn' })).statusCode).toBe(200);
    await remindDueSoon(db, new Date(dueAt!.getTime() - hour), day);
    await sweepOverdue(db, new Date(dueAt!.getTime() + hour), 3 * day);
    expect((await notices(guo.disputeId)).map(([, notice]) => notice.kind)).toEqual(['ended']);
  });
});
