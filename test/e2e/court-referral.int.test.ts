import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';
import { signedPush } from './signed-push.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');
const day = (offset: number) => new Date(Date.now() + offset * 24 * 3600 * 1000).toISOString().slice(0, 10);

describe.runIf(servers)('a court referral and its outcome, on Kafka + PostgreSQL + Redis', () => {
  let platform: Awaited<ReturnType<typeof readyPlatform>>;
  let infra: Awaited<ReturnType<typeof kafkaInfrastructure>>;
  beforeAll(async () => {
    infra = await kafkaInfrastructure(servers!);
    platform = await readyPlatform(infra, join(mkdtempSync(join(tmpdir(), 'court-')), 'o.jsonl'));
  });
  afterAll(() => platform?.close());
  // No phone number, ID number or name the test pushed may reach a log line.
  afterEach(() => platform?.logs.assertClean(['杨某', '胡某']));

  /** Yang's referral by the Yongding court, from his phone, against Hu of Xiayang. */
  const referYang = (sequence: number, phone: string, { facts, dueDay }: { facts: string; dueDay: string }) =>
    signedPush(
      platform.app('ingest-courts'),
      '/v1/referrals',
      {
        caseNumber: `（2024）闽0803民诉前调${sequence}号`,
        court: { code: '闽0803', name: '龙岩市永定区人民法院' },
        causeOfAction: { name: '民间借贷纠纷' },
        parties: [
          { role: 'applicant', kind: 'person', name: '杨某', phone },
          { role: 'respondent', kind: 'person', name: '胡某', address: '福建省龙岩市永定区下洋镇中川村' },
        ],
        claims: ['判令被告归还借款人民币50000元'],
        facts,
        amount: 50000,
        referralDate: day(0),
        mediationDeadline: dueDay,
      },
      { id: 'e2e-court', secret: 'e2e-secret-123' },
    );

  /** Yang's hotline work order about the same loan, from his phone. */
  const reportYang = (label: string, phone: string) =>
    signedPush(platform.app('ingest-12345'), '/v1/work-orders', {
      orderNo: `YANG-${label}-${Date.now()}`,
      receivedAt: new Date().toISOString(),
      content: '借给同村人胡某5万元，写了借条，到期不还钱，请政府帮忙。',
      caller: { name: '杨某', phone },
      location: { address: '龙岩市永定区下洋镇中川村' },
    });

  /** Yang's referral routed, and its lead's overdue reminder waiting: the state a court's update meets. */
  const referredAndReminded = async (sequence: number, phone: string, facts: string, dueDay: string) => {
    const first = await referYang(sequence, phone, { facts, dueDay });
    const disputeId: string = first.json().disputeId;
    const routed = await platform.caseOf(disputeId, (c) => c.status === 'assigned', 'the referral assigned');
    expect(new Date(routed.dueAt)).toEqual(new Date(`${dueDay}T23:59:59+08:00`));
    const lead: string = routed.assignments.find((a: { role: string }) => a.role === 'lead').departmentCode;
    const overdueReminder = () =>
      infra.notifyDb.slaReminder.findFirst({ where: { disputeId, recipient: lead, level: 'overdue' } });
    await eventually(overdueReminder, { what: "the lead's overdue reminder", timeoutMs: 30_000 });
    return { first, disputeId, routed, lead, overdueReminder };
  };

  it('the referral becomes a case in Yongding; its outcome goes back on the court’s topic and into the history', async () => {
    const { app, auth } = platform;
    const sequence = Date.now() % 100_000;
    const caseNumber = `（2024）闽0803民诉前调${sequence}号`;
    const pushed = await signedPush(
      app('ingest-courts'),
      '/v1/referrals',
      {
        caseNumber,
        court: { code: '闽0803', name: '龙岩市永定区人民法院' },
        causeOfAction: { name: '民间借贷纠纷' },
        parties: [
          {
            role: 'applicant',
            kind: 'person',
            name: '杨某',
            phone: `1380000${String(sequence).padStart(4, '0')}`,
          },
          { role: 'respondent', kind: 'person', name: '胡某', address: '福建省龙岩市永定区下洋镇中川村' },
        ],
        claims: ['判令被告归还借款人民币50000元'],
        facts: '2023年3月被告向原告借款50000元，约定半年内归还，至今未还。',
        amount: 50000,
        referralDate: day(0),
        // A deadline in the future: the case must not be overdue while the test runs.
        mediationDeadline: day(30),
      },
      { id: 'e2e-court', secret: 'e2e-secret-123' },
    );
    expect(pushed.json()).toMatchObject({ duplicate: false });
    const { disputeId } = pushed.json();

    const assigned = await platform.caseOf(
      disputeId,
      (c) => c.status === 'assigned',
      'the referral assigned',
    );
    expect(assigned).toMatchObject({
      channel: 'court',
      category: 'contract',
      jurisdiction: { countyCode: '350803' },
    });

    const outcomes: { key: string; value: string }[] = [];
    await infra.engine.ensureTopics(['court.fj0803.outcome.v1'], 1);
    const reader = await infra.engine.consume(
      uniqueName('court'),
      ['court.fj0803.outcome.v1'],
      async (message) => {
        outcomes.push({ key: message.key, value: message.value.toString() });
      },
    );
    const act = (action: string, payload: object = {}) =>
      app('cases').inject({
        method: 'POST',
        url: `/v1/cases/${assigned.caseId}/${action}`,
        headers: auth,
        payload,
      });
    expect((await act('accept')).statusCode).toBe(200);
    const ended = await act('outcome', {
      kind: 'not_mediated',
      summary: '被申请人拒绝调解',
      referredTo: 'litigation',
    });
    expect(ended.json().status).toBe('unresolved');

    await eventually(() => outcomes.some((o) => o.key === disputeId), {
      what: "the court's outcome event",
      timeoutMs: 30_000,
    });
    await reader.stop();
    const event = JSON.parse(outcomes.find((o) => o.key === disputeId)!.value);
    expect(event).toMatchObject({
      caseNumber,
      courtCode: '闽0803',
      outcome: { kind: 'not_mediated', referredTo: 'litigation' },
    });
    const detail = (await app('cases').inject({ url: `/v1/cases/${assigned.caseId}`, headers: auth })).json();
    expect(detail.history.find((h: { type: string }) => h.type === 'court_outcome_sent')).toMatchObject({
      detail: { caseNumber, court: '闽0803', topic: 'court.fj0803.outcome.v1', outcome: 'not_mediated' },
    });
  });

  it("a court that moves its mediation deadline re-pushes the referral: revision 2, and the case, its lead and its reminders follow the court's new date", async () => {
    const sequence = (Date.now() + 3) % 100_000;
    const phone = `136000${String(sequence).padStart(5, '0')}`;
    const caseNumber = `（2024）闽0803民诉前调${sequence}号`;
    const facts = '被告向原告借款50000元，约定三个月归还，到期未还。';
    const { first, disputeId, routed, lead, overdueReminder } = await referredAndReminded(
      sequence,
      phone,
      facts,
      day(3),
    );
    expect(first.json()).toMatchObject({ duplicate: false, caseNumber });
    const notify = infra.notifyDb;

    // The court shortens its deadline (委派调解期限) and pushes the referral again.
    const moved = await referYang(sequence, phone, { facts, dueDay: day(2) });
    expect(moved.statusCode).toBe(202);
    const courtDue = new Date(`${day(2)}T23:59:59+08:00`);
    const updated = await platform.caseOf(
      disputeId,
      (c) => new Date(c.dueAt).getTime() === courtDue.getTime(),
      "the case on the court's new date",
    );
    expect(updated.caseId).toBe(routed.caseId);
    expect(moved.json()).toEqual({ disputeId, duplicate: false, revision: 2, caseNumber });
    expect(updated.reports).toEqual([expect.objectContaining({ disputeId, revision: 2 })]);
    expect(updated.history.find((h: { type: string }) => h.type === 'report_updated')).toMatchObject({
      detail: { disputeId, sourceRef: caseNumber, revision: 2 },
    });
    // The court correcting its referral is not Yang reporting again: the same lead, on the new date.
    const live = updated.assignments.filter((a: { status: string }) => a.status !== 'withdrawn');
    expect(live.find((a: { role: string }) => a.role === 'lead')).toMatchObject({ departmentCode: lead });
    expect(new Date(live.find((a: { role: string }) => a.role === 'lead').dueAt)).toEqual(courtDue);

    // Notify follows: the lead is reminded at the court's new date and told it on its channel.
    await eventually(async () => (await overdueReminder())?.fireAt.getTime() === courtDue.getTime(), {
      what: "the overdue reminder at the court's new date",
      timeoutMs: 30_000,
    });
    const told = await eventually(
      async () => {
        const rows = await notify.delivery.findMany({
          where: { disputeId, recipient: lead, kind: { in: ['assignment', 'assignment_update'] } },
          orderBy: { createdAt: 'asc' },
        });
        return rows.length > 1 && rows;
      },
      { what: "the lead's update", timeoutMs: 30_000 },
    );
    expect(told.at(-1)?.payload).toMatchObject({ role: 'lead', dueAt: courtDue.toISOString() });

    // The same update again changes nothing.
    expect((await referYang(sequence, phone, { facts, dueDay: day(2) })).json()).toMatchObject({
      duplicate: true,
      revision: 2,
    });
  });

  it("a court that extends its mediation deadline: the case, its lead, the lead's update and its reminders follow the court's later date", async () => {
    const sequence = (Date.now() + 4) % 100_000;
    const phone = `135000${String(sequence).padStart(5, '0')}`;
    const facts = '被告向原告借款50000元，约定两个月归还，到期未还。';
    const { disputeId, lead, overdueReminder } = await referredAndReminded(sequence, phone, facts, day(3));
    const notify = infra.notifyDb;

    // The court extends its 委派调解期限 from 3 to 5 days: the date is the court's to set.
    const extended = await referYang(sequence, phone, { facts, dueDay: day(5) });
    expect(extended.json()).toMatchObject({ disputeId, duplicate: false, revision: 2 });
    const courtDue = new Date(`${day(5)}T23:59:59+08:00`);
    const updated = await platform.caseOf(
      disputeId,
      (c) => c.routingVersion === 2,
      'the case routed again on the revision',
    );
    expect(new Date(updated.dueAt)).toEqual(courtDue);
    const live = updated.assignments.filter((a: { status: string }) => a.status !== 'withdrawn');
    expect(live.find((a: { role: string }) => a.role === 'lead')).toMatchObject({ departmentCode: lead });
    for (const assignment of live) expect(new Date(assignment.dueAt)).toEqual(courtDue);

    // Notify follows: the lead is told its new date and reminded when it passes, not the old one.
    await eventually(async () => (await overdueReminder())?.fireAt.getTime() === courtDue.getTime(), {
      what: "the overdue reminder at the court's later date",
      timeoutMs: 30_000,
    });
    const told = await eventually(
      async () => {
        const rows = await notify.delivery.findMany({
          where: { disputeId, recipient: lead, version: 2, kind: 'assignment_update' },
        });
        return rows.length > 0 && rows;
      },
      { what: "the lead's update", timeoutMs: 30_000 },
    );
    expect(told.map((row) => row.payload)).toEqual([
      expect.objectContaining({ role: 'lead', dueAt: courtDue.toISOString() }),
    ]);

    // And on the lead's own Kafka topic.
    const copies: { disputeId: string; version: number; dueAt: string }[] = [];
    const reader = await infra.engine.consume(
      uniqueName('agency'),
      [`agency.${lead}.assignment.v1`],
      async (message) => {
        copies.push(JSON.parse(message.value.toString()));
      },
    );
    const copy = await eventually(() => copies.find((c) => c.disputeId === disputeId && c.version === 2), {
      what: "the lead's agency copy of version 2",
      timeoutMs: 30_000,
    });
    await reader.stop();
    expect(new Date(copy.dueAt)).toEqual(courtDue);
  });

  it("a referral that joins a hotline case brings its lead's deadline, update and reminders forward to the court's date", async () => {
    const sequence = (Date.now() + 1) % 100_000;
    // Another phone than the other test's, or its referral would be a repeat of this one.
    const phone = `1390000${String(sequence).padStart(4, '0')}`;
    const order = await reportYang('COURT', phone);
    expect(order.statusCode).toBe(202);
    const hotlineId: string = order.json().disputeId;
    const routed = await platform.caseOf(hotlineId, (c) => c.status === 'assigned', 'the hotline report');
    const lead = routed.assignments.find((a: { role: string }) => a.role === 'lead');
    const notify = infra.notifyDb;
    const overdueReminder = () =>
      notify.slaReminder.findFirst({ where: { disputeId: hotlineId, level: 'overdue' } });
    await eventually(overdueReminder, { what: "the lead's overdue reminder", timeoutMs: 30_000 });

    // Sooner than the hotline report's deadline: the court must have its answer by then.
    const pushed = await referYang(sequence, phone, {
      facts: '被告向原告借款50000元，到期未还。',
      dueDay: day(2),
    });
    expect(pushed.statusCode).toBe(202);
    const joined = await platform.caseOf(
      pushed.json().disputeId,
      (c) => c.caseId === routed.caseId,
      'the referral joined the hotline case',
    );
    const courtDue = new Date(`${day(2)}T23:59:59+08:00`);
    expect(new Date(joined.dueAt)).toEqual(courtDue);
    expect(new Date(routed.dueAt) > courtDue).toBe(true);

    // Notify follows: the lead's overdue reminder comes when the court's date passes, not routing's.
    const overdue = await eventually(
      async () => {
        const reminder = await overdueReminder();
        return reminder?.fireAt.getTime() === courtDue.getTime() && reminder;
      },
      { what: "the overdue reminder at the court's date", timeoutMs: 30_000 },
    );
    expect(overdue).toMatchObject({
      recipient: lead.departmentCode,
      payload: { dueAt: courtDue.toISOString() },
    });
    const dueSoon = await notify.slaReminder.findFirstOrThrow({
      where: { disputeId: hotlineId, level: 'due_soon' },
    });
    expect(dueSoon.fireAt < courtDue).toBe(true);
    // And the lead is told its new deadline, on its channel.
    const told = await notify.delivery.findMany({
      where: {
        disputeId: hotlineId,
        recipient: lead.departmentCode,
        kind: { in: ['assignment', 'assignment_update'] },
      },
      orderBy: { createdAt: 'asc' },
    });
    expect(told.at(-1)?.payload).toMatchObject({ role: 'lead', dueAt: courtDue.toISOString() });

    // Routing had sent the referral to its own departments; folded, it is theirs no more. A
    // department of the referral that the hotline case does not have is withdrawn, on its topic and
    // on its channel, once, told where the matter went.
    const referralId: string = pushed.json().disputeId;
    const onCase = new Set(routed.assignments.map((a: { departmentCode: string }) => a.departmentCode));
    const referralDepartments = await eventually(
      async () => {
        const rows = await notify.delivery.findMany({ where: { disputeId: referralId, kind: 'assignment' } });
        return rows.length > 0 && rows.map((row) => row.recipient);
      },
      { what: "the referral's own assignments", timeoutMs: 30_000 },
    );
    const outsider = referralDepartments.find((code) => !onCase.has(code));
    expect(outsider, 'a department of the referral that the hotline case does not have').toBeDefined();
    const copies: { disputeId: string; action: string; mergedInto?: unknown }[] = [];
    const reader = await infra.engine.consume(
      uniqueName('agency'),
      [`agency.${outsider}.assignment.v1`],
      async (message) => {
        copies.push(JSON.parse(message.value.toString()));
      },
    );
    const ofReferral = () => copies.filter((copy) => copy.disputeId === referralId);
    await eventually(() => ofReferral().some((copy) => copy.action === 'withdrawn'), {
      what: "the outsider's withdrawn copy",
      timeoutMs: 30_000,
    });
    const withdrawal = await eventually(
      async () => {
        const rows = await notify.delivery.findMany({
          where: { disputeId: referralId, recipient: outsider, kind: 'withdrawal' },
        });
        return rows.length > 0 && rows;
      },
      { what: "notify's withdrawal to the outsider", timeoutMs: 30_000 },
    );
    await reader.stop();
    const into = { caseId: routed.caseId, disputeId: hotlineId };
    expect(ofReferral().map((copy) => [copy.action, copy.mergedInto])).toEqual([
      ['assigned', undefined],
      ['withdrawn', into],
    ]);
    expect(withdrawal.map((row) => row.payload)).toEqual([
      expect.objectContaining({ reason: 'merged', mergedInto: into }),
    ]);
  });

  it('a referral that joined a hotline case, whose court then moves its date later and earlier: the case, its lead and its reminders follow', async () => {
    const sequence = (Date.now() + 5) % 100_000;
    const phone = `1340000${String(sequence).padStart(4, '0')}`;
    const order = await reportYang('MOVED', phone);
    const hotlineId: string = order.json().disputeId;
    const routed = await platform.caseOf(hotlineId, (c) => c.status === 'assigned', 'the hotline report');
    const lead = routed.assignments.find((a: { role: string }) => a.role === 'lead').departmentCode;
    const facts = '被告向原告借款50000元，到期未还。';
    const referral = await referYang(sequence, phone, { facts, dueDay: day(2) });
    await platform.caseOf(
      referral.json().disputeId,
      (c) =>
        c.caseId === routed.caseId && new Date(c.dueAt).getTime() === Date.parse(`${day(2)}T23:59:59+08:00`),
      'the referral joined the hotline case, due by the court',
    );
    const notify = infra.notifyDb;
    const overdueReminder = () =>
      notify.slaReminder.findFirst({ where: { disputeId: hotlineId, recipient: lead, level: 'overdue' } });

    // Still earlier than the hotline's own deadline (15 days): the court's date is the case's.
    for (const [dueDay, what] of [
      [day(4), 'later'],
      [day(1), 'earlier'],
    ] as const) {
      const moved = await referYang(sequence, phone, { facts, dueDay });
      expect(moved.json()).toMatchObject({ duplicate: false });
      const courtDue = new Date(`${dueDay}T23:59:59+08:00`);
      const updated = await platform.caseOf(
        hotlineId,
        (c) => new Date(c.dueAt).getTime() === courtDue.getTime(),
        `the case on the court's ${what} date`,
      );
      const live = updated.assignments.filter((a: { status: string }) => a.status !== 'withdrawn');
      expect(live.find((a: { role: string }) => a.role === 'lead')).toMatchObject({ departmentCode: lead });
      for (const assignment of live) expect(new Date(assignment.dueAt)).toEqual(courtDue);
      await eventually(async () => (await overdueReminder())?.fireAt.getTime() === courtDue.getTime(), {
        what: `the overdue reminder at the court's ${what} date`,
        timeoutMs: 30_000,
      });
      const told = await eventually(
        async () => {
          const rows = await notify.delivery.findMany({
            where: {
              disputeId: hotlineId,
              recipient: lead,
              version: updated.routingVersion,
              kind: { in: ['assignment', 'assignment_update'] },
            },
          });
          return rows.length > 0 && rows;
        },
        { what: `the lead told the court's ${what} date`, timeoutMs: 30_000 },
      );
      expect(told.map((row) => [row.kind, row.payload])).toEqual([
        ['assignment_update', expect.objectContaining({ role: 'lead', dueAt: courtDue.toISOString() })],
      ]);
    }

    // The court's revisions of the folded referral hand it to none of its own departments again:
    // on each of their topics the referral's last copy is still the withdrawal naming the case.
    const referralId: string = referral.json().disputeId;
    const decided: { disputeId: string; dispute: { revision: number } }[] = [];
    const decisions = await infra.engine.consume(
      uniqueName('decisions'),
      ['dispute.assignment.v1'],
      async (m) => {
        decided.push(JSON.parse(m.value.toString()));
      },
    );
    // Routing's answer to the court's last revision (3): whatever it publishes is on the topics now.
    await eventually(() => decided.some((d) => d.disputeId === referralId && d.dispute.revision === 3), {
      what: "routing's answer to the referral's revision 3",
      timeoutMs: 30_000,
    });
    await decisions.stop();
    const referralDepartments = (
      await notify.delivery.findMany({ where: { disputeId: referralId, kind: 'assignment' } })
    ).map((row) => row.recipient);
    expect(referralDepartments.length).toBeGreaterThan(0);
    for (const code of referralDepartments) {
      const topic = `agency.${code}.assignment.v1`;
      const marker = `marker-${uniqueName('end')}`;
      await infra.engine.produce([
        { topic, key: referralId, value: Buffer.from(JSON.stringify({ marker })), headers: {} },
      ]);
      const copies: { disputeId?: string; action?: string; marker?: string }[] = [];
      const reader = await infra.engine.consume(uniqueName('agency'), [topic], async (m) => {
        copies.push(JSON.parse(m.value.toString()));
      });
      await eventually(() => copies.some((copy) => copy.marker === marker), {
        what: `the end of ${topic}`,
        timeoutMs: 30_000,
      });
      await reader.stop();
      expect(copies.filter((copy) => copy.disputeId === referralId).at(-1)?.action).toBe('withdrawn');
    }
  });

  it('a major referral that joins a hotline case re-routes it through routing: notify, the agencies and the case agree', async () => {
    const sequence = (Date.now() + 2) % 100_000;
    const phone = `1370000${String(sequence).padStart(4, '0')}`;
    const order = await reportYang('MAJOR', phone);
    const hotlineId: string = order.json().disputeId;
    const routed = await platform.caseOf(
      hotlineId,
      (c) => c.routingVersion === 1,
      'the hotline report routed',
    );
    const oldLead = routed.assignments.find((a: { role: string }) => a.role === 'lead').departmentCode;
    const notify = infra.notifyDb;
    await eventually(
      () => notify.slaReminder.findFirst({ where: { disputeId: hotlineId, recipient: oldLead } }),
      {
        what: "the first lead's reminders",
        timeoutMs: 30_000,
      },
    );

    // Reported again and again, court-related: routing makes it major.
    const pushed = await referYang(sequence, phone, {
      facts: '被告向原告借款50000元，到期未还，原告多次反映至今未解决。',
      dueDay: day(30),
    });
    expect(pushed.statusCode).toBe(202);
    const rerouted = await platform.caseOf(
      pushed.json().disputeId,
      (c) => c.caseId === routed.caseId && c.routingVersion === 2,
      'the case re-routed on the referral',
    );
    expect(rerouted.severity).toBe('major');
    const live = rerouted.assignments.filter((a: { status: string }) => a.status !== 'withdrawn');
    expect(live.find((a: { role: string }) => a.role === 'lead').departmentName).toBe('永定区公安局');
    const withdrawn = rerouted.assignments
      .filter((a: { status: string }) => a.status === 'withdrawn')
      .map((a: { departmentCode: string }) => a.departmentCode);

    // Notify heard the case's version 2 for the hotline report: each department of the case is
    // told its role and the deadline the case holds, those it dropped are withdrawn, and only the
    // new lead is reminded.
    const held = (
      assignments: { departmentCode: string; role: string; dueAt: string }[],
    ): [string, string, string][] =>
      assignments
        .map((a) => [a.departmentCode, a.role, new Date(a.dueAt).toISOString()] as [string, string, string])
        .sort();
    const told = await eventually(
      async () => {
        const rows = await notify.delivery.findMany({
          where: { disputeId: hotlineId, version: 2, kind: { in: ['assignment', 'assignment_update'] } },
        });
        return rows.length === live.length && rows;
      },
      { what: "notify's deliveries of version 2", timeoutMs: 30_000 },
    );
    expect(
      held(
        told.map((row) => {
          const payload = row.payload as { role: string; dueAt: string };
          return { departmentCode: row.recipient, role: payload.role, dueAt: payload.dueAt };
        }),
      ),
    ).toEqual(held(live));
    const withdrawals = await notify.delivery.findMany({
      where: { disputeId: hotlineId, version: 2, kind: 'withdrawal' },
    });
    expect(withdrawals.map((row) => row.recipient).sort()).toEqual([...withdrawn].sort());
    const reminders = await notify.slaReminder.findMany({ where: { disputeId: hotlineId } });
    expect(new Set(reminders.map((r) => r.recipient))).toEqual(
      new Set([live.find((a: { role: string }) => a.role === 'lead').departmentCode]),
    );

    // The new lead's own Kafka topic carries the case's version 2 for the hotline report.
    const leadCode = live.find((a: { role: string }) => a.role === 'lead').departmentCode;
    const copies: { disputeId: string; version: number; action: string; role: string; dueAt: string }[] = [];
    const topic = `agency.${leadCode}.assignment.v1`;
    const reader = await infra.engine.consume(uniqueName('agency'), [topic], async (message) => {
      copies.push(JSON.parse(message.value.toString()));
    });
    const copy = await eventually(() => copies.find((c) => c.disputeId === hotlineId && c.version === 2), {
      what: "the new lead's agency copy",
      timeoutMs: 30_000,
    });
    await reader.stop();
    expect(copy).toMatchObject({ action: 'assigned', role: 'lead' });
    expect(new Date(copy.dueAt)).toEqual(
      new Date(live.find((a: { role: string }) => a.role === 'lead').dueAt),
    );
  });
});
