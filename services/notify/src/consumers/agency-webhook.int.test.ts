import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignment, departments, dispute, randomPhone } from '../../test/events.ts';
import { freshNotifyDb } from '../db/fresh-notify-db.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { recordAssignment } from './record-assignment.ts';
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
});
