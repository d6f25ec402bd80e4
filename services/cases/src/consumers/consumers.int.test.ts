import { randomUUID } from 'node:crypto';
import { routedDeadlines } from '@huijie/contracts/deadlines.ts';
import type { CaseCorrectedV1 } from '@huijie/contracts/events/case-correction-v1.ts';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { normaliseReferral, referralSchema, validateReferral } from '@huijie/ingest-courts/referral.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnCase } from '../actions/act-on-case.ts';
import { correctCase, mergeCases } from '../actions/reshape-case.ts';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import type { Actor } from '../http/actor.ts';
import { rebuildCaseStats, statisticsSnapshot } from '../stats/rollup.ts';
import { caseIdFor } from './open-case.ts';
import { type CasesEvent, recordAssignment, recordEvents, recordIntake } from './record-events.ts';

const servers = await requireServers('postgres');

function intake(): DisputeReceivedV1 {
  return {
    disputeId: randomUUID(),
    channel: 'hotline_12345',
    sourceRef: `GD-${randomUUID()}`,
    revision: 1,
    receivedAt: '2024-08-24T09:30:00+08:00',
    content: '老板拖欠工资',
    location: { address: '新罗区江山镇' },
    // A phone of its own: the same caller again would be a repeat of the same matter.
    parties: [
      { role: 'caller', kind: 'person', name: '郭某', phone: `138${Math.floor(Math.random() * 1e8)}` },
    ],
    attachments: [],
  };
}

function decision(
  dispute: DisputeReceivedV1,
  version = 1,
  lead = '350802107-judicial_office',
): DisputeAssignedV1 {
  return {
    disputeId: dispute.disputeId,
    version,
    decidedAt: new Date().toISOString(),
    jurisdiction: {
      cityCode: '350800',
      countyCode: '350802',
      townCode: '350802107',
      names: ['龙岩市', '新罗区', '江山镇'],
      resolution: 'exact',
    },
    category: 'labor',
    severity: 'normal',
    lead: { code: lead, kind: 'judicial_office', name: '江山镇司法所', divisionCode: '350802107' },
    coHandlers: [],
    dueAt: '2024-09-03T09:30:00+08:00',
    expressLane: null,
    triage: null,
    trace: {
      rulesVersion: 'test',
      rules: [],
      place: { how: 'exact', evidence: 'address', candidates: [] },
      category: { source: 'text', confidence: 0.9 },
    },
    dispute,
  };
}

