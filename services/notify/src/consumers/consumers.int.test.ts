import { randomUUID } from 'node:crypto';
import type { Party } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { freshDatabase, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignment, departments, dispute, escalation, outcomeEvent } from '../../test/events.ts';
import { migrateNotify, type NotifyDb, notifyDb } from '../db/prisma.ts';
import { recordAssignment } from './record-assignment.ts';
import { recordEscalation } from './record-escalation.ts';
import { recordCaseStatus } from './record-status.ts';
import { createRouting } from './routing.ts';

const servers = await requireServers('postgres');

const routing = createRouting({
  webhookDepartments: new Set(),
  wechatNotices: 'all',
  hotlineClients: ['longyan-12345'],
  courtClients: ['yd-court'],
  expressLane: new Map([['350803', [{ phone: '13700000003' }, { wechatOpenId: 'oSECRETARY' }]]]),
  slaReminderBeforeMs: 24 * 3600_000,
});

describe.runIf(servers)('consumers on PostgreSQL: delivered twice, concurrently, recorded once', () => {
  let db: NotifyDb;
  let drop: () => Promise<void>;
  const depts = departments(uniqueName('c'));

  beforeAll(async () => {
    const database = await freshDatabase(servers!.databaseUrl!);
    drop = database.drop;
    const sql = postgresClient(database.url, { max: 1 });
    await migrateNotify(sql);
    await sql.close();
    db = notifyDb({ kind: 'postgres', url: database.url });
  });
  afterAll(async () => {
    await db?.$disconnect();
    await drop?.();
  });

  it('dispute.assignment.v1', async () => {
    const report = dispute();
    const event = assignment(report, { lead: depts.police, coHandlers: [depts.court, depts.judicial] });
    const counts = await Promise.all([1, 2, 3].map(() => recordAssignment(db, event, routing)));
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(4);
    const rows = await db.delivery.findMany({ where: { disputeId: report.disputeId } });
    expect(rows.map((row) => [row.kind, row.channel]).sort()).toEqual(
      [
        ['assignment', 'outbox'],
        ['assignment', 'outbox'],
        ['assignment', 'outbox'],
        ['citizen_notice', 'sms'],
      ].sort(),
    );
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(2);
    expect(await recordAssignment(db, event, routing)).toBe(0);
  });

  it('an older routing version arriving after a newer one records nothing, even when the newer one sent nothing', async () => {
    const report = dispute();
    const v1 = assignment(report, { lead: depts.police });
    const v2 = {
      ...assignment(report, { version: 2, lead: null }),
      triage: { divisionCode: '350803', reason: 'place unclear' },
    };
    expect(await recordAssignment(db, v2, routing)).toBe(0);
    expect(await recordAssignment(db, v1, routing)).toBe(0);
    expect(await db.delivery.count({ where: { disputeId: report.disputeId } })).toBe(0);
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(0);
  });

  it('a caller who asked for confidentiality is not named to the lead', async () => {
    const caller = { role: 'caller', kind: 'person', name: '杨某', phone: '13900000088', confidential: true };
    const report = dispute({ parties: [caller as Party] });
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    const toLead = await db.delivery.findFirstOrThrow({
      where: { disputeId: report.disputeId, kind: 'assignment' },
    });
    expect(toLead.payload).not.toHaveProperty('contact');
    expect(JSON.stringify(toLead.payload)).not.toContain('13900000088');
  });

  it('case.status.v1 with the outcome', async () => {
    const report = dispute({ sourceClient: 'longyan-12345' });
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    const caseId = randomUUID();
    const event = outcomeEvent(caseId, [report]);
    const counts = await Promise.all([1, 2, 3].map(() => recordCaseStatus(db, event, routing)));
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(3);
    const rows = await db.delivery.findMany({ where: { caseId } });
    expect(rows.map((row) => [row.kind, row.channel, row.recipient]).sort()).toEqual(
      [
        ['case_result', 'outbox', depts.police.code],
        ['citizen_notice', 'sms', report.parties[0]!.phone],
        ['result_callback', 'hotline', 'longyan-12345'],
      ].sort(),
    );
    // The case ended: its SLA reminders are gone.
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(0);
  });

  it('case.escalation.v1', async () => {
    const caseId = randomUUID();
    const event = escalation(caseId);
    const counts = await Promise.all([1, 2, 3].map(() => recordEscalation(db, event, routing)));
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(2);
    expect(await recordEscalation(db, { ...event, reason: 'manual', by: 'op' }, routing)).toBe(0);
    expect(await recordEscalation(db, { ...event, level: 'city', divisionCode: '350800' }, routing)).toBe(1);
    const rows = await db.delivery.findMany({ where: { caseId }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((row) => [row.channel, row.recipient])).toEqual(
      expect.arrayContaining([
        ['sms', '13700000003'],
        ['wechat', 'oSECRETARY'],
        ['outbox', 'express-lane:350800'],
      ]),
    );
  });
});
