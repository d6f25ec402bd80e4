import { randomUUID } from 'node:crypto';
import { assignedCopy, matterOfDecision } from '@huijie/contracts/agency-copies.ts';
import { caseIdOpenedBy } from '@huijie/contracts/ids.ts';
import { AgencyWebhook, type AssignmentWebhookData } from '@huijie/contracts/webhooks/agency-webhook.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignment, departments, dispute, randomPhone, statusEvent } from '../../test/events.ts';
import { freshNotifyDb } from '../db/fresh-notify-db.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { recordAssignment } from './record-assignment.ts';
import { recordCaseStatus } from './record-status.ts';
import { createRouting } from './routing.ts';

const servers = await requireServers('postgres');

/** What a jointly handled dispute's departments are sent by webhook: what they need to act, and no more. */
describe.runIf(servers)('assignment webhooks, as the departments read them', () => {
  let db: NotifyDb;
  let drop: () => Promise<void>;
  const depts = departments(uniqueName('w'));
  const routing = createRouting({
    webhookDepartments: new Set(Object.values(depts).map((d) => d.code)),
    wechatNotices: 'all',
    hotlineClients: ['longyan-12345'],
    courtClients: [],
    expressLane: new Map(),
    slaReminderBeforeMs: 24 * 3600_000,
  });

  beforeAll(async () => {
    ({ db, drop } = await freshNotifyDb(servers!.databaseUrl!));
  });
  afterAll(async () => {
    await drop?.();
  });

  it('each department learns who else is on the matter and who leads, as on its Kafka topic; only the lead gets the contact, never an ID number', async () => {
    const phone = randomPhone();
    const report = dispute({
      parties: [{ role: 'caller', kind: 'person', name: '杨某', phone, idNumber: '350802199001011234' }],
    });
    await recordAssignment(
      db,
      assignment(report, { lead: depts.police, coHandlers: [depts.judicial] }),
      routing,
    );
    const payloadOf = async (code: string) =>
      (await db.delivery.findFirstOrThrow({ where: { disputeId: report.disputeId, recipient: code } }))
        .payload as Record<string, unknown>;
    const toLead = await payloadOf(depts.police.code);
    const toCo = await payloadOf(depts.judicial.code);
    expect(toCo.partners).toEqual([{ code: depts.police.code, name: '永定区公安局', role: 'lead' }]);
    expect(toLead.partners).toEqual([{ code: depts.judicial.code, name: '下洋镇司法所', role: 'co' }]);
    expect(toLead.contact).toEqual({ name: '杨某', phone });
    expect(toCo.contact).toBeUndefined();
    for (const payload of [toLead, toCo]) {
      expect(payload).toMatchObject({ disputeId: report.disputeId, dueAt: expect.any(String) });
      expect(JSON.stringify(payload)).not.toContain('350802199001011234');
    }
    expect(JSON.stringify(toCo)).not.toContain(phone);
  });

  it('the numbers a hotline operator typed into the report: no ID-card number to anyone, the phone only to the lead, in the assignment and in its update', async () => {
    const report = dispute({
      title: '张三（350802198502021235，135 1111 2222）被邻居打伤',
      content:
        '我叫张三，身份证号350802198502021235，电话13511112222，在下洋镇被邻居王五（身份证350803197703031239）打伤…',
      parties: [{ role: 'caller', kind: 'person', name: '张三', phone: '13511112222' }],
    });
    const routed = { lead: depts.judicial, coHandlers: [depts.station] };
    await recordAssignment(db, assignment(report, routed), routing);
    // The first copies reached the departments; a correction sends them an `assignment_update`.
    await db.delivery.updateMany({
      where: { disputeId: report.disputeId, version: 1 },
      data: { state: 'delivered', deliveredAt: new Date() },
    });
    await recordAssignment(db, assignment(report, { ...routed, version: 2 }), routing);
    const sent = await db.delivery.findMany({
      where: { disputeId: report.disputeId, kind: { in: ['assignment', 'assignment_update'] } },
      orderBy: [{ version: 'asc' }, { recipient: 'asc' }],
    });
    const told = sent.map((row) => {
      const { title, content } = row.payload as { title: string; content: string };
      return { kind: row.kind, to: row.recipient, title, content };
    });
    const [leadTitle, coTitle] = [
      '张三（[身份证号]，135 1111 2222）被邻居打伤',
      '张三（[身份证号]，[手机号]）被邻居打伤',
    ];
    const leadContent =
      '我叫张三，身份证号[身份证号]，电话13511112222，在下洋镇被邻居王五（身份证[身份证号]）打伤…';
    const coContent =
      '我叫张三，身份证号[身份证号]，电话[手机号]，在下洋镇被邻居王五（身份证[身份证号]）打伤…';
    expect(told).toEqual([
      { kind: 'assignment', to: depts.station.code, title: coTitle, content: coContent },
      { kind: 'assignment', to: depts.judicial.code, title: leadTitle, content: leadContent },
      { kind: 'assignment_update', to: depts.station.code, title: coTitle, content: coContent },
      { kind: 'assignment_update', to: depts.judicial.code, title: leadTitle, content: leadContent },
    ]);
  });

  /** What each department's webhook is sent of a dispute, in the order recorded: kind, to whom, the body as POSTed. */
  const sentOf = async (disputeId: string) =>
    (
      await db.delivery.findMany({
        where: { disputeId, kind: { in: ['assignment', 'assignment_update'] } },
        orderBy: [{ version: 'asc' }, { recipient: 'asc' }],
      })
    ).map((row) => ({
      id: row.id,
      version: row.version,
      kind: row.kind,
      to: row.recipient,
      body: { deliveryId: row.id, kind: row.kind, data: row.payload as AssignmentWebhookData },
    }));
  /** The earlier versions' deliveries reached the departments: the next version updates them. */
  const delivered = (disputeId: string) =>
    db.delivery.updateMany({ where: { disputeId }, data: { state: 'delivered', deliveredAt: new Date() } });

  it('each body names its department and the place by code, the channel, when it was received and the case, as the Kafka copy does (the case besides), and is what the published schema says', async () => {
    const report = dispute({ receivedAt: '2024-08-24T09:30:00+08:00' });
    const decision = assignment(report, { lead: depts.police, coHandlers: [depts.judicial] });
    await recordAssignment(db, decision, routing);
    const matter = matterOfDecision(decision);
    const sent = await sentOf(report.disputeId);
    expect(sent.map(({ to }) => to).sort()).toEqual([depts.judicial.code, depts.police.code].sort());
    for (const { to, body } of sent) {
      // Parsing drops what the schema does not name: a field sent and not published shows here.
      expect(AgencyWebhook.parse(body), 'a field not in the published schema').toEqual(body);
      const involvement = matter.involved.find(({ department }) => department.code === to)!;
      const copy = assignedCopy(matter, involvement, body.data.dueAt);
      expect(body.data).toMatchObject({
        departmentCode: to,
        department: involvement.department.name,
        placeCode: '350803105',
        place: ['龙岩市', '永定区', '下洋镇'],
        channel: 'hotline_12345',
        receivedAt: '2024-08-24T09:30:00+08:00',
        // No status of the case heard yet: the first decision names the case the report opened.
        caseId: caseIdOpenedBy(report.disputeId),
      });
      expect([
        body.data.departmentCode,
        body.data.placeCode,
        body.data.channel,
        body.data.receivedAt,
      ]).toEqual([copy.department.code, copy.place.divisionCode, copy.channel, copy.receivedAt]);
      expect(body.data.changes).toBeUndefined();
    }

    // The case notify heard of is the one named: here another id than the report opened (as after
    // an operator detached the report into a case of its own).
    const caseId = randomUUID();
    await recordCaseStatus(db, statusEvent(caseId, [report], 'assigned'), routing);
    await delivered(report.disputeId);
    await recordAssignment(db, { ...decision, version: 2 }, routing);
    const updates = (await sentOf(report.disputeId)).filter(({ version }) => version === 2);
    expect(updates.map(({ kind, body }) => [kind, body.data.caseId])).toEqual([
      ['assignment_update', caseId],
      ['assignment_update', caseId],
    ]);
    for (const { body } of updates) expect(AgencyWebhook.parse(body)).toEqual(body);
  });

  it('past the first decision, a case notify has not heard of is null, not a guess', async () => {
    const report = dispute();
    await recordAssignment(db, assignment(report, { lead: depts.judicial, version: 2 }), routing);
    const [sent] = await sentOf(report.disputeId);
    expect(sent?.body.data.caseId).toBeNull();
    expect(AgencyWebhook.parse(sent?.body)).toEqual(sent?.body);
  });

  it('an update names what it changes of what the department got: nothing for a re-routing that changed nothing it is given (a 催办), the role, the partners and the contact when the lead changes', async () => {
    const report = dispute();
    const dueAt = '2030-09-03T15:59:59.000Z';
    const routed = { lead: depts.police, coHandlers: [depts.judicial], dueAt };
    await recordAssignment(db, assignment(report, routed), routing);
    await delivered(report.disputeId);
    // The caller pressed again (催办): the case is routed again, to the same departments.
    await recordAssignment(db, assignment(report, { ...routed, version: 2 }), routing);
    const changesAt = async (version: number) =>
      (await sentOf(report.disputeId))
        .filter((sent) => sent.version === version)
        .map(({ kind, to, body }) => [kind, to, body.data.changes]);
    expect(await changesAt(2)).toEqual([
      ['assignment_update', depts.police.code, []],
      ['assignment_update', depts.judicial.code, []],
    ]);
    await delivered(report.disputeId);
    // An operator's correction: the judicial office leads now, the police handles it jointly.
    await recordAssignment(
      db,
      assignment(report, { lead: depts.judicial, coHandlers: [depts.police], dueAt, version: 3 }),
      routing,
    );
    expect(await changesAt(3)).toEqual([
      ['assignment_update', depts.police.code, ['role', 'partners', 'contact']],
      ['assignment_update', depts.judicial.code, ['role', 'partners', 'contact']],
    ]);
    for (const { body } of await sentOf(report.disputeId)) expect(AgencyWebhook.parse(body)).toEqual(body);
  });
});
