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
});