describe.runIf(servers)('cases consumers on PostgreSQL', () => {
  let db: CasesDb;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
  });
  afterAll(async () => {
    await drop?.();
  });

  const snapshot = async (caseId: string) => ({
    cases: await db.case.count({ where: { id: caseId } }),
    reports: await db.report.count({ where: { caseId } }),
    parties: await db.party.count({ where: { caseId } }),
    history: (await db.historyEntry.findMany({ where: { caseId }, orderBy: { id: 'asc' } })).map(
      (h) => h.type,
    ),
    outbox: await db.outboxEvent.count({ where: { key: caseId } }),
    assignments: await db.assignment.count({ where: { caseId } }),
  });

  it('an intake delivered twice opens one case', async () => {
    const dispute = intake();
    await recordIntake(db, dispute);
    await recordIntake(db, dispute);
    expect(await snapshot(caseIdFor(dispute.disputeId))).toEqual({
      cases: 1,
      reports: 1,
      parties: 1,
      history: ['received'],
      outbox: 1,
      assignments: 0,
    });
  });

  it('an assignment delivered twice is applied once', async () => {
    const dispute = intake();
    await recordIntake(db, dispute);
    await recordAssignment(db, decision(dispute));
    await recordAssignment(db, decision(dispute));
    const caseId = caseIdFor(dispute.disputeId);
    expect(await snapshot(caseId)).toMatchObject({
      history: ['received', 'assigned'],
      outbox: 2,
      assignments: 1,
    });
    expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).status).toBe('assigned');
  });

  it('concurrent deliveries of the same intake and its assignment end in one case', async () => {
    const dispute = intake();
    const attempt = async (work: () => Promise<void>) => {
      // The loser of a race hits a unique key and is retried, as the bus's runner would.
      for (let i = 0; i < 5; i++) {
        try {
          return await work();
        } catch {}
      }
    };
    await Promise.all([
      attempt(() => recordIntake(db, dispute)),
      attempt(() => recordIntake(db, dispute)),
      attempt(() => recordAssignment(db, decision(dispute))),
      attempt(() => recordAssignment(db, decision(dispute))),
    ]);
    expect(await snapshot(caseIdFor(dispute.disputeId))).toMatchObject({
      cases: 1,
      reports: 1,
      parties: 1,
      history: ['received', 'assigned'],
      assignments: 1,
    });
  });

  it('reports of one caller routed at the same moment (consumers handle several at once) still fold into one case', async () => {
    const phone = `139${Math.floor(Math.random() * 1e8)}`;
    const reports = Array.from({ length: 4 }, () => {
      const dispute = intake();
      dispute.parties = [{ role: 'caller', kind: 'person', phone }];
      return dispute;
    });
    await Promise.all(reports.map((dispute) => recordAssignment(db, decision(dispute))));
    const cases = await db.report.groupBy({
      by: ['caseId'],
      where: { disputeId: { in: reports.map((dispute) => dispute.disputeId) } },
      _count: true,
    });
    expect(cases).toHaveLength(1);
    expect(cases[0]!._count).toBe(4);
  });

  it("a repeat folded into an open case withdraws its own decision from its departments' topics, pointed at the case it joined, once", async () => {
    const phone = `135${Math.floor(Math.random() * 1e8)}`;
    const [first, repeat] = [intake(), intake()];
    for (const report of [first, repeat]) report.parties = [{ role: 'caller', kind: 'person', phone }];
    await recordAssignment(db, decision(first));
    // Routing decided the repeat on its own: a lead the case does not have, and the case's own lead.
    const repeatDecision: DisputeAssignedV1 = {
      ...decision(repeat, 1, '350802-court'),
      coHandlers: [
        {
          code: '350802107-judicial_office',
          kind: 'judicial_office',
          name: '江山镇司法所',
          divisionCode: '350802107',
        },
      ],
    };
    await recordAssignment(db, repeatDecision);
    await recordAssignment(db, repeatDecision);
    const caseId = caseIdFor(first.disputeId);
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: repeat.disputeId } })).caseId).toBe(
      caseId,
    );

    const copies = await db.outboxEvent.findMany({
      where: { eventName: 'agency.assignment.v1', key: repeat.disputeId },
      orderBy: { topic: 'asc' },
    });
    const into = { caseId, disputeId: first.disputeId };
    expect(copies.map((copy) => [copy.topic, copy.data])).toEqual([
      [
        'agency.350802-court.assignment.v1',
        expect.objectContaining({
          disputeId: repeat.disputeId,
          action: 'withdrawn',
          role: null,
          mergedInto: into,
        }),
      ],
      [
        'agency.350802107-judicial_office.assignment.v1',
        expect.objectContaining({
          disputeId: repeat.disputeId,
          action: 'withdrawn',
          role: null,
          mergedInto: into,
        }),
      ],
    ]);
    // Notify withdraws the webhooks' copies from the fold's status, which says where the matter went.
    const merged = await db.outboxEvent.findMany({
      where: { eventName: 'case.status.v1', key: caseIdFor(repeat.disputeId) },
    });
    expect(merged.map((event) => event.data)).toContainEqual(
      expect.objectContaining({ status: 'closed', mergedInto: caseId, mergedIntoDisputeId: first.disputeId }),
    );
  });

  it('court referrals of one applicant under different case numbers stay cases of their own: each number gets its own outcome', async () => {
    // A property company refers its fee claims against three owners of one estate: same phone,
    // same kind of matter, same town — three lawsuits, each to be answered under its own number.
    const phone = `0597${Math.floor(Math.random() * 1e7)}`;
    const referrals = ['张某', '李某', '王某'].map((owner, index): DisputeReceivedV1 => {
      const caseNumber = `（2024）闽0802民诉前调${Math.floor(Math.random() * 1e6)}${index}号`;
      return {
        ...intake(),
        channel: 'court',
        sourceRef: caseNumber,
        sourceClient: 'xl-court',
        content: '案由：物业服务合同纠纷',
        parties: [
          { role: 'applicant', kind: 'organisation', name: '龙岩某物业服务有限公司', phone },
          { role: 'respondent', kind: 'person', name: owner },
        ],
        court: {
          courtCode: '闽0802',
          courtName: '龙岩市新罗区人民法院',
          caseType: '民诉前调',
          referralDate: '2024-08-20',
          referredBy: 'xl-court',
          claims: ['判令被告支付物业费'],
        },
      };
    });
    for (const referral of referrals) await recordAssignment(db, decision(referral));
    for (const referral of referrals) {
      const report = await db.report.findUniqueOrThrow({ where: { disputeId: referral.disputeId } });
      expect(report.caseId).toBe(caseIdFor(referral.disputeId));
    }
  });

  it("a court referral joins the open case its applicant reported on the hotline, however the court's system writes the mobile", async () => {
    const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
    const hotline = intake();
    hotline.parties = [{ role: 'caller', kind: 'person', name: '杨某', phone: `139${digits}` }];
    await recordAssignment(db, decision(hotline));

    const referredAt = new Date('2024-09-01T02:00:00Z');
    const checked = validateReferral(
      referralSchema(() => referredAt),
      {
        caseNumber: `（2024）闽0802民诉前调${Math.floor(Math.random() * 1e6) + 1}号`,
        causeOfAction: { name: '劳动争议' },
        parties: [
          {
            role: 'applicant',
            kind: 'person',
            name: '杨某',
            phone: `+86-139-${digits.slice(0, 4)}-${digits.slice(4)}`,
          },
          { role: 'respondent', kind: 'person', name: '胡某' },
        ],
        claims: ['判令被告支付拖欠工资'],
        referralDate: '2024-08-20',
        mediationDeadline: '2024-09-19',
      },
      referredAt,
    );
    if (!checked.ok) throw checked.error;
    const referral = normaliseReferral(checked.value, { clientId: 'xl-court', receivedAt: referredAt });
    await recordAssignment(db, decision(referral));

    const report = await db.report.findUniqueOrThrow({ where: { disputeId: referral.disputeId } });
    expect(report.caseId).toBe(caseIdFor(hotline.disputeId));
  });

  it("a WeChat application with the phone of a mediating case opens a case of its own (a typed phone proves no one); merged by an operator, it is told the joined case's status on that case's key, once, with no outcome", async () => {
    const phone = `135${Math.floor(Math.random() * 1e8)}`;
    const lead = '350802107-judicial_office';
    const hotline = intake();
    hotline.parties = [
      { role: 'caller', kind: 'person', phone },
      { role: 'respondent', kind: 'person', name: '李老板' },
    ];
    await recordAssignment(db, decision(hotline, 1, lead));
    const caseId = caseIdFor(hotline.disputeId);
    const agency = { kind: 'agency', departmentCode: lead } as const;
    await actOnCase(db, caseId, agency, { type: 'accept', by: lead });
    await actOnCase(db, caseId, agency, { type: 'record_progress', by: lead, note: '已约双方调解' });

    // Anyone may type the caller's phone and the other party into the public form: the
    // application is not joined to the caller's case, nor is it lifted up the lane by repeats.
    const application: DisputeReceivedV1 = {
      ...intake(),
      channel: 'wechat',
      sourceRef: `WX-${randomUUID()}`,
      receivedAt: '2024-08-25T09:30:00+08:00',
      parties: [
        { role: 'applicant', kind: 'person', phone },
        { role: 'respondent', kind: 'person', name: '李老板' },
      ],
    };
    await recordIntake(db, application);
    await recordAssignment(db, decision(application));
    await recordAssignment(db, decision(application));
    const applicationCase = caseIdFor(application.disputeId);
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: application.disputeId } })).caseId).toBe(
      applicationCase,
    );
    expect(await db.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({
      status: 'mediating',
      repeatCount: 0,
      expressLevel: null,
    });
    // Nor does its phone draw the caller's next call to the application's case, the newer of the
    // two: the call joins the caller's own case.
    const again = { ...intake(), receivedAt: '2024-08-26T09:30:00+08:00' };
    again.parties = [{ role: 'caller', kind: 'person', phone }];
    await recordAssignment(db, decision(again, 1, lead));
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: again.disputeId } })).caseId).toBe(
      caseId,
    );

    // The applicant was the caller: an operator merges the two.
    const operator: Actor = {
      kind: 'operator',
      claims: { sub: 'test', role: 'operator', scope: '350800', exp: 0 },
    };
    await mergeCases(db, applicationCase, caseId, operator, '同一申请人同一事项');
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: application.disputeId } })).caseId).toBe(
      caseId,
    );

    // What the tracking page learns of the application, in order: received and assigned on its own
    // case, that case folded (which it skips: mergedInto), then the status of the case it joined.
    const told = await db.outboxEvent.findMany({
      where: {
        eventName: 'case.status.v1',
        data: { path: ['disputeIds'], array_contains: [application.disputeId] },
      },
      orderBy: { id: 'asc' },
    });
    expect(
      told.map(({ key, data }) => {
        const { status, mergedInto, outcome, reports } = data as Record<string, unknown>;
        return { key, status, mergedInto, outcome, reports };
      }),
    ).toEqual([
      {
        key: applicationCase,
        status: 'received',
        mergedInto: undefined,
        outcome: undefined,
        reports: undefined,
      },
      {
        key: applicationCase,
        status: 'assigned',
        mergedInto: undefined,
        outcome: undefined,
        reports: undefined,
      },
      { key: applicationCase, status: 'closed', mergedInto: caseId, outcome: undefined, reports: undefined },
      { key: caseId, status: 'mediating', mergedInto: undefined, outcome: undefined, reports: undefined },
    ]);
    const [, , closed, joined] = told.map((row) => row.data as { occurredAt: string });
    expect(joined).toMatchObject({
      caseId,
      disputeIds: [application.disputeId],
      previousStatus: 'assigned',
      divisionCode: '350802107',
    });
    // Stamped as the fold's closing of the application's own case: notify applies either first.
    expect(joined!.occurredAt).toBe(closed!.occurredAt);
  });

  it("twenty-one WeChat applications typed with a caller's phone do not hide the caller's own case from their next call", async () => {
    const phone = `135${Math.floor(Math.random() * 1e8)}`;
    const first = { ...intake(), receivedAt: '2024-08-20T09:30:00+08:00' };
    first.parties = [{ role: 'caller', kind: 'person', phone }];
    await recordAssignment(db, decision(first));
    // More than the twenty newest cases of the phone a repeat is looked for among.
    for (let day = 0; day < 21; day++) {
      const application: DisputeReceivedV1 = {
        ...intake(),
        channel: 'wechat',
        sourceRef: `WX-${randomUUID()}`,
        receivedAt: new Date(Date.parse('2024-08-21T09:30:00+08:00') + day * 3600_000).toISOString(),
        parties: [{ role: 'applicant', kind: 'person', phone }],
      };
      await recordAssignment(db, decision(application));
    }
    const again = { ...intake(), receivedAt: '2024-08-25T09:30:00+08:00' };
    again.parties = [{ role: 'caller', kind: 'person', phone }];
    await recordAssignment(db, decision(again));
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: again.disputeId } })).caseId).toBe(
      caseIdFor(first.disputeId),
    );
  });

  it('a third report routed as major asks routing to decide the case again on it, once; the answer re-routes the case, up the lane routing chose', async () => {
    // Yang calls a third time and says he will block the county government's gate: routing makes
    // it major, led by the public security bureau, in the county secretary's lane.
    const phone = `136${Math.floor(Math.random() * 1e8)}`;
    const calls = [intake(), intake(), intake()];
    for (const call of calls) call.parties = [{ role: 'caller', kind: 'person', phone }];
    await recordAssignment(db, decision(calls[0]!));
    await recordAssignment(db, decision(calls[1]!));
    const graver: DisputeAssignedV1 = {
      ...decision(calls[2]!, 1, '350802-public_security_bureau'),
      severity: 'major',
      expressLane: { level: 'county', reason: '扬言堵门' },
    };
    await recordAssignment(db, graver);
    // Delivered twice, asked once.
    await recordAssignment(db, graver);
    const caseId = caseIdFor(calls[0]!.disputeId);
    const requests = await db.outboxEvent.findMany({
      where: { eventName: 'case.correction.v1', data: { path: ['caseId'], equals: caseId } },
    });
    expect(requests.map((request) => request.data)).toEqual([
      expect.objectContaining({
        version: 2,
        dispute: expect.objectContaining({ disputeId: calls[0]!.disputeId }),
        decideOn: expect.objectContaining({ disputeId: calls[2]!.disputeId }),
        currentDepartments: ['350802107-judicial_office'],
        // The third report put the case in its town's secretary's lane: routing keeps at least that.
        currentLane: { level: 'township', divisionCode: '350802107', reason: 'repeated' },
        reason: 'graver_repeat_joined',
      }),
    ]);

    // Routing answers for the case's first report, deciding on the third.
    await recordAssignment(db, { ...graver, disputeId: calls[0]!.disputeId, version: 2, dispute: calls[0]! });
    const folded = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect({
      repeatCount: folded.repeatCount,
      level: folded.expressLevel,
      severity: folded.severity,
      routingVersion: folded.routingVersion,
    }).toEqual({
      repeatCount: 2,
      level: 'county',
      severity: 'major',
      routingVersion: 2,
    });
    const assignments = await db.assignment.findMany({
      where: { caseId },
      orderBy: { departmentCode: 'asc' },
    });
    expect(assignments.map((a) => [a.departmentCode, a.role, a.status])).toEqual([
      ['350802-public_security_bureau', 'lead', 'delivered'],
      ['350802107-judicial_office', 'lead', 'withdrawn'],
    ]);

    // An operator's later correction is still decided on the graver report: it does not make the
    // matter light again.
    const operator: Actor = {
      kind: 'operator',
      claims: { sub: 'test', role: 'operator', scope: '350800', exp: 0 },
    };
    await correctCase(db, caseId, operator, { category: 'damages', reason: '类别更正' });
    const corrected = await db.outboxEvent.findMany({
      where: { eventName: 'case.correction.v1', data: { path: ['caseId'], equals: caseId } },
      orderBy: { id: 'asc' },
    });
    expect(corrected.at(-1)?.data).toMatchObject({
      version: 3,
      dispute: { disputeId: calls[0]!.disputeId, category: 'damages' },
      decideOn: { disputeId: calls[2]!.disputeId, category: 'damages' },
      currentLane: { level: 'county', divisionCode: '350802', reason: 'major' },
    });
  });

  it('an assignment that arrives before its intake still opens the case at received, then assigns it', async () => {
    const dispute = intake();
    await recordAssignment(db, decision(dispute));
    await recordIntake(db, dispute);
    expect(await snapshot(caseIdFor(dispute.disputeId))).toMatchObject({
      reports: 1,
      history: ['received', 'assigned'],
    });
  });

  it('a re-routing replaces the departments and withdraws the one no longer involved; an older decision changes nothing', async () => {
    const dispute = intake();
    await recordAssignment(db, decision(dispute, 1, 'dept-a'));
    await recordAssignment(db, decision(dispute, 2, 'dept-b'));
    await recordAssignment(db, decision(dispute, 1, 'dept-c'));
    const assignments = await db.assignment.findMany({
      where: { caseId: caseIdFor(dispute.disputeId) },
      orderBy: { departmentCode: 'asc' },
    });
    expect(assignments.map((a) => [a.departmentCode, a.status, a.routingVersion])).toEqual([
      ['dept-a', 'withdrawn', 1],
      ['dept-b', 'delivered', 2],
    ]);
  });

  it('a re-routing that keeps the lead leaves the case where the lead took it, and gives nobody more time; a new lead must accept again', async () => {
    const dispute = intake();
    const caseId = caseIdFor(dispute.disputeId);
    const lead = '350802107-judicial_office';
    const agency = { kind: 'agency', departmentCode: lead } as const;
    const first = decision(dispute, 1, lead);
    await recordAssignment(db, first);
    await actOnCase(db, caseId, agency, { type: 'accept', by: lead });
    await actOnCase(db, caseId, agency, { type: 'record_progress', by: lead, note: '已约双方调解' });
    const statusEvents = () => db.outboxEvent.count({ where: { key: caseId, eventName: 'case.status.v1' } });
    const announced = await statusEvents();
    const departments = async () =>
      (await db.assignment.findMany({ where: { caseId }, orderBy: { departmentCode: 'asc' } })).map((a) => ({
        code: a.departmentCode,
        role: a.role,
        status: a.status,
        due: a.dueAt.toISOString(),
      }));

    // A 催办: routing answers the same lead, adds the labour inspectorate, and gives a later deadline.
    const later = new Date(Date.parse(first.dueAt) + 30 * 24 * 3600 * 1000).toISOString();
    await recordAssignment(db, {
      ...decision(dispute, 2, lead),
      dueAt: later,
      coHandlers: [
        {
          code: 'inspectorate',
          kind: 'labor_inspection',
          name: '新罗区劳动保障监察大队',
          divisionCode: '350802',
        },
      ],
    });
    const kept = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect({
      status: kept.status,
      routingVersion: kept.routingVersion,
      due: kept.dueAt?.toISOString(),
    }).toEqual({
      status: 'mediating',
      routingVersion: 2,
      due: new Date(first.dueAt).toISOString(),
    });
    expect(await departments()).toEqual([
      { code: lead, role: 'lead', status: 'in_progress', due: new Date(first.dueAt).toISOString() },
      // It joins the case at the case's deadline.
      { code: 'inspectorate', role: 'co', status: 'delivered', due: new Date(first.dueAt).toISOString() },
    ]);
    expect(await statusEvents()).toBe(announced);
    expect((await snapshot(caseId)).history.at(-1)).toBe('rerouted');

    // A correction of the place: another office leads, and must accept the case first.
    await recordAssignment(db, decision(dispute, 3, 'another-office'));
    const moved = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(moved.status).toBe('assigned');
    expect((await departments()).map(({ code, status }) => [code, status])).toEqual([
      [lead, 'withdrawn'],
      ['another-office', 'delivered'],
      ['inspectorate', 'withdrawn'],
    ]);
    expect(await statusEvents()).toBe(announced + 1);

    // Routed back to the first office: it starts again too, its acceptance is not carried over.
    await recordAssignment(db, decision(dispute, 4, lead));
    const back = await db.assignment.findUniqueOrThrow({
      where: { caseId_departmentCode: { caseId, departmentCode: lead } },
    });
    expect({ status: back.status, acceptedAt: back.acceptedAt }).toEqual({
      status: 'delivered',
      acceptedAt: null,
    });

    // The statistics counted each status the case passed through, as a recount does.
    const incremental = await statisticsSnapshot(db);
    await rebuildCaseStats(db);
    expect(await statisticsSnapshot(db)).toEqual(incremental);
  });

  it('a later revision of a report (a 催办 reminder) updates it and says so in the history, once', async () => {
    const dispute = intake();
    await recordIntake(db, dispute);
    const reminded = { ...dispute, revision: 2, hotline: { reminder: { count: 1 } } };
    await recordIntake(db, reminded);
    await recordIntake(db, reminded);
    await recordIntake(db, dispute);
    const caseId = caseIdFor(dispute.disputeId);
    expect(await snapshot(caseId)).toMatchObject({ reports: 1, history: ['received', 'reminder'] });
    const report = await db.report.findUniqueOrThrow({ where: { disputeId: dispute.disputeId } });
    expect({ revision: report.revision, content: report.content }).toEqual({
      revision: 2,
      content: dispute.content,
    });
  });

  it("an intake repeating its report's revision with other words (the ingest forgot it had taken it) is not applied, and is warned of once, by ids", async () => {
    const { logger, lines } = capturedLogger('cases');
    const dispute = intake();
    await recordIntake(db, dispute, logger);
    // The hotline's 修改 after ingest-12345 lost its record of revision 1 (Redis): taken as revision 1 again.
    const changed = { ...dispute, content: '老板拖欠工资三个月共3800元' };
    await recordIntake(db, changed, logger);
    // Delivered again, and as routing's copy in its decision: said once, by the intake.
    await recordEvents(db, [{ name: 'dispute.assignment.v1', data: decision(changed) }], logger);
    // The revision it holds, delivered again: nothing to say.
    await recordIntake(db, dispute, logger);
    const caseId = caseIdFor(dispute.disputeId);
    const warnings = lines.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        disputeId: dispute.disputeId,
        caseId,
        revision: 1,
        msg: expect.stringMatching(/repeats revision 1 of its report with other content: not applied.*Redis/),
      }),
    ]);
    expect(lines.join('\n')).not.toContain('3800');
    const report = await db.report.findUniqueOrThrow({ where: { disputeId: dispute.disputeId } });
    expect({ revision: report.revision, content: report.content }).toEqual({
      revision: 1,
      content: dispute.content,
    });
    expect((await snapshot(caseId)).history).toEqual(['received', 'assigned']);
    // A 催办 alone, the words the same, lost so: warned of too; the same push at another time is not.
    const { logger: second, lines: said } = capturedLogger('cases');
    await recordIntake(db, { ...dispute, hotline: { reminder: { count: 1 } } }, second);
    await recordIntake(db, { ...dispute, receivedAt: new Date(Date.now() + 1000).toISOString() }, second);
    expect(said.map((line) => JSON.parse(line)).filter((line) => line.level === 40)).toHaveLength(1);
  });

  it('a 12345 修改 says in the history what changed and what the citizen said before, beside a new 催办 and without one already counted', async () => {
    const dispute = intake();
    await recordIntake(db, dispute);
    // The caller presses and adds to what they said: a 催办 and new words, both recorded.
    const pressed = {
      ...dispute,
      revision: 2,
      content: `${dispute.content}，共3800元`,
      hotline: { reminder: { count: 1 } },
    };
    // The hotline corrects the work order later: its reminder rides along, unchanged.
    const corrected = {
      ...pressed,
      revision: 3,
      title: '拖欠工资',
      content: '石材厂老板拖欠工资3800元',
      location: { address: '新罗区江山镇石材厂' },
      // The hotline gives the department more time (办理时限).
      dueAt: '2024-09-10T18:00:00+08:00',
    };
    for (const revision of [pressed, pressed, corrected, corrected]) await recordIntake(db, revision);
    const caseId = caseIdFor(dispute.disputeId);
    const history = await db.historyEntry.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    expect(history.map((entry) => [entry.type, entry.detail])).toEqual([
      ['received', expect.anything()],
      ['reminder', expect.objectContaining({ revision: 2, reminders: 1 })],
      [
        'report_updated',
        expect.objectContaining({
          revision: 2,
          changed: ['content'],
          previous: { revision: 1, content: dispute.content },
        }),
      ],
      [
        'report_updated',
        expect.objectContaining({
          revision: 3,
          changed: ['title', 'content', 'location', 'dueAt'],
          previous: {
            revision: 2,
            title: null,
            content: pressed.content,
            location: { address: '新罗区江山镇' },
            dueAt: pressed.dueAt ?? null,
          },
        }),
      ],
    ]);
    // The report reads as the latest revision.
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: dispute.disputeId } })).content).toBe(
      corrected.content,
    );
  });

  /** What the case asked routing, oldest first. */
  const correctionsOf = async (caseId: string) =>
    (
      await db.outboxEvent.findMany({
        where: { eventName: 'case.correction.v1', data: { path: ['caseId'], equals: caseId } },
        orderBy: { id: 'asc' },
      })
    ).map((row) => row.data as unknown as CaseCorrectedV1);

  it("a 催办 is the order's reminder going beyond the furthest its report has recorded (count, then lastAt), once: a later lastAt at the same count is one, its note kept; an update without the block, then the old reminder again, is none", async () => {
    const order = intake();
    const caseId = caseIdFor(order.disputeId);
    const at = (hour: number) => `2024-08-27T${hour}:00:00+08:00`;
    await recordIntake(db, order);
    // Routed: each revision of the report the case was routed on has routing decide again.
    await recordAssignment(db, decision(order));
    // As the hotline pushes them (services/ingest-12345 takes each as the next revision): 催办 1 at
    // 10:00; the caller presses again at 12:00, the hotline raising `lastAt` and not `count`; a 修改
    // without the reminder block; the order again as it stands, its old reminder back.
    const first: DisputeReceivedV1 = {
      ...order,
      revision: 2,
      hotline: { reminder: { count: 1, lastAt: at(10), note: '市民再次来电催促' } },
    };
    const again: DisputeReceivedV1 = {
      ...order,
      revision: 3,
      hotline: { reminder: { count: 1, lastAt: at(12), note: '钱还没到账' } },
    };
    const plain: DisputeReceivedV1 = { ...order, revision: 4, content: `${order.content}，共3800元` };
    const oldAgain: DisputeReceivedV1 = { ...plain, revision: 5, hotline: again.hotline! };
    const events = [first, again, plain, oldAgain].map((data) => ({
      name: 'dispute.intake.v1' as const,
      data,
    }));
    // Through the consumer, one by one, then a redelivery of them all in one batch.
    for (const event of events) await recordEvents(db, [event]);
    await recordEvents(db, events);

    const history = await db.historyEntry.findMany({
      where: { caseId, type: { notIn: ['received', 'assigned'] } },
      orderBy: { id: 'asc' },
    });
    expect(history.map((entry) => [entry.type, entry.detail])).toEqual([
      [
        'reminder',
        expect.objectContaining({
          revision: 2,
          reminders: 1,
          lastAt: at(10),
          note: '市民再次来电催促',
          version: 2,
        }),
      ],
      [
        'reminder',
        expect.objectContaining({
          revision: 3,
          reminders: 1,
          lastAt: at(12),
          note: '钱还没到账',
          version: 3,
        }),
      ],
      ['report_updated', expect.objectContaining({ revision: 4, changed: ['content'], version: 4 })],
      ['report_updated', expect.objectContaining({ revision: 5, changed: [], version: 5 })],
    ]);
    // Routing was asked once per revision, each time saying why.
    expect((await correctionsOf(caseId)).map((asked) => [asked.version, asked.reason])).toEqual([
      [2, '催办 (1)'],
      [3, '催办 (1)'],
      [4, 'revision 4 of the report'],
      [5, 'revision 5 of the report'],
    ]);

    // A reminder behind the furthest recorded (the count without its time) is none either; the
    // next count is.
    await recordIntake(db, { ...oldAgain, revision: 6, hotline: { reminder: { count: 1 } } });
    await recordIntake(db, { ...oldAgain, revision: 7, hotline: { reminder: { count: 2 } } });
    const later = await db.historyEntry.findMany({
      where: { caseId, type: { in: ['reminder', 'report_updated'] } },
      orderBy: { id: 'asc' },
    });
    expect(later.slice(-2).map((entry) => [entry.type, entry.detail])).toEqual([
      ['report_updated', expect.objectContaining({ revision: 6, changed: [] })],
      ['reminder', expect.objectContaining({ revision: 7, reminders: 2 })],
    ]);
    expect(later.at(-1)!.detail).not.toHaveProperty('lastAt');

    // The same 催办 2, its time now given (a hotline that filled lastAt in later): not a second one.
    await recordIntake(db, { ...oldAgain, revision: 8, hotline: { reminder: { count: 2, lastAt: at(15) } } });
    const last = await db.historyEntry.findFirstOrThrow({
      where: { caseId, type: { in: ['reminder', 'report_updated'] } },
      orderBy: { id: 'desc' },
    });
    expect([last.type, last.detail]).toEqual(['report_updated', expect.objectContaining({ revision: 8 })]);
  });

  it('a revision routed again once the first routing is applied says 催办 only for a reminder recorded since the revision routing decided on', async () => {
    const reminder = { count: 1, lastAt: '2024-08-27T10:00:00+08:00' };
    // 催办, then a 修改 without the block, before routing answers revision 1: a 催办 not yet routed.
    const pressed = intake();
    await recordIntake(db, pressed);
    await recordIntake(db, { ...pressed, revision: 2, hotline: { reminder } });
    await recordIntake(db, { ...pressed, revision: 3, content: '老板拖欠工资3800元' });
    await recordAssignment(db, decision(pressed));
    // Routing decided on the 催办 itself; a 修改 carrying it along came meanwhile: no new 催办.
    const decided = intake();
    const reminded = { ...decided, revision: 2, hotline: { reminder } };
    await recordIntake(db, decided);
    await recordIntake(db, reminded);
    await recordIntake(db, { ...reminded, revision: 3, content: '老板拖欠工资3800元' });
    await recordAssignment(db, decision(reminded));

    const asked = async (dispute: DisputeReceivedV1) =>
      (await correctionsOf(caseIdFor(dispute.disputeId))).map((c) => [
        c.version,
        c.dispute.revision,
        c.reason,
      ]);
    expect(await asked(pressed)).toEqual([[2, 3, '催办 (1)']]);
    expect(await asked(decided)).toEqual([[2, 3, 'revision 3 of the report']]);
  });

  it("a court that extends its date before the case's first routing is applied: routed again, the case and its lead take the court's later date; the history says what the court changed", async () => {
    const before = '2024-09-03T23:59:59+08:00';
    const extended = '2024-09-05T23:59:59+08:00';
    const referral: DisputeReceivedV1 = {
      ...intake(),
      channel: 'court',
      dueAt: before,
      amountClaimed: 12_000,
      court: {
        courtCode: '闽0802',
        courtName: '龙岩市新罗区人民法院',
        caseType: '民诉前调',
        referralDate: '2024-08-20',
        referredBy: 'xl-court',
      },
    };
    // The court moves its deadline and corrects the sum claimed (标的额); nothing else changes.
    const revised: DisputeReceivedV1 = { ...referral, revision: 2, dueAt: extended, amountClaimed: 15_000 };
    await recordIntake(db, referral);
    await recordIntake(db, revised);
    // Routing's answer to revision 1 comes last: due by the court's former date.
    await recordAssignment(db, { ...decision(referral), dueAt: before });
    const caseId = caseIdFor(referral.disputeId);
    const [asked] = await db.outboxEvent.findMany({
      where: { eventName: 'case.correction.v1', data: { path: ['caseId'], equals: caseId } },
    });
    const correction = asked?.data as { version: number; courtDueAt?: string; courtMovedFrom?: string };
    expect(correction).toMatchObject({ version: 2 });

    // Routing answers on revision 2, passing on the court's dates as the cases service asked.
    await recordAssignment(db, {
      ...decision(revised, 2),
      dueAt: extended,
      ...(correction.courtDueAt && { courtDueAt: correction.courtDueAt }),
      ...(correction.courtMovedFrom && { courtMovedFrom: correction.courtMovedFrom }),
    });
    const routed = await db.case.findUniqueOrThrow({ where: { id: caseId }, include: { assignments: true } });
    expect(routed.routingVersion).toBe(2);
    expect(routed.dueAt).toEqual(new Date(extended));
    expect(routed.assignments.map((a) => [a.role, a.dueAt])).toEqual([['lead', new Date(extended)]]);
    // Which of the court's facts the revision changed, and what they were: the new ones are the
    // report's (and the case's deadline) now.
    const updated = await db.historyEntry.findFirstOrThrow({ where: { caseId, type: 'report_updated' } });
    expect(updated.detail).toMatchObject({
      revision: 2,
      changed: ['court.mediationDeadline', 'court.claimAmount'],
      previous: {
        revision: 1,
        court: { mediationDeadline: new Date(before).toISOString(), claimAmount: 12_000 },
      },
    });
  });

  it.each([
    ['the court extends it again', 'court'],
    ["an operator corrects the case's category", 'operator'],
  ] as const)(
    'a court extends its date and, before routing answers, %s: each agency copy, computed from what the later request holds, is the deadline the case records',
    async (_, then) => {
      const first = '2024-09-03T23:59:59+08:00';
      const extended = '2024-09-05T23:59:59+08:00';
      const again = '2024-09-07T23:59:59+08:00';
      const referral: DisputeReceivedV1 = { ...intake(), channel: 'court', dueAt: first };
      const caseId = caseIdFor(referral.disputeId);
      await recordIntake(db, referral);
      await recordAssignment(db, { ...decision(referral), dueAt: first });
      // Revision 2, then the second request, both before routing answers the first.
      await recordIntake(db, { ...referral, revision: 2, dueAt: extended });
      if (then === 'court') await recordIntake(db, { ...referral, revision: 3, dueAt: again });
      else {
        const operator: Actor = {
          kind: 'operator',
          claims: { sub: 'test', role: 'operator', scope: '350800', exp: 0 },
        };
        await correctCase(db, caseId, operator, { category: 'labor', reason: '类别更正' });
      }
      const asked = (
        await db.outboxEvent.findMany({
          where: { eventName: 'case.correction.v1', data: { path: ['caseId'], equals: caseId } },
          orderBy: { id: 'asc' },
        })
      ).map((row) => row.data as unknown as CaseCorrectedV1);
      expect(asked.map((c) => c.version)).toEqual([2, 3]);

      // Routing answers each request as it reads (its decision: the court's date on the revision it
      // decided on); the agency's copy is routedDeadlines over what that request held.
      const lead = '350802107-judicial_office';
      for (const correction of asked) {
        const answer = {
          ...decision(correction.dispute, correction.version),
          dueAt: correction.dispute.dueAt!,
          ...(correction.courtDueAt && { courtDueAt: correction.courtDueAt }),
          ...(correction.courtMovedFrom && { courtMovedFrom: correction.courtMovedFrom }),
        };
        await recordAssignment(db, answer);
        const agencyCopy = routedDeadlines({
          decided: answer.dueAt,
          lead,
          held: (code, role) =>
            correction.currentAssignments?.find((a) => a.code === code && a.role === role)?.dueAt,
          court: correction.courtDueAt,
          courtMovedFrom: correction.courtMovedFrom,
        }).dueFor(lead, 'lead');
        const routed = await db.case.findUniqueOrThrow({
          where: { id: caseId },
          include: { assignments: true },
        });
        expect(routed.assignments.map((a) => a.dueAt.toISOString())).toEqual([
          new Date(agencyCopy).toISOString(),
        ]);
      }
      const routed = await db.case.findUniqueOrThrow({
        where: { id: caseId },
        include: { assignments: true },
      });
      const courtNow = new Date(then === 'court' ? again : extended);
      expect(routed.dueAt).toEqual(courtNow);
      expect(routed.assignments.map((a) => a.dueAt)).toEqual([courtNow]);
    },
  );

  it('a batch recorded in one transaction (as the consumer records what it handles at once) ends as the events one by one would', async () => {
    const withPhone = (phone: string) => {
      const dispute = intake();
      dispute.parties = [{ role: 'caller', kind: 'person', phone }];
      return dispute;
    };
    const plain = Array.from({ length: 6 }, intake);
    const phone = `137${Math.floor(Math.random() * 1e8)}`;
    const repeats = [withPhone(phone), withPhone(phone), withPhone(phone)];
    const rerouted = intake();
    const redelivered = intake();
    const reminded = intake();
    const major = intake();
    await recordAssignment(db, decision(rerouted, 1, 'dept-a'));
    await recordAssignment(db, decision(redelivered));
    await recordIntake(db, reminded);
    const majorDecision: DisputeAssignedV1 = {
      ...decision(major),
      severity: 'major',
      expressLane: { level: 'county', reason: '群体性纠纷' },
    };
    const events: CasesEvent[] = [
      ...plain.map((dispute) => ({ name: 'dispute.intake.v1' as const, data: dispute })),
      ...plain.map((dispute) => ({ name: 'dispute.assignment.v1' as const, data: decision(dispute) })),
      ...repeats.map((dispute) => ({ name: 'dispute.assignment.v1' as const, data: decision(dispute) })),
      { name: 'dispute.assignment.v1', data: decision(rerouted, 2, 'dept-b') },
      { name: 'dispute.assignment.v1', data: decision(rerouted, 1, 'dept-c') },
      { name: 'dispute.assignment.v1', data: decision(redelivered) },
      { name: 'dispute.intake.v1', data: { ...reminded, revision: 2, hotline: { reminder: { count: 1 } } } },
      { name: 'dispute.assignment.v1', data: majorDecision },
    ];
    // The statistics, kept by the write side as it goes.
    const counted = () => statisticsSnapshot(db);
    const statsBefore = await counted();
    await recordEvents(db, events);

    for (const dispute of plain) {
      expect(await snapshot(caseIdFor(dispute.disputeId))).toEqual({
        cases: 1,
        reports: 1,
        parties: 1,
        history: ['received', 'assigned'],
        outbox: 2,
        assignments: 1,
      });
    }
    // The three reports of one caller: one case, the other two folded into it.
    const repeatCases = await db.report.groupBy({
      by: ['caseId'],
      where: { disputeId: { in: repeats.map((dispute) => dispute.disputeId) } },
      _count: true,
    });
    expect(repeatCases).toHaveLength(1);
    const repeated = await db.case.findUniqueOrThrow({ where: { id: repeatCases[0]!.caseId } });
    expect({ status: repeated.status, repeatCount: repeated.repeatCount }).toEqual({
      status: 'assigned',
      repeatCount: 2,
    });
    const reroutedAssignments = await db.assignment.findMany({
      where: { caseId: caseIdFor(rerouted.disputeId) },
      orderBy: { departmentCode: 'asc' },
    });
    expect(reroutedAssignments.map((a) => [a.departmentCode, a.status, a.routingVersion])).toEqual([
      ['dept-a', 'withdrawn', 1],
      ['dept-b', 'delivered', 2],
    ]);
    expect(await snapshot(caseIdFor(redelivered.disputeId))).toMatchObject({
      history: ['received', 'assigned'],
      assignments: 1,
    });
    expect(await snapshot(caseIdFor(reminded.disputeId))).toMatchObject({
      history: ['received', 'reminder'],
    });
    const majorCase = caseIdFor(major.disputeId);
    expect(await snapshot(majorCase)).toMatchObject({ history: ['received', 'assigned', 'escalated'] });
    expect(
      (await db.outboxEvent.findMany({ where: { key: majorCase }, orderBy: { id: 'asc' } })).map(
        (event) => event.eventName,
      ),
    ).toEqual(['case.status.v1', 'case.status.v1', 'case.escalation.v1']);
    expect((await db.case.findUniqueOrThrow({ where: { id: majorCase } })).expressLevel).toBe('county');

    const incremental = await counted();
    // The statistics the batch added up equal a recount from the cases.
    expect(incremental).not.toEqual(statsBefore);
    await rebuildCaseStats(db);
    expect(await counted()).toEqual(incremental);
  });
});
