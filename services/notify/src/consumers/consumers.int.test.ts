import { randomUUID } from 'node:crypto';
import type { Department, DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { Party } from '@huijie/contracts/events/dispute-intake-v1.ts';
import type { OperatorAccessV1 } from '@huijie/contracts/events/operator-access-v1.ts';
import { AssignmentWebhookData, WithdrawalWebhookData } from '@huijie/contracts/webhooks/agency-webhook.ts';
import { requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignment,
  courtReferral,
  departments,
  dispute,
  escalation,
  outcomeEvent,
  statusEvent,
} from '../../test/events.ts';
import { freshNotifyDb } from '../db/fresh-notify-db.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { promoteDueReminders } from '../dispatch/reminders.ts';
import { chineseDate } from '../notices/notices.ts';
import { tellFoldedCitizens } from './accepted-notice.ts';
import { placeCase } from './case-place.ts';
import { lockDisputes } from './dispute-lock.ts';
import { withdrawFolded } from './folded-withdrawal.ts';
import { recordAssignment } from './record-assignment.ts';
import { recordEscalation } from './record-escalation.ts';
import { recordOperatorAccess } from './record-operator-access.ts';
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
    ({ db, drop } = await freshNotifyDb(servers!.databaseUrl!));
  });
  afterAll(async () => {
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

  it('re-routed away and back: a withdrawn department is assigned afresh, and told once that it lost the dispute', async () => {
    // An operator corrects the place (police → court), then corrects it back (court → police),
    // then once more elsewhere (→ judicial office).
    const report = dispute();
    /** The departments' deliveries of one version of a dispute, as their webhooks took them. */
    const sent = (disputeId: string, version: number) =>
      db.delivery.updateMany({
        where: { disputeId, version, kind: { not: 'citizen_notice' } },
        data: { state: 'delivered', deliveredAt: new Date() },
      });
    const toPolice = (version: number) =>
      db.delivery.findMany({
        where: { disputeId: report.disputeId, version, recipient: depts.police.code },
        select: { kind: true, state: true },
      });
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    await sent(report.disputeId, 1);
    await recordAssignment(db, assignment(report, { version: 2, lead: depts.court }), routing);
    expect(await toPolice(2)).toEqual([{ kind: 'withdrawal', state: 'pending' }]);
    // The withdrawal has not gone out yet (the police webhook is retrying) when it is moot.
    await recordAssignment(db, assignment(report, { version: 3, lead: depts.police }), routing);
    expect(await toPolice(2)).toEqual([{ kind: 'withdrawal', state: 'cancelled' }]);
    expect(await toPolice(3)).toEqual([{ kind: 'assignment_update', state: 'pending' }]);

    // Now the withdrawal did reach the police: back with them, it is a new assignment to them.
    const again = dispute();
    const kindsFor = async (version: number) =>
      (
        await db.delivery.findMany({
          where: { disputeId: again.disputeId, version },
          select: { kind: true, recipient: true },
        })
      )
        .filter((row) => row.recipient !== again.parties[0]!.phone)
        .map((row) => [row.kind, row.recipient])
        .sort();
    await recordAssignment(db, assignment(again, { lead: depts.police }), routing);
    await sent(again.disputeId, 1);
    await recordAssignment(db, assignment(again, { version: 2, lead: depts.court }), routing);
    await sent(again.disputeId, 2);
    await recordAssignment(db, assignment(again, { version: 3, lead: depts.police }), routing);
    expect(await kindsFor(3)).toEqual(
      [
        ['assignment', depts.police.code],
        ['withdrawal', depts.court.code],
      ].sort(),
    );
    await sent(again.disputeId, 3);
    // …and when it leaves them again, one withdrawal each for the police (v3) and none twice.
    await recordAssignment(db, assignment(again, { version: 4, lead: depts.judicial }), routing);
    expect(await kindsFor(4)).toEqual(
      [
        ['assignment', depts.judicial.code],
        ['withdrawal', depts.police.code],
      ].sort(),
    );
  });

  it('a re-routing that keeps the lead (a 催办) gives it no more time: its update and its reminders keep the earlier deadline', async () => {
    const report = dispute();
    const firstDue = new Date(Date.now() + 10 * 24 * 3600_000).toISOString();
    const laterDue = new Date(Date.now() + 20 * 24 * 3600_000).toISOString();
    await recordAssignment(db, assignment(report, { lead: depts.police, dueAt: firstDue }), routing);
    await db.delivery.updateMany({
      where: { disputeId: report.disputeId, version: 1 },
      data: { state: 'delivered', deliveredAt: new Date() },
    });
    await recordAssignment(
      db,
      assignment(report, { version: 2, lead: depts.police, coHandlers: [depts.judicial], dueAt: laterDue }),
      routing,
    );
    const dueOf = async (code: string) =>
      (
        (
          await db.delivery.findFirstOrThrow({
            where: { disputeId: report.disputeId, version: 2, recipient: code },
          })
        ).payload as { dueAt: string }
      ).dueAt;
    expect(await dueOf(depts.police.code)).toBe(firstDue);
    // A department new to the dispute joins at the case's deadline, as the cases service records it.
    expect(await dueOf(depts.judicial.code)).toBe(firstDue);
    const overdue = await db.slaReminder.findFirstOrThrow({
      where: { disputeId: report.disputeId, version: 2, level: 'overdue' },
    });
    expect(overdue.fireAt.toISOString()).toBe(firstDue);
  });

  it('a 催办 before the first assignment went out (the webhook down) still gives the lead no more time, as the cases service keeps it', async () => {
    const report = dispute();
    const firstDue = new Date(Date.now() + 10 * 24 * 3600_000).toISOString();
    const laterDue = new Date(Date.now() + 20 * 24 * 3600_000).toISOString();
    await recordAssignment(db, assignment(report, { lead: depts.police, dueAt: firstDue }), routing);
    // Version 1 is still pending (retrying a receiver that is down) when the 催办's decision comes.
    await recordAssignment(
      db,
      assignment(report, { version: 2, lead: depts.police, dueAt: laterDue }),
      routing,
    );
    const sent = await db.delivery.findFirstOrThrow({
      where: { disputeId: report.disputeId, version: 2, recipient: depts.police.code },
    });
    expect((sent.payload as { dueAt: string }).dueAt).toBe(firstDue);
    const overdue = await db.slaReminder.findFirstOrThrow({
      where: { disputeId: report.disputeId, version: 2, level: 'overdue' },
    });
    expect(overdue.fireAt.toISOString()).toBe(firstDue);
  });

  it('a department routed back after a version that left it out starts afresh: the new deadline, as the cases service gives it', async () => {
    const report = dispute();
    const firstDue = new Date(Date.now() + 10 * 24 * 3600_000).toISOString();
    const laterDue = new Date(Date.now() + 20 * 24 * 3600_000).toISOString();
    await recordAssignment(db, assignment(report, { lead: depts.police, dueAt: firstDue }), routing);
    // Version 2 (to triage) leaves the police out before version 1 ever went out; version 3 routes it back.
    await recordAssignment(db, assignment(report, { version: 2, lead: null }), routing);
    await recordAssignment(
      db,
      assignment(report, { version: 3, lead: depts.police, dueAt: laterDue }),
      routing,
    );
    const sent = await db.delivery.findFirstOrThrow({
      where: { disputeId: report.disputeId, version: 3, recipient: depts.police.code },
    });
    expect((sent.payload as { dueAt: string }).dueAt).toBe(laterDue);
  });

  it('re-routed: a dead-lettered assignment of the older version is cancelled, so no replay sends it to a department that no longer holds the dispute', async () => {
    const report = dispute();
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    // The police webhook was down: the assignment went through its tries and waits as a dead letter.
    await db.delivery.updateMany({
      where: { disputeId: report.disputeId, recipient: depts.police.code },
      data: { state: 'failed', attempts: 8, lastError: 'HTTP 503' },
    });
    // Meanwhile an operator corrects the place: the dispute is the court's now.
    await recordAssignment(db, assignment(report, { version: 2, lead: depts.court }), routing);
    const old = await db.delivery.findFirstOrThrow({
      where: { disputeId: report.disputeId, version: 1, recipient: depts.police.code },
    });
    // Failed, it is in the operators' dead-letter list, and a replay would hand the police a
    // dispute that is the court's, with no withdrawal ever to follow.
    expect(old.state).toBe('cancelled');
    expect(old.lastError).toBe('superseded by routing version 2');
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

  it('办结反馈: what the hotline needs to close its order, its finish time in China time, once on resolved then closed', async () => {
    const report = dispute({ sourceClient: 'longyan-12345' });
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    const caseId = randomUUID();
    // Cases stamps its events with Date.toISOString(): UTC.
    const ended = outcomeEvent(caseId, [report], { occurredAt: '2024-09-02T16:30:00.000Z' });
    await recordCaseStatus(db, ended, routing);
    await recordCaseStatus(
      db,
      { ...ended, status: 'closed', previousStatus: 'resolved', occurredAt: '2024-09-03T01:00:00.000Z' },
      routing,
    );
    const callbacks = await db.delivery.findMany({ where: { caseId, kind: 'result_callback' } });
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]!.payload).toMatchObject({
      orderNo: report.sourceRef,
      result: '调解成功，涉及金额3800元',
      feedback: '调解成功，涉及金额3800元。双方达成赔偿协议，当场履行',
      handledBy: depts.police.name,
      // 办结时间 as the hotline keeps it: the next day in China, with its offset.
      finishedAt: '2024-09-03T00:30:00+08:00',
    });
  });

  it('the referring court is told the mediation outcome with its close time in China time, as the hotline is', async () => {
    const referral = courtReferral();
    await recordAssignment(db, assignment(referral, { lead: depts.police }), routing);
    const caseId = randomUUID();
    // Stamped in UTC by cases: 00:30 on the 3rd in China.
    await recordCaseStatus(
      db,
      outcomeEvent(caseId, [referral], { occurredAt: '2024-09-02T16:30:00.000Z' }),
      routing,
    );
    const callback = await db.delivery.findFirstOrThrow({ where: { caseId, kind: 'result_callback' } });
    expect(callback).toMatchObject({ channel: 'court', recipient: 'yd-court' });
    expect(callback.payload).toMatchObject({
      caseNo: referral.sourceRef,
      mediated: true,
      mediatedBy: depts.police.name,
      closedAt: '2024-09-03T00:30:00+08:00',
    });
  });

  it('case.status.v1 of a case merged into another: its dispute is listed under that case, its reminders gone', async () => {
    const report = dispute();
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    const [folded, joined] = [randomUUID(), randomUUID()];
    await recordCaseStatus(db, statusEvent(folded, [report], 'assigned'), routing);
    await recordCaseStatus(
      db,
      { ...statusEvent(folded, [report], 'closed'), previousStatus: 'assigned', mergedInto: joined },
      routing,
    );
    expect(await db.caseDispute.findUnique({ where: { disputeId: report.disputeId } })).toMatchObject({
      caseId: joined,
    });
    // One matter, one set of reminders: the case it joined has its own.
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(0);
  });

  it('a case folded into another: each department that got its dispute is told once that it lost it and where the matter went; what had not gone out is cancelled', async () => {
    const report = dispute();
    await recordAssignment(
      db,
      assignment(report, { lead: depts.police, coHandlers: [depts.court, depts.judicial] }),
      routing,
    );
    // The police and the court got the dispute; the judicial office's webhook is still retrying.
    await db.delivery.updateMany({
      where: { disputeId: report.disputeId, recipient: { in: [depts.police.code, depts.court.code] } },
      data: { state: 'delivered' },
    });
    const [joinedCase, joinedDispute] = [randomUUID(), randomUUID()];
    const folded = {
      ...statusEvent(randomUUID(), [report], 'closed'),
      previousStatus: 'assigned' as const,
      mergedInto: joinedCase,
      mergedIntoDisputeId: joinedDispute,
    };
    expect(await recordCaseStatus(db, folded, routing)).toBe(2);
    expect(await recordCaseStatus(db, folded, routing)).toBe(0);
    const toDepartments = await db.delivery.findMany({
      where: { disputeId: report.disputeId, kind: { in: ['assignment', 'withdrawal'] } },
    });
    const withdrawal = {
      disputeId: report.disputeId,
      version: 1,
      reason: 'merged',
      mergedInto: { caseId: joinedCase, disputeId: joinedDispute },
    };
    expect(toDepartments.map((row) => [row.recipient, row.kind, row.state, row.payload]).sort()).toEqual(
      [
        [depts.police.code, 'assignment', 'delivered', expect.anything()],
        [depts.police.code, 'withdrawal', 'pending', withdrawal],
        [depts.court.code, 'assignment', 'delivered', expect.anything()],
        [depts.court.code, 'withdrawal', 'pending', withdrawal],
        [depts.judicial.code, 'assignment', 'cancelled', expect.anything()],
      ].sort(),
    );
    // What a webhook receives is what the published schema says.
    for (const row of toDepartments.filter((row) => row.kind === 'withdrawal'))
      expect(WithdrawalWebhookData.parse(row.payload)).toEqual(row.payload);
  });

  it("the joined case's status for a report that joined it (cases publishes it with the fold, on the joined case's key): before or after the fold, the report's departments are withdrawn once and no result goes out", async () => {
    const outcomes = [];
    for (const joinedFirst of [true, false]) {
      const report = dispute({ sourceClient: 'longyan-12345' });
      await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
      await db.delivery.updateMany({ where: { disputeId: report.disputeId }, data: { state: 'delivered' } });
      const joinedCase = randomUUID();
      // Both stamped with the fold's time, as cases stamps them.
      const occurredAt = new Date().toISOString();
      const fold = {
        ...statusEvent(randomUUID(), [report], 'closed'),
        previousStatus: 'received' as const,
        occurredAt,
        mergedInto: joinedCase,
        mergedIntoDisputeId: randomUUID(),
      };
      const joined = {
        ...statusEvent(joinedCase, [report], 'mediating'),
        previousStatus: 'received' as const,
        occurredAt,
      };
      for (const event of joinedFirst ? [joined, fold, joined] : [fold, joined, fold])
        await recordCaseStatus(db, event, routing);
      const kinds = await db.delivery.findMany({
        where: { disputeId: report.disputeId, kind: { notIn: ['assignment'] } },
        select: { kind: true, dedupeKey: true },
      });
      outcomes.push({
        withdrawals: kinds.filter((row) => row.kind === 'withdrawal').length,
        results: kinds.filter((row) => row.kind.includes('result') || row.dedupeKey.includes('result'))
          .length,
        listedUnder: (await db.caseDispute.findUniqueOrThrow({ where: { disputeId: report.disputeId } }))
          .caseId,
      });
      expect(outcomes.at(-1)?.listedUnder).toBe(joinedCase);
    }
    expect(outcomes.map(({ withdrawals, results }) => ({ withdrawals, results }))).toEqual([
      { withdrawals: 1, results: 0 },
      { withdrawals: 1, results: 0 },
    ]);
  });

  it('a case that ended tells its outcome to the departments that hold it, not to those a fold withdrew nor to one never sent the folded report', async () => {
    // Yang's case: his first report led by the police; a repeat routed on its own to the court
    // (delivered) and the judicial office (its webhook still retrying) is folded into it.
    const first = dispute({ sourceClient: 'longyan-12345' });
    const repeat = dispute({ sourceClient: 'longyan-12345' });
    await recordAssignment(db, assignment(first, { lead: depts.police }), routing);
    await recordAssignment(
      db,
      assignment(repeat, { lead: depts.court, coHandlers: [depts.judicial] }),
      routing,
    );
    await db.delivery.updateMany({
      where: {
        disputeId: { in: [first.disputeId, repeat.disputeId] },
        recipient: { not: depts.judicial.code },
      },
      data: { state: 'delivered' },
    });
    const caseId = randomUUID();
    await recordCaseStatus(
      db,
      {
        ...statusEvent(randomUUID(), [repeat], 'closed'),
        mergedInto: caseId,
        mergedIntoDisputeId: first.disputeId,
      },
      routing,
    );
    await recordCaseStatus(db, outcomeEvent(caseId, [first, repeat]), routing);
    const results = await db.delivery.findMany({ where: { caseId, kind: 'case_result' } });
    // The outcome (what was agreed, the amount) goes to the department handling the case.
    expect(results.map((row) => row.recipient)).toEqual([depts.police.code]);
    const callbacks = await db.delivery.findMany({ where: { caseId, kind: 'result_callback' } });
    expect(callbacks.map((row) => (row.payload as { handledBy?: string }).handledBy)).toEqual([
      depts.police.name,
      depts.police.name,
    ]);
  });

  /** The fold of `report`'s case into another, as the cases service announces it. */
  const foldOf = (report: ReturnType<typeof dispute>) => ({
    ...statusEvent(randomUUID(), [report], 'closed'),
    previousStatus: 'received' as const,
    mergedInto: randomUUID(),
    mergedIntoDisputeId: randomUUID(),
  });
  /** Sessions of this database waiting for a lock. */
  const waiting = async () =>
    (
      await db.$queryRaw<{ waiting: number }[]>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`
    )[0]!.waiting;
  /**
   * A dispute's decision and a fold of its case handled at the same moment (two replicas). Another
   * session is writing the police's delivery of the decision (a redelivery on a replica): the
   * decision, past its look at notify.case_disputes, waits for it to end. The fold comes
   * meanwhile and either ends or waits for the decision; the session then gives way.
   */
  const decideWhileFolding = async (
    report: ReturnType<typeof dispute>,
    decide: () => Promise<number>,
    fold: () => Promise<number>,
  ) => {
    let decided: Promise<number> | undefined;
    let folded: Promise<number> | undefined;
    let foldDone = false;
    const giveWay = new Error('the other session gives way');
    await expect(
      db.$transaction(async (tx) => {
        await tx.delivery.create({
          data: {
            dedupeKey: `assignment:${report.disputeId}:v1:${depts.police.code}`,
            kind: 'assignment',
            channel: 'outbox',
            recipient: depts.police.code,
            disputeId: report.disputeId,
            version: 1,
            payload: {},
          },
        });
        decided = decide();
        await expect.poll(waiting, { timeout: 4_000 }).toBe(1);
        folded = fold().finally(() => {
          foldDone = true;
        });
        await expect.poll(async () => foldDone || (await waiting()) === 2, { timeout: 4_000 }).toBe(true);
        throw giveWay;
      }),
    ).rejects.toBe(giveWay);
    await Promise.all([decided, folded]);
  };
  /** What the departments were handed of a dispute and not taken back before it went out. */
  const handed = async (disputeId: string) =>
    (
      await db.delivery.findMany({
        where: {
          disputeId,
          kind: { in: ['assignment', 'assignment_update', 'withdrawal'] },
          state: { not: 'cancelled' },
        },
      })
    )
      .map((row) => [row.recipient, row.kind, row.version])
      .sort();

  it("the fold's status before the folded report's decision (another topic): in either order no department is handed the dispute nor reminded of it; the citizen is told as before", async () => {
    const outcomes = [];
    for (const foldFirst of [false, true]) {
      const report = dispute();
      const fold = foldOf(report);
      const decision = assignment(report, { lead: depts.police, coHandlers: [depts.court] });
      if (foldFirst) {
        await recordCaseStatus(db, fold, routing);
        // The joined case's own news lists the dispute too, and does not unfold it.
        await recordCaseStatus(
          db,
          { ...statusEvent(fold.mergedInto, [report], 'accepted'), previousStatus: 'assigned' },
          routing,
        );
        await recordAssignment(db, decision, routing);
        await recordAssignment(db, decision, routing);
      } else {
        await recordAssignment(db, decision, routing);
        await recordCaseStatus(db, fold, routing);
      }
      outcomes.push({
        handed: await handed(report.disputeId),
        reminders: await db.slaReminder.count({ where: { disputeId: report.disputeId } }),
        citizen: await db.delivery.count({ where: { disputeId: report.disputeId, kind: 'citizen_notice' } }),
      });
    }
    expect(outcomes).toEqual([
      { handed: [], reminders: 0, citizen: 1 },
      { handed: [], reminders: 0, citizen: 1 },
    ]);
  });

  it('a later decision of a folded dispute hands it back to nobody: the department withdrawn at the fold is not updated nor withdrawn twice', async () => {
    const report = dispute();
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    await db.delivery.updateMany({ where: { disputeId: report.disputeId }, data: { state: 'delivered' } });
    await recordCaseStatus(db, foldOf(report), routing);
    await db.delivery.updateMany({ where: { disputeId: report.disputeId }, data: { state: 'delivered' } });
    expect(await recordAssignment(db, assignment(report, { version: 2, lead: depts.police }), routing)).toBe(
      0,
    );
    expect(await handed(report.disputeId)).toEqual([
      [depts.police.code, 'assignment', 1],
      [depts.police.code, 'withdrawal', 1],
    ]);
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(0);
  });

  it('a folded report an operator detached into a case of its own is handed to the departments of its next decision', async () => {
    const report = dispute();
    await recordCaseStatus(db, foldOf(report), routing);
    await recordCaseStatus(db, { ...statusEvent(randomUUID(), [report], 'triage') }, routing);
    await recordAssignment(db, assignment(report, { version: 2, lead: depts.judicial }), routing);
    expect(await handed(report.disputeId)).toEqual([[depts.judicial.code, 'assignment', 2]]);
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(2);
  });

  it("the fold's status and the folded report's decision handled at the same moment (two replicas): the decision's departments are not handed it", async () => {
    const report = dispute();
    const decision = assignment(report, { lead: depts.police });
    await decideWhileFolding(
      report,
      () => recordAssignment(db, decision, routing),
      () => recordCaseStatus(db, foldOf(report), routing),
    );
    expect(await handed(report.disputeId)).toEqual([]);
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(0);
  });

  // Where the joined case of the next two tests is, and where a correction's decision moves it.
  const [joinedTown, movedTo] = ['350803105', '350802107'];
  /** A case at `joinedTown`, led by the judicial office (or in triage): the one reports are folded into. */
  const joinedCaseAtItsTown = async (lead: Department | null = depts.judicial) => {
    const joined = dispute();
    const caseId = randomUUID();
    await recordAssignment(db, assignment(joined, { lead }), routing);
    await recordCaseStatus(db, statusEvent(caseId, [joined], 'assigned'), routing);
    return { joined, caseId };
  };
  /**
   * A correction's decision moving the joined case to `movedTo`, recorded as recordAssignment does
   * (under its dispute's lock), held open while `work` starts; committed once `waiters` sessions
   * wait for a lock. What `work` started is then awaited.
   */
  const whileMoving = async <T>(joinedDisputeId: string, waiters: number, work: () => Promise<T>) => {
    let started: Promise<T> | undefined;
    await db.$transaction(async (tx) => {
      await lockDisputes(tx, [joinedDisputeId]);
      await tx.disputeSource.update({
        where: { disputeId: joinedDisputeId },
        data: { divisionCode: movedTo },
      });
      await placeCase(tx, joinedDisputeId, movedTo);
      started = work();
      await expect.poll(waiting, { timeout: 4_000 }).toBe(waiters);
    });
    return started!;
  };

  it("a fold's withdrawals and its citizens' notices, written while a decision moves the case they joined (two replicas), end where that decision put it", async () => {
    const { joined, caseId } = await joinedCaseAtItsTown();
    // One report handed to the police and delivered; another in triage, its citizen not told yet.
    const [handedOut, inTriage] = [dispute(), dispute()];
    await recordAssignment(db, assignment(handedOut, { lead: depts.police }), routing);
    await recordAssignment(db, assignment(inTriage, { lead: null }), routing);
    await db.delivery.updateMany({ where: { disputeId: handedOut.disputeId }, data: { state: 'delivered' } });
    for (const report of [handedOut, inTriage])
      await recordCaseStatus(db, statusEvent(randomUUID(), [report], 'assigned'), routing);
    // Both folded into the joined case: what the fold's status records before its withdrawals.
    await db.caseDispute.updateMany({
      where: { disputeId: { in: [handedOut.disputeId, inTriage.disputeId] } },
      data: { caseId, mergedInto: caseId, mergedIntoDisputeId: joined.disputeId },
    });
    // The withdrawals, and the notices (as the fold, or the joined case's own decision, writes them).
    const written = await whileMoving(joined.disputeId, 2, () =>
      Promise.all([
        withdrawFolded(
          db,
          { disputeIds: [handedOut.disputeId], mergedInto: caseId, mergedIntoDisputeId: joined.disputeId },
          routing,
        ),
        tellFoldedCitizens(
          db,
          { disputeIds: [inTriage.disputeId], joinedDisputeId: joined.disputeId, divisionCode: joinedTown },
          routing,
        ),
      ]),
    );
    expect(written).toEqual([1, 1]);
    // The police's withdrawal of the one, the notice to the other's citizen: where the case is now.
    const rows = await db.delivery.findMany({
      where: {
        OR: [
          { disputeId: handedOut.disputeId, kind: 'withdrawal' },
          { disputeId: inTriage.disputeId, kind: 'citizen_notice' },
        ],
      },
      select: { kind: true, recipient: true, divisionCode: true },
    });
    expect(rows.map(({ kind, recipient, divisionCode }) => [kind, recipient, divisionCode]).sort()).toEqual([
      ['citizen_notice', expect.any(String), movedTo],
      ['withdrawal', depts.police.code, movedTo],
    ]);
  });

  it.each([
    ['led', true],
    ['in triage', false],
  ])(
    "a folded report's own decision, come late while a decision moves the case it joined (%s): its citizen's notice ends where that case is",
    async (_, led) => {
      const { joined, caseId } = await joinedCaseAtItsTown(led ? depts.judicial : null);
      const report = dispute();
      // The fold's status before the report's own decision (another topic).
      const fold = { ...foldOf(report), mergedInto: caseId, mergedIntoDisputeId: joined.disputeId };
      await recordCaseStatus(db, { ...fold, divisionCode: joinedTown }, routing);
      // It writes the notice at the place it read, then waits to hand the report over.
      await whileMoving(joined.disputeId, 1, () =>
        recordAssignment(db, assignment(report, { lead: depts.police }), routing),
      );
      const notices = await db.delivery.findMany({
        where: { disputeId: report.disputeId, kind: 'citizen_notice' },
        select: { divisionCode: true },
      });
      expect(notices).toEqual([{ divisionCode: movedTo }]);
    },
  );

  it('a fold delivered late, after the report was detached into a case of its own, neither re-marks it nor takes it from its new departments', async () => {
    const report = dispute();
    const fold = { ...foldOf(report), occurredAt: new Date(Date.now() - 60_000).toISOString() };
    const detached = statusEvent(randomUUID(), [report], 'triage');
    await recordCaseStatus(db, detached, routing);
    await recordAssignment(db, assignment(report, { version: 2, lead: depts.judicial }), routing);
    await recordCaseStatus(db, fold, routing);
    expect(await handed(report.disputeId)).toEqual([[depts.judicial.code, 'assignment', 2]]);
    expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(2);
    expect(
      await db.caseDispute.findUnique({
        where: { disputeId: report.disputeId },
        select: { caseId: true, mergedInto: true },
      }),
    ).toEqual({ caseId: detached.caseId, mergedInto: null });
  });

  /** An instant `ms` milliseconds from `from` (cases' clock unless said otherwise). */
  const isoAt = (from: number, ms = 0) => new Date(from + ms).toISOString();
  /**
   * A report routed to the police, its case folded into another ten minutes ago (the police
   * withdrawn), then detached by an operator into a case of its own (status `triage`), nine
   * minutes later unless `detachAfterMs` says otherwise. The detach asks routing for version 2,
   * and its status says so (`awaitsRoutingVersion`); routing's answer hands the report to its
   * town's judicial office (lead) and police station. Routing's clock is `routingAheadMs` ahead of
   * cases' (behind when negative), as its `decidedAt` shows: notify must not compare the two.
   */
  const detachAfterFold = async ({ routingAheadMs = 0, detachAfterMs = 9 * 60_000 } = {}) => {
    const report = dispute();
    report.parties[0]!.idNumber = '350802199001011234';
    // What a hotline operator types: the caller's ID-card number and mobile, in the content.
    report.content += ` 身份证350802199001011234，电话13912345678。`;
    const foldAt = Date.now() - 10 * 60_000;
    const fold = { ...foldOf(report), occurredAt: isoAt(foldAt) };
    // Cases folds a repeat when it records routing's first decision on it: milliseconds after it.
    const overtaken = {
      ...assignment(report, { lead: depts.police }),
      decidedAt: isoAt(foldAt, -20 + routingAheadMs),
    };
    const detached = {
      ...statusEvent(randomUUID(), [report], 'triage'),
      occurredAt: isoAt(foldAt, detachAfterMs),
      awaitsRoutingVersion: 2,
    };
    const answer = {
      ...assignment(report, {
        version: 2,
        lead: depts.judicial,
        coHandlers: [depts.station],
        dueAt: new Date(Date.now() + 7 * 24 * 3600_000).toISOString(),
      }),
      decidedAt: isoAt(foldAt, detachAfterMs + 200 + routingAheadMs),
    };
    return {
      report,
      answer,
      /** The report's first decision, recorded before the fold (its police withdrawn, both sent). */
      decidedBeforeFold: async () => {
        await recordAssignment(db, overtaken, routing);
        await db.delivery.updateMany({
          where: { disputeId: report.disputeId },
          data: { state: 'delivered' },
        });
        await recordCaseStatus(db, fold, routing);
        await db.delivery.updateMany({
          where: { disputeId: report.disputeId },
          data: { state: 'delivered' },
        });
      },
      fold: () => recordCaseStatus(db, fold, routing),
      /** The report's first decision, made before the fold and heard after it (another topic). */
      overtaken: () => recordAssignment(db, overtaken, routing),
      status: () => recordCaseStatus(db, detached, routing),
      decision: () => recordAssignment(db, answer, routing),
      /** The dispatcher sends what is due (between two events: a webhook handed out goes out). */
      sent: () =>
        db.delivery.updateMany({
          where: { disputeId: report.disputeId, state: 'pending' },
          data: { state: 'delivered' },
        }),
    };
  };
  /** The assignments of a dispute's version, not cancelled: who, in what role, by when, with whose contact. */
  const assignmentsOf = async (disputeId: string, version: number) =>
    (
      await db.delivery.findMany({
        where: {
          disputeId,
          version,
          kind: { in: ['assignment', 'assignment_update'] },
          state: { not: 'cancelled' },
        },
      })
    )
      .map((row) => {
        const payload = AssignmentWebhookData.parse(row.payload);
        return [row.recipient, row.kind, payload.role, payload.dueAt, payload.contact?.phone ?? null];
      })
      .sort();
  /** What notify keeps of a dispute's latest decision while a fold's marker holds it back. */
  const heldOf = async (disputeId: string) =>
    (await db.disputeSource.findUnique({ where: { disputeId }, select: { heldDecision: true } }))
      ?.heldDecision ?? null;

  it("a folded report detached into a case of its own: routing's answer, heard before or after the new case's status (two topics), reaches its lead and co-handler once; redelivered, nothing more; whatever routing's clock says", async () => {
    for (const clock of [
      { routingAheadMs: 0 },
      // The operator undid a mistaken merge two seconds later; routing's clock is three seconds
      // behind cases': its answer to the detach is dated before the fold.
      { routingAheadMs: -3_000, detachAfterMs: 2_000 },
    ])
      for (const decisionFirst of [true, false]) {
        const detach = await detachAfterFold(clock);
        const { report, answer } = detach;
        await detach.decidedBeforeFold();
        const recorded = [];
        for (const step of decisionFirst
          ? [detach.decision, detach.status]
          : [detach.status, detach.decision]) {
          recorded.push(await step());
          await detach.sent();
          // Heard first, the decision is kept until the status comes: without an ID-card number,
          // in the parties or in the words.
          const heldDecision = await heldOf(report.disputeId);
          if (decisionFirst && recorded.length === 1) {
            expect(heldDecision).toMatchObject({ version: 2, lead: { code: depts.judicial.code } });
            expect(JSON.stringify(heldDecision)).not.toContain('350802199001011234');
          } else expect(heldDecision).toBeNull();
        }
        // The decision, the status and the fold delivered again (the fold late, older): nothing more.
        const again = [await detach.decision(), await detach.status(), await detach.fold()];
        const phone = report.parties[0]!.phone!;
        expect({ ...clock, decisionFirst, recorded, again }).toEqual({
          ...clock,
          decisionFirst,
          recorded: [0, 2],
          again: [0, 0, 0],
        });
        expect(await assignmentsOf(report.disputeId, 2)).toEqual(
          [
            [depts.judicial.code, 'assignment', 'lead', answer.dueAt, phone],
            [depts.station.code, 'assignment', 'co', answer.dueAt, null],
          ].sort(),
        );
        // The lead reads the words as routing's copy gives them: the mobile it calls back on, no
        // ID-card number (held or not, the same copy).
        const lead = await db.delivery.findFirstOrThrow({
          where: { disputeId: report.disputeId, version: 2, recipient: depts.judicial.code },
        });
        expect(AssignmentWebhookData.parse(lead.payload).content).toContain(
          '身份证[身份证号]，电话13912345678',
        );
        expect(await handed(report.disputeId)).toEqual(
          [
            [depts.police.code, 'assignment', 1],
            [depts.police.code, 'withdrawal', 1],
            [depts.judicial.code, 'assignment', 2],
            [depts.station.code, 'assignment', 2],
          ].sort(),
        );
        expect(await db.slaReminder.count({ where: { disputeId: report.disputeId, version: 2 } })).toBe(2);
        expect(
          await db.disputeSource.findUnique({
            where: { disputeId: report.disputeId },
            select: { routingVersion: true, heldDecision: true },
          }),
        ).toEqual({ routingVersion: 2, heldDecision: null });
      }
  });

  it("a repeat's own decision that its fold overtook is not handed out when the report is detached, even dated after the fold by routing's clock: only routing's answer to the detach, once, in either order", async () => {
    // Routing's clock a second ahead of cases': the repeat's first decision, made 20 ms before
    // cases folded the repeat, is dated after the fold.
    for (const routingAheadMs of [0, 1_000])
      for (const decisionFirst of [true, false]) {
        const detach = await detachAfterFold({ routingAheadMs });
        const { report, answer } = detach;
        for (const step of [
          detach.fold,
          detach.overtaken,
          ...(decisionFirst ? [detach.decision, detach.status] : [detach.status, detach.decision]),
          detach.status,
        ]) {
          await step();
          await detach.sent();
        }
        expect({ routingAheadMs, decisionFirst, handed: await handed(report.disputeId) }).toEqual({
          routingAheadMs,
          decisionFirst,
          handed: [
            [depts.judicial.code, 'assignment', 2],
            [depts.station.code, 'assignment', 2],
          ].sort(),
        });
        expect((await assignmentsOf(report.disputeId, 2)).map(([, , role, dueAt]) => [role, dueAt])).toEqual([
          ['co', answer.dueAt],
          ['lead', answer.dueAt],
        ]);
        expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(2);
        expect(await heldOf(report.disputeId)).toBeNull();
      }
  });

  it("a case corrected, then merged into another before routing answered: that answer (made after the merge) is handed to nobody, nor on a later detach; only routing's answer to the detach reaches departments, once, in either order", async () => {
    for (const decisionFirst of [true, false]) {
      const report = dispute();
      const now = Date.now();
      const sent = () =>
        db.delivery.updateMany({
          where: { disputeId: report.disputeId, state: 'pending' },
          data: { state: 'delivered' },
        });
      // Routed to the police; an operator corrects the case (asks version 2: the court), then
      // merges it into another before routing answers; later detaches the report (asks version 3).
      await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
      await sent();
      const fold = { ...foldOf(report), occurredAt: isoAt(now, -60_000) };
      await recordCaseStatus(db, fold, routing);
      await sent();
      const corrected = {
        ...assignment(report, { version: 2, lead: depts.court }),
        decidedAt: isoAt(now, -30_000),
      };
      expect(await recordAssignment(db, corrected, routing)).toBe(0);
      expect(await heldOf(report.disputeId)).toMatchObject({ version: 2 });
      const detached = {
        ...statusEvent(randomUUID(), [report], 'triage'),
        occurredAt: isoAt(now, -10_000),
        awaitsRoutingVersion: 3,
      };
      const answer = assignment(report, { version: 3, lead: depts.judicial, coHandlers: [depts.station] });
      const steps = {
        status: () => recordCaseStatus(db, detached, routing),
        decision: () => recordAssignment(db, answer, routing),
      };
      for (const step of decisionFirst
        ? (['decision', 'status'] as const)
        : (['status', 'decision'] as const)) {
        await steps[step]();
        await sent();
      }
      // Each delivered again, the correction's answer too: nothing more.
      expect([
        await steps.decision(),
        await steps.status(),
        await recordAssignment(db, corrected, routing),
      ]).toEqual([0, 0, 0]);
      expect({ decisionFirst, handed: await handed(report.disputeId) }).toEqual({
        decisionFirst,
        handed: [
          [depts.police.code, 'assignment', 1],
          [depts.police.code, 'withdrawal', 1],
          [depts.judicial.code, 'assignment', 3],
          [depts.station.code, 'assignment', 3],
        ].sort(),
      });
      expect(
        await db.delivery.count({ where: { disputeId: report.disputeId, recipient: depts.court.code } }),
      ).toBe(0);
      expect(await db.slaReminder.count({ where: { disputeId: report.disputeId } })).toBe(2);
      expect(await heldOf(report.disputeId)).toBeNull();
    }
  });

  it("a folded report's decision kept while it is folded is dropped when the case it joined ends (a detach can no longer come): not when that case is folded in turn", async () => {
    const first = dispute();
    const report = dispute();
    const [joined, next] = [randomUUID(), randomUUID()];
    const now = Date.now();
    const fold = {
      ...foldOf(report),
      occurredAt: isoAt(now, -60_000),
      mergedInto: joined,
      mergedIntoDisputeId: first.disputeId,
    };
    await recordCaseStatus(db, fold, routing);
    await recordAssignment(db, assignment(report, { version: 2, lead: depts.judicial }), routing);
    expect(await heldOf(report.disputeId)).toMatchObject({ version: 2 });
    // The joined case's news, and its fold into yet another case (closed, its matter goes on there).
    await recordCaseStatus(
      db,
      { ...statusEvent(joined, [first, report], 'mediating'), occurredAt: isoAt(now, -50_000) },
      routing,
    );
    await recordCaseStatus(
      db,
      {
        ...statusEvent(joined, [first, report], 'closed'),
        occurredAt: isoAt(now, -40_000),
        mergedInto: next,
        mergedIntoDisputeId: first.disputeId,
      },
      routing,
    );
    expect(await heldOf(report.disputeId)).toMatchObject({ version: 2 });
    // The case it is in now ends.
    await recordCaseStatus(
      db,
      outcomeEvent(next, [first, report], { occurredAt: isoAt(now, -30_000) }),
      routing,
    );
    expect(await heldOf(report.disputeId)).toBeNull();
    expect(await handed(report.disputeId)).toEqual([]);
  });

  /** Every order of `steps`. */
  const everyOrder = <T>(steps: T[]): T[][] =>
    steps.length <= 1
      ? [steps]
      : steps.flatMap((step, i) => everyOrder(steps.toSpliced(i, 1)).map((rest) => [step, ...rest]));
  /**
   * A repeat of a case the court leads, folded into it, in every order of what notify is told:
   * the joined case's decision, the fold, the repeat's own decision (`decisionOf`), each delivered
   * `times` times. Three topics: the joined case's decision may well come last.
   */
  async function foldedRepeatInEveryOrder(
    decisionOf: (repeat: ReturnType<typeof dispute>) => ReturnType<typeof assignment>,
    times = 1,
  ) {
    const runs: { repeat: ReturnType<typeof dispute>; joinedDue: string }[] = [];
    for (const order of everyOrder(['joinedDecision', 'fold', 'repeatDecision'] as const)) {
      const first = dispute();
      const repeat = dispute();
      const joinedDue = new Date(Date.now() + 5 * 24 * 3600_000).toISOString();
      const fold = { ...foldOf(repeat), mergedIntoDisputeId: first.disputeId };
      const steps = {
        joinedDecision: () =>
          recordAssignment(db, assignment(first, { lead: depts.court, dueAt: joinedDue }), routing),
        fold: () => recordCaseStatus(db, fold, routing),
        repeatDecision: () => recordAssignment(db, decisionOf(repeat), routing),
      };
      for (const step of order) for (let i = 0; i < times; i++) await steps[step]();
      runs.push({ repeat, joinedDue });
    }
    return runs;
  }
  const inDays = (days: number) => new Date(Date.now() + days * 24 * 3600_000).toISOString();
  const inTriage = (repeat: ReturnType<typeof dispute>) => ({
    ...assignment(repeat, { lead: null }),
    triage: { divisionCode: '350803', reason: '无法确定乡镇' },
  });
  const acceptedBy = (repeat: ReturnType<typeof dispute>, joinedDue: string) => ({
    notice: 'accepted',
    params: { ref: repeat.sourceRef, department: depts.court.name, dueDate: chineseDate(joinedDue) },
    dueAt: joinedDue,
  });

  it("a folded repeat's citizen is told the lead and the deadline of the case it joined, whichever comes first", async () => {
    const runs = await foldedRepeatInEveryOrder((repeat) => assignment(repeat, { lead: depts.police }), 2);
    const told = await Promise.all(
      runs.map(
        async ({ repeat }) =>
          (
            await db.delivery.findUniqueOrThrow({
              where: { dedupeKey: `citizen:accepted:${repeat.disputeId}` },
            })
          ).payload,
      ),
    );
    expect(told).toEqual(runs.map(({ repeat, joinedDue }) => acceptedBy(repeat, joinedDue)));
  });

  it("a folded repeat whose own decision went to triage: its citizen is still told the joined case's lead and deadline, once, whichever comes first", async () => {
    const runs = await foldedRepeatInEveryOrder(inTriage, 2);
    const told = await Promise.all(
      runs.map(({ repeat }) =>
        db.delivery.findMany({
          where: { disputeId: repeat.disputeId, kind: 'citizen_notice' },
          select: { channel: true, recipient: true, divisionCode: true, payload: true },
        }),
      ),
    );
    expect(told).toEqual(
      runs.map(({ repeat, joinedDue }) => [
        {
          channel: 'sms',
          recipient: repeat.parties[0]!.phone,
          // Listed to the operators of the town the report came from, as every notice is.
          divisionCode: '350803105',
          payload: acceptedBy(repeat, joinedDue),
        },
      ]),
    );
  });

  it("the joined case's decision and the fold handled at the same moment (two replicas): the folded repeat's citizen is still told that case's lead", async () => {
    const [first, repeat] = [dispute(), dispute()];
    const joinedDue = inDays(5);
    await recordAssignment(db, inTriage(repeat), routing);
    // The fold looks for the joined case's lead while its decision is being written.
    await decideWhileFolding(
      first,
      () => recordAssignment(db, assignment(first, { lead: depts.police, dueAt: joinedDue }), routing),
      () => recordCaseStatus(db, { ...foldOf(repeat), mergedIntoDisputeId: first.disputeId }, routing),
    );
    const told = await db.delivery.findMany({
      where: { disputeId: repeat.disputeId, kind: 'citizen_notice' },
      select: { payload: true },
    });
    expect(told).toEqual([
      {
        payload: {
          notice: 'accepted',
          params: { ref: repeat.sourceRef, department: depts.police.name, dueDate: chineseDate(joinedDue) },
          dueAt: joinedDue,
        },
      },
    ]);
  });

  it("the joined case's decision and the fold handled at the same moment (two replicas): the folded report's deliveries go where that case is, whichever reads the other's place last", async () => {
    const [first, repeat] = [dispute(), dispute()];
    // The repeat was routed to 湖雷镇, its case folded into the first report's (下洋镇) as that is routed.
    const hulei: DisputeAssignedV1['jurisdiction'] = {
      cityCode: '350800',
      countyCode: '350803',
      townCode: '350803102',
      names: ['龙岩市', '永定区', '湖雷镇'],
      resolution: 'exact',
    };
    await recordAssignment(
      db,
      { ...assignment(repeat, { lead: depts.judicial }), jurisdiction: hulei },
      routing,
    );
    await decideWhileFolding(
      first,
      () => recordAssignment(db, assignment(first, { lead: depts.police }), routing),
      () => recordCaseStatus(db, { ...foldOf(repeat), mergedIntoDisputeId: first.disputeId }, routing),
    );
    const placed = await db.delivery.findMany({
      where: { disputeId: repeat.disputeId },
      select: { kind: true, divisionCode: true },
    });
    expect(placed.map((row) => row.kind).sort()).toEqual(['assignment', 'citizen_notice']);
    expect(placed.map((row) => row.divisionCode)).toEqual(['350803105', '350803105']);
  });

  /** A court referral folded into the case that holds `held`, with the court's date. */
  const referralFolded = (held: ReturnType<typeof dispute>, dueAt: string) => ({
    ...statusEvent(randomUUID(), [courtReferral()], 'closed'),
    previousStatus: 'assigned' as const,
    mergedInto: randomUUID(),
    mergedDeadline: { dueAt, disputeIds: [held.disputeId] },
  });

  it("a referral's later date moves nothing later, delivered twice it tells the lead once, and a re-routing to a new lead keeps the court's date", async () => {
    const report = dispute();
    await recordAssignment(db, assignment(report, { lead: depts.police, dueAt: inDays(10) }), routing);
    const deadlines = async () =>
      (
        await db.slaReminder.findMany({ where: { disputeId: report.disputeId }, orderBy: { level: 'asc' } })
      ).map((reminder) => [reminder.level, reminder.fireAt.toISOString()]);
    const before = await deadlines();

    await recordCaseStatus(db, referralFolded(report, inDays(20)), routing);
    expect(await deadlines()).toEqual(before);

    // The assignment went out: the lead is told its new date in an update.
    await db.delivery.updateMany({ where: { disputeId: report.disputeId }, data: { state: 'delivered' } });
    const court = inDays(3);
    const folded = referralFolded(report, court);
    expect(await recordCaseStatus(db, folded, routing)).toBe(1);
    expect(await recordCaseStatus(db, folded, routing)).toBe(0);
    const updates = await db.delivery.findMany({
      where: { disputeId: report.disputeId, kind: 'assignment_update', recipient: depts.police.code },
    });
    expect(updates.map((row) => row.payload)).toEqual([
      expect.objectContaining({ role: 'lead', dueAt: court }),
    ]);
    expect(await deadlines()).toEqual([
      ['due_soon', new Date(Date.parse(court) - 24 * 3600_000).toISOString()],
      ['overdue', court],
    ]);

    // An operator moves the case to another town: its office leads, with routing's later date.
    await recordAssignment(
      db,
      assignment(report, { version: 2, lead: depts.judicial, dueAt: inDays(15) }),
      routing,
    );
    const newLead = await db.delivery.findFirstOrThrow({
      where: { disputeId: report.disputeId, version: 2, recipient: depts.judicial.code },
    });
    expect(newLead.payload).toMatchObject({ role: 'lead', dueAt: court });
    expect((await deadlines()).find(([level]) => level === 'overdue')).toEqual(['overdue', court]);
  });

  it("the citizen's acceptance notice gives the lead's deadline as the case holds it: a court's earlier date, not routing's", async () => {
    const report = dispute();
    // Routed to triage first: nobody leads yet, the citizen is told nothing.
    await recordAssignment(db, assignment(report, { lead: null }), routing);
    const court = inDays(3);
    await recordCaseStatus(db, referralFolded(report, court), routing);
    await recordAssignment(
      db,
      assignment(report, { version: 2, lead: depts.police, dueAt: inDays(15) }),
      routing,
    );
    const notices = await db.delivery.findMany({
      where: { disputeId: report.disputeId, kind: 'citizen_notice' },
    });
    expect(notices.map((row) => row.payload)).toEqual([
      expect.objectContaining({
        notice: 'accepted',
        params: expect.objectContaining({ dueDate: chineseDate(court) }),
      }),
    ]);
  });

  it("a court referral folded in while the case's decision is being recorded (two replicas): the lead's assignment and reminders still get the court's date", async () => {
    const report = dispute();
    const court = inDays(3);
    await decideWhileFolding(
      report,
      () => recordAssignment(db, assignment(report, { lead: depts.police, dueAt: inDays(10) }), routing),
      () => recordCaseStatus(db, referralFolded(report, court), routing),
    );
    const lead = await db.delivery.findMany({
      where: { disputeId: report.disputeId, recipient: depts.police.code, state: { not: 'cancelled' } },
    });
    expect(lead.map((row) => row.payload)).toEqual([expect.objectContaining({ role: 'lead', dueAt: court })]);
    const overdue = await db.slaReminder.findFirstOrThrow({
      where: { disputeId: report.disputeId, level: 'overdue' },
    });
    expect(overdue.fireAt.toISOString()).toBe(court);
  });

  /** What the departments' webhooks took: every delivery of the dispute not sent yet now is sent. */
  const webhooksTook = (disputeId: string) =>
    db.delivery.updateMany({
      where: { disputeId, state: 'pending' },
      data: { state: 'delivered', deliveredAt: new Date() },
    });
  /** What each department was handed of a dispute, sent or not. */
  const handedOut = async (disputeId: string) =>
    (
      await db.delivery.findMany({
        where: { disputeId, kind: { in: ['assignment', 'assignment_update', 'withdrawal'] } },
      })
    ).map((row) => [row.recipient, row.kind, row.version, row.state]);

  /** A dispute routed as `decision` says, in a case of its own (its status told), and its departments' webhooks took it. */
  const assignedCase = async (decision: (report: ReturnType<typeof dispute>) => DisputeAssignedV1) => {
    const report = dispute();
    await recordAssignment(db, decision(report), routing);
    const caseId = randomUUID();
    await recordCaseStatus(db, statusEvent(caseId, [report], 'assigned'), routing);
    await webhooksTook(report.disputeId);
    return { report, caseId };
  };
  const jointly = (report: ReturnType<typeof dispute>) =>
    assignment(report, { lead: depts.police, coHandlers: [depts.judicial] });
  /** What each department's webhook is sent of a dispute, in order: the kind, to whom, the body's data. */
  const received = async (disputeId: string) =>
    (
      await db.delivery.findMany({
        where: { disputeId, kind: { in: ['assignment', 'assignment_update'] } },
      })
    )
      // Rows recorded together have one time: then by department, the police (lead) first.
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.recipient < b.recipient ? -1 : 1))
      .map((row) => ({ kind: row.kind, to: row.recipient, data: AssignmentWebhookData.parse(row.payload) }));

  it('an operator escalates the case: its lead and co-handler each get one update at the new level, the rest as they had it; redelivered, nothing more; up again, one more', async () => {
    const { report, caseId } = await assignedCase(jointly);
    const [toLead, toCo] = await received(report.disputeId);
    expect([toLead?.to, toCo?.to]).toEqual([depts.police.code, depts.judicial.code]);
    expect(toLead?.data.expressLane).toBeNull();

    const manual = escalation(caseId, {
      level: 'county',
      previousLevel: null,
      reason: 'manual',
      by: 'operator:city',
    });
    // Delivered three times at once (replicas): one update each, as one notice per secretary.
    const counts = await Promise.all([1, 2, 3].map(() => recordEscalation(db, manual, routing)));
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(2 + 2);
    expect(await recordEscalation(db, manual, routing)).toBe(0);
    // Each update says what it changes: the lane, nothing else.
    const atLevel = (data: AssignmentWebhookData, level: 'county' | 'city') => ({
      ...data,
      expressLane: level,
      changes: ['expressLane'],
    });
    const atCounty = [
      { kind: 'assignment_update', to: depts.police.code, data: atLevel(toLead!.data, 'county') },
      { kind: 'assignment_update', to: depts.judicial.code, data: atLevel(toCo!.data, 'county') },
    ];
    expect((await received(report.disputeId)).slice(2)).toEqual(atCounty);

    // Still overdue: the sweeper takes it to the city secretary. Then the county's event again, late.
    await webhooksTook(report.disputeId);
    const overdue = escalation(caseId, { level: 'city', previousLevel: 'county', divisionCode: '350800' });
    await recordEscalation(db, overdue, routing);
    expect(await recordEscalation(db, manual, routing)).toBe(0);
    expect((await received(report.disputeId)).slice(2)).toEqual([
      ...atCounty,
      { kind: 'assignment_update', to: depts.police.code, data: atLevel(toLead!.data, 'city') },
      { kind: 'assignment_update', to: depts.judicial.code, data: atLevel(toCo!.data, 'city') },
    ]);
  });

  it('an assignment not sent yet when the case is escalated goes out at the new level: no second message', async () => {
    const report = dispute();
    await recordAssignment(db, jointly(report), routing);
    const caseId = randomUUID();
    await recordCaseStatus(db, statusEvent(caseId, [report], 'assigned'), routing);
    await recordEscalation(db, escalation(caseId, { level: 'township', previousLevel: null }), routing);
    expect(
      (await received(report.disputeId)).map(({ kind, to, data }) => [kind, to, data.expressLane]),
    ).toEqual([
      ['assignment', depts.police.code, 'township'],
      ['assignment', depts.judicial.code, 'township'],
    ]);
  });

  it('routing put the case on the lane in the decision the departments hold: its escalation tells them nothing new', async () => {
    const { report, caseId } = await assignedCase((major) => ({
      ...jointly(major),
      expressLane: { level: 'township', reason: '群体性纠纷' },
    }));
    const before = await received(report.disputeId);
    expect(before.map(({ data }) => data.expressLane)).toEqual(['township', 'township']);
    await recordEscalation(
      db,
      escalation(caseId, { level: 'township', previousLevel: null, reason: 'major' }),
      routing,
    );
    expect(await received(report.disputeId)).toEqual(before);
  });

  it("a case on the lane re-routed: routing's decision keeps the lane, so the new version's assignments say it, and the escalation again tells nothing new", async () => {
    const { report, caseId } = await assignedCase(jointly);
    const manual = escalation(caseId, { level: 'county', previousLevel: null, reason: 'manual' });
    await recordEscalation(db, manual, routing);
    await webhooksTook(report.disputeId);
    const kept = {
      level: 'county' as const,
      reason: 'the case is on the county lane already (escalated by hand)',
    };
    await recordAssignment(
      db,
      {
        ...assignment(report, { version: 2, lead: depts.police, coHandlers: [depts.judicial] }),
        expressLane: kept,
      },
      routing,
    );
    const secondVersion = async () =>
      (await received(report.disputeId))
        .filter(({ data }) => data.version === 2)
        .map(({ kind, to, data }) => [kind, to, data.expressLane]);
    // The same departments, re-routed: each is handed the new version once, at the lane kept.
    expect(await secondVersion()).toEqual([
      ['assignment_update', depts.police.code, 'county'],
      ['assignment_update', depts.judicial.code, 'county'],
    ]);
    expect(await recordEscalation(db, manual, routing)).toBe(0);
    expect(await secondVersion()).toHaveLength(2);
  });

  it('a case that ended, or a department a fold withdrew, is told nothing of the lane, nor of a court date', async () => {
    const ended = await assignedCase(jointly);
    const endedAt = new Date().toISOString();
    await recordCaseStatus(db, outcomeEvent(ended.caseId, [ended.report], { occurredAt: endedAt }), routing);
    await recordEscalation(db, escalation(ended.caseId), routing);
    expect(await received(ended.report.disputeId)).toHaveLength(2);

    // A repeat report, routed to the judicial office, folded into the police's case: the office
    // was told to carry on there, and is not handed the repeat again.
    const { report, caseId } = await assignedCase((first) => assignment(first, { lead: depts.police }));
    const repeat = dispute();
    await recordAssignment(db, assignment(repeat, { lead: depts.judicial }), routing);
    await webhooksTook(repeat.disputeId);
    await recordCaseStatus(
      db,
      {
        ...statusEvent(randomUUID(), [repeat], 'closed'),
        mergedInto: caseId,
        mergedIntoDisputeId: report.disputeId,
      },
      routing,
    );
    await recordEscalation(db, escalation(caseId), routing);
    const court = inDays(3);
    await recordCaseStatus(
      db,
      {
        ...referralFolded(report, court),
        mergedInto: caseId,
        mergedDeadline: { dueAt: court, disputeIds: [report.disputeId, repeat.disputeId] },
      },
      routing,
    );
    expect((await received(repeat.disputeId)).map(({ kind, to }) => [kind, to])).toEqual([
      ['assignment', depts.judicial.code],
    ]);
    expect(
      (await received(report.disputeId)).map(({ kind, data }) => [kind, data.expressLane, data.dueAt]),
    ).toEqual([
      ['assignment', null, expect.any(String)],
      // Not sent yet when the court's date came: the one update says both.
      ['assignment_update', 'county', court],
    ]);
  });

  it("Yang's 催办 re-routes his order: each department new to it is told once, an assignment at the version that added it", async () => {
    const order = dispute();
    await recordAssignment(db, assignment(order, { lead: depts.judicial }), routing);
    await webhooksTook(order.disputeId);
    const overdueBefore = await db.slaReminder.findFirstOrThrow({
      where: { disputeId: order.disputeId, level: 'overdue' },
    });
    // The 催办 makes the court-related matter major, led by the county's public security bureau.
    const pressed = { ...order, revision: 2, hotline: { reminder: { count: 1 } } };
    const regrouped = {
      lead: depts.police,
      coHandlers: [depts.station, depts.governance, depts.judicial],
      dueAt: inDays(3),
    };
    // Routing's own answer to the revision comes first, at version 1 again: it hands out nothing.
    expect(await recordAssignment(db, assignment(pressed, regrouped), routing)).toBe(0);
    await webhooksTook(order.disputeId);
    // Then its answer to the cases service's request to route the case again.
    await recordAssignment(db, assignment(pressed, { ...regrouped, version: 2 }), routing);
    expect((await handedOut(order.disputeId)).sort()).toEqual(
      [
        [depts.judicial.code, 'assignment', 1, 'delivered'],
        [depts.police.code, 'assignment', 2, 'pending'],
        [depts.station.code, 'assignment', 2, 'pending'],
        [depts.governance.code, 'assignment', 2, 'pending'],
        [depts.judicial.code, 'assignment_update', 2, 'pending'],
      ].sort(),
    );
    // The new lead's reminders are version 2's; version 1's answer to the revision set none.
    const reminders = await db.slaReminder.findMany({ where: { disputeId: order.disputeId } });
    expect(reminders.map((row) => [row.recipient, row.version, row.level]).sort()).toEqual([
      [depts.police.code, 2, 'due_soon'],
      [depts.police.code, 2, 'overdue'],
    ]);
    expect(overdueBefore.recipient).toBe(depts.judicial.code);
  });

  it("Guo's order, past its deadline on arrival and pressed twice: its lead is told once that it is overdue, never that it is due soon", async () => {
    const order = dispute({ dueAt: '2024-08-31T18:00:00+08:00' });
    const dueAt = '2024-08-31T10:00:00.000Z';
    const lead = { lead: depts.judicial, dueAt };
    const reminded = async () =>
      (
        await db.delivery.findMany({
          where: { disputeId: order.disputeId, kind: 'sla_reminder' },
          orderBy: { createdAt: 'asc' },
        })
      ).map((row) => [row.recipient, (row.payload as { level: string }).level, row.state]);
    await recordAssignment(db, assignment(order, lead), routing);
    await promoteDueReminders(db);
    // The judicial office's webhook is down: its reminder waits for a retry when the 催办 comes.
    expect(await reminded()).toEqual([[depts.judicial.code, 'overdue', 'pending']]);
    for (const [revision, version] of [
      [2, 2],
      [3, 3],
    ] as const) {
      const pressed = { ...order, revision, hotline: { reminder: { count: revision - 1 } } };
      await recordAssignment(db, assignment(pressed, lead), routing);
      await recordAssignment(db, assignment(pressed, { ...lead, version }), routing);
      await promoteDueReminders(db);
      await webhooksTook(order.disputeId);
    }
    // Same lead, same deadline: the reminder it had still goes out, and nothing more.
    expect(await reminded()).toEqual([[depts.judicial.code, 'overdue', 'delivered']]);
  });

  it("Lin's order, re-routed from the police to the court and back at the same deadline while the police's webhook was down: the police are told once it is overdue, as the latest version's", async () => {
    const order = dispute({ dueAt: '2024-08-31T18:00:00+08:00' });
    const dueAt = '2024-08-31T10:00:00.000Z';
    const reminded = async () =>
      (
        await db.delivery.findMany({
          where: { disputeId: order.disputeId, kind: 'sla_reminder' },
          orderBy: { createdAt: 'asc' },
        })
      ).map((row) => [row.recipient, row.version, row.state, row.attempts, row.lastError]);
    await recordAssignment(db, assignment(order, { lead: depts.police, dueAt }), routing);
    await promoteDueReminders(db);
    // The police's webhook is failing: their reminder waits for its next try.
    await db.delivery.updateMany({
      where: { disputeId: order.disputeId, kind: 'sla_reminder' },
      data: { attempts: 3, lastError: 'HTTP 503' },
    });
    await recordAssignment(db, assignment(order, { version: 2, lead: depts.court, dueAt }), routing);
    await promoteDueReminders(db);
    // Back with the police at the same deadline: the reminder cancelled by version 2 has its key.
    await recordAssignment(db, assignment(order, { version: 3, lead: depts.police, dueAt }), routing);
    expect(await promoteDueReminders(db)).toBe(1);
    expect(await reminded()).toEqual([
      [depts.court.code, 2, 'cancelled', 0, 'superseded by routing version 3'],
      [depts.police.code, 3, 'pending', 0, null],
    ]);
    const police = await db.delivery.findMany({
      where: { disputeId: order.disputeId, recipient: depts.police.code, state: 'pending' },
      orderBy: { createdAt: 'asc' },
    });
    // After the assignment that gives them the case back (the dispatcher keeps that order).
    expect(police.map((row) => [row.kind, row.payload])).toEqual([
      ['assignment', expect.objectContaining({ version: 3 })],
      ['sla_reminder', expect.objectContaining({ version: 3, level: 'overdue', dueAt })],
    ]);

    // Once it reached them, it is not sent again when the case leaves them and comes back.
    await webhooksTook(order.disputeId);
    await recordAssignment(db, assignment(order, { version: 4, lead: depts.court, dueAt }), routing);
    await recordAssignment(db, assignment(order, { version: 5, lead: depts.police, dueAt }), routing);
    expect(await promoteDueReminders(db)).toBe(0);
    expect((await reminded()).at(-1)).toEqual([depts.police.code, 3, 'delivered', 0, null]);
  });

  it("a re-routing recorded while the old lead's reminder is being promoted (two replicas): the old lead is not reminded", async () => {
    const order = dispute({ dueAt: '2024-08-31T18:00:00+08:00' });
    const dueAt = '2024-08-31T10:00:00.000Z';
    await recordAssignment(db, assignment(order, { lead: depts.police, dueAt }), routing);
    const { dedupeKey } = await db.slaReminder.findFirstOrThrow({ where: { disputeId: order.disputeId } });
    let promoted: Promise<number> | undefined;
    let rerouted: Promise<number> | undefined;
    let reroutedDone = false;
    const giveWay = new Error('the other session gives way');
    // Another session is writing a delivery of the reminder's key: the promotion, past its look
    // at the reminders, waits for it to end. The re-routing comes meanwhile.
    await expect(
      db.$transaction(async (tx) => {
        await tx.delivery.create({
          data: {
            dedupeKey,
            kind: 'sla_reminder',
            channel: 'outbox',
            recipient: depts.police.code,
            payload: {},
          },
        });
        promoted = promoteDueReminders(db);
        await expect.poll(waiting, { timeout: 4_000 }).toBe(1);
        rerouted = recordAssignment(
          db,
          assignment(order, { version: 2, lead: depts.court, dueAt }),
          routing,
        ).finally(() => {
          reroutedDone = true;
        });
        await expect.poll(async () => reroutedDone || (await waiting()) === 2, { timeout: 4_000 }).toBe(true);
        throw giveWay;
      }),
    ).rejects.toBe(giveWay);
    await Promise.all([promoted, rerouted]);
    const police = await db.delivery.findMany({
      where: { disputeId: order.disputeId, recipient: depts.police.code, kind: 'sla_reminder' },
    });
    expect(police.map((row) => row.state)).toEqual(['cancelled']);
  });

  it("a court's date already past, brought in by its referral: the lead is told once it is overdue, and a re-routing that keeps the date tells it nothing again", async () => {
    const report = dispute();
    const court = new Date(Date.now() - 3600_000).toISOString();
    await recordAssignment(db, assignment(report, { lead: depts.police, dueAt: inDays(10) }), routing);
    await recordCaseStatus(db, referralFolded(report, court), routing);
    await promoteDueReminders(db);
    await recordAssignment(
      db,
      assignment(report, { version: 2, lead: depts.police, dueAt: inDays(15) }),
      routing,
    );
    await promoteDueReminders(db);
    const reminders = await db.delivery.findMany({
      where: { disputeId: report.disputeId, kind: 'sla_reminder' },
    });
    expect(reminders.map((row) => row.payload)).toEqual([
      expect.objectContaining({ level: 'overdue', dueAt: court }),
    ]);
  });

  it('a due-soon reminder whose time comes after its deadline has passed (the dispatcher was behind) is not sent after all', async () => {
    const order = dispute();
    const dueAt = new Date(Date.now() + 3600_000).toISOString();
    await recordAssignment(db, assignment(order, { lead: depts.judicial, dueAt }), routing);
    await promoteDueReminders(db, new Date(Date.now() + 2 * 3600_000));
    const reminders = await db.delivery.findMany({
      where: { disputeId: order.disputeId, kind: 'sla_reminder' },
    });
    expect(reminders.map((row) => row.payload)).toEqual([
      expect.objectContaining({ level: 'overdue', dueAt }),
    ]);
  });

  it('a case that ended tells no secretary: an escalation not sent yet is cancelled, one arriving after the end records nothing', async () => {
    // The sweeper escalated the case, the secretary's SMS waits behind the throttle, and the
    // case is mediated meanwhile: no 请及时督办 about a case already resolved.
    const report = dispute();
    await recordAssignment(db, assignment(report, { lead: depts.police }), routing);
    const pendingCase = randomUUID();
    await recordCaseStatus(db, statusEvent(pendingCase, [report], 'assigned'), routing);
    expect(await recordEscalation(db, escalation(pendingCase), routing)).toBe(2);
    await recordCaseStatus(db, outcomeEvent(pendingCase, [report]), routing);
    const notices = await db.delivery.findMany({ where: { caseId: pendingCase, kind: 'escalation_notice' } });
    expect(notices.map((row) => row.state)).toEqual(['cancelled', 'cancelled']);

    // case.escalation.v1 and case.status.v1 are topics of their own: the end may be read first.
    const late = dispute();
    await recordAssignment(db, assignment(late, { lead: depts.police }), routing);
    const endedCase = randomUUID();
    await recordCaseStatus(db, outcomeEvent(endedCase, [late]), routing);
    expect(await recordEscalation(db, escalation(endedCase), routing)).toBe(0);
    expect(await db.delivery.count({ where: { caseId: endedCase, kind: 'escalation_notice' } })).toBe(0);
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

  it('a case in the lane re-routed to another county where no secretary is configured is still recorded for that county', async () => {
    // 新罗区's lane has nobody configured; the case is corrected to 长汀县, nobody there either:
    // each county's escalation waits in the outbox for an operator, the second as much as the first.
    const caseId = randomUUID();
    const first = escalation(caseId, { level: 'county', previousLevel: null, divisionCode: '350802' });
    expect(await recordEscalation(db, first, routing)).toBe(1);
    const moved = { ...first, previousLevel: 'county' as const, divisionCode: '350821' };
    expect(await recordEscalation(db, moved, routing)).toBe(1);
    expect(await recordEscalation(db, moved, routing)).toBe(0);
    const rows = await db.delivery.findMany({ where: { caseId }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((row) => [row.channel, row.recipient, row.divisionCode])).toEqual([
      ['outbox', 'express-lane:350802', '350802'],
      ['outbox', 'express-lane:350821', '350821'],
    ]);
  });

  it('operator.access.v1: the latest per operator holds — delivered twice at once, written once; an older one delivered late changes nothing', async () => {
    const username = uniqueName('leaver');
    const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 1, 0, second)).toISOString();
    const announced = (status: OperatorAccessV1['status'], second: number, scope = '350802') => ({
      username,
      status,
      role: 'operator',
      scope,
      tokensValidFrom: at(second),
      occurredAt: at(second),
    });
    const held = () => db.operatorAccess.findUniqueOrThrow({ where: { username } });

    await Promise.all([1, 2, 3].map(() => recordOperatorAccess(db, announced('disabled', 10))));
    expect(await held()).toMatchObject({ status: 'disabled', tokensValidFrom: new Date(at(10)) });
    // The account as it was at 9:00:05 (a dead letter replayed, another replica's late publish).
    await recordOperatorAccess(db, announced('active', 5, '350803'));
    expect(await held()).toMatchObject({ status: 'disabled', scope: '350802', occurredAt: new Date(at(10)) });
    await recordOperatorAccess(db, announced('active', 20));
    expect(await held()).toMatchObject({ status: 'active', tokensValidFrom: new Date(at(20)) });
    expect(await db.operatorAccess.count({ where: { username } })).toBe(1);
  });
});
