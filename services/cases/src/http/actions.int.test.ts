import { randomUUID } from 'node:crypto';
import { AgencyAssignmentV1 } from '@huijie/contracts/events/agency-assignment-v1.ts';
import { CaseCorrectedV1 } from '@huijie/contracts/events/case-correction-v1.ts';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { eventsForCorrection } from '@huijie/routing/assign.ts';
import { createRouter } from '@huijie/routing/domain/router.ts';
import { hashPassword } from '@huijie/service-kit/auth-token.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseIdFor } from '../consumers/open-case.ts';
import { recordAssignment, recordIntake } from '../consumers/record-events.ts';
import {
  decisionFor,
  departments,
  seedRoutedCase,
  type Town,
  towns,
} from '../consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { sweepOverdue } from '../sla/sla-sweeper.ts';
import { casesAppOnKafka, issueAgencyKey } from './api-fixtures.ts';

const servers = await requireServers('postgres', 'kafka');

/** The town's judicial office leads the seeded cases; its police station co-handles those that name it. */
const { judicialOffice: lead, policeStation: police } = departments;

/** Guo's dispute, routed to Jiangshan town (新罗区江山镇) unless another town is given. */
const seedGuoCase = async (db: CasesDb, place: Town = towns.jiangshan) =>
  (
    await seedRoutedCase(db, {
      place,
      content: '在江山镇水库大坝干了19天，老板不给工资',
      receivedAt: '2024-08-24T09:30:00+08:00',
    })
  ).caseId;

describe.runIf(servers)('case actions through the API', () => {
  let db: CasesDb;
  let app: FastifyInstance;
  let drop: () => Promise<void>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
    for (const [username, scope] of [
      ['city', '350800'],
      ['xinluo', '350802'],
      ['yongding', '350803'],
    ] as const) {
      await db.operator.create({
        data: { username, passwordHash: await hashPassword('pw'), role: 'operator', scopeCode: scope },
      });
    }
    await issueAgencyKey(db, 'key-jiangshan', lead);
    app = await casesAppOnKafka(db, servers!.kafkaBrokers!, 'actions');
    for (const username of ['city', 'xinluo', 'yongding']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { username, password: 'pw' },
      });
      tokens[username] = response.json().token;
    }
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
  const act = (caseId: string, action: string, headers: Record<string, string>, payload: object = {}) =>
    app.inject({ method: 'POST', url: `/v1/cases/${caseId}/${action}`, headers, payload });

  /**
   * The city's operator moves the case to 下洋镇 (202), and routing answers the correction: 下洋镇's
   * office leads from then on, Jiangshan's departments are withdrawn. Returns what was asked.
   */
  const movedToXiayang = async (caseId: string, disputeId: string) => {
    const moved = await act(caseId, 'correct', as('city'), {
      divisionCode: towns.xiayang.town,
      reason: '实际发生在下洋镇',
    });
    expect(moved.statusCode, moved.body).toBe(202);
    const asked = await db.outboxEvent.findFirstOrThrow({
      where: { eventName: 'case.correction.v1', key: disputeId },
      orderBy: { id: 'desc' },
    });
    const { version, dispute } = asked.data as { version: number; dispute: DisputeReceivedV1 };
    await recordAssignment(db, decisionFor(dispute, { version, place: towns.xiayang }));
    return { version, dispute };
  };

  /** What routing answers to a correction: the dispute at the version the case asked for, in Jiangshan. */
  const routeAsCorrected = ({ version, dispute }: { version: number; dispute: DisputeReceivedV1 }) =>
    recordAssignment(
      db,
      decisionFor(dispute, { version, ...(dispute.category && { category: dispute.category }) }),
    );

  it("Guo's story: the local mediator accepts, mediates, records 3,800 yuan; the case is resolved and announced", async () => {
    const caseId = await seedGuoCase(db);
    const agency = { 'x-api-key': 'key-jiangshan' };
    expect((await act(caseId, 'accept', agency)).json()).toMatchObject({ status: 'accepted' });
    expect((await act(caseId, 'progress', agency, { note: '已联系老板' })).json()).toMatchObject({
      status: 'mediating',
    });
    const outcome = await act(caseId, 'outcome', agency, {
      kind: 'mediated',
      summary: '老板同意支付',
      amount: 3800,
    });
    expect(outcome.json()).toEqual({
      caseId,
      status: 'resolved',
      expressLane: null,
      // Closing is the operators': the agency is offered what it may do.
      allowedActions: ['add_note'],
    });

    const detail = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json();
    expect(detail.outcome).toEqual({ kind: 'mediated', summary: '老板同意支付', amount: 3800 });
    expect(detail.assignments[0]).toMatchObject({ departmentName: '江山镇司法所', status: 'done' });
    // When it ended, as the list says it: resolved now, never escalated, not closed, not overdue.
    expect(Date.now() - Date.parse(detail.resolvedAt)).toBeLessThan(60_000);
    expect(detail).toMatchObject({ escalatedAt: null, closedAt: null, overdue: false });
    expect(detail.history.map((h: { type: string; actor: string }) => `${h.type}/${h.actor}`)).toEqual([
      'received/channel:wechat',
      'assigned/routing',
      `accepted/agency:${lead.code}`,
      `mediating/agency:${lead.code}`,
      `resolved/agency:${lead.code}`,
    ]);
    const announced = await db.outboxEvent.findMany({
      where: { key: caseId, eventName: 'case.status.v1' },
      orderBy: { id: 'asc' },
    });
    // Published on the bus at once, not at the relay's next poll a minute away.
    await expect
      .poll(async () => (await db.outboxEvent.count({ where: { key: caseId, publishedAt: null } })) === 0, {
        timeout: 10_000,
      })
      .toBe(true);
    expect(announced.map((row) => (row.data as { status: string }).status)).toEqual([
      'received',
      'assigned',
      'accepted',
      'mediating',
      'resolved',
    ]);
    expect((announced.at(-1)!.data as { outcome: unknown }).outcome).toEqual({
      kind: 'mediated',
      summary: '老板同意支付',
      amount: 3800,
    });
  });

  it("the hotline's word on its work order — 紧急程度, 诉求类型, 受理渠道, 办理时限, 催办 — is on each of its reports, for operators and agencies alike", async () => {
    const dueAt = '2026-12-03T18:00:00+08:00';
    const { caseId } = await seedRoutedCase(db, {
      hotline: {
        block: {
          urgency: 'very_urgent',
          requestType: 'complaint',
          intakeChannel: 'phone',
          reminder: { count: 2 },
        },
        dueAt,
      },
    });
    for (const headers of [as('xinluo'), { 'x-api-key': 'key-jiangshan' }]) {
      const [report] = (await app.inject({ url: `/v1/cases/${caseId}`, headers })).json().reports;
      expect(report.hotline).toEqual({
        orderNo: report.sourceRef,
        urgency: 'very_urgent',
        requestType: 'complaint',
        intakeChannel: 'phone',
        dueAt: new Date(dueAt).toISOString(),
        reminders: 2,
      });
    }
    const wechat = await seedGuoCase(db);
    const [application] = (await app.inject({ url: `/v1/cases/${wechat}`, headers: as('xinluo') })).json()
      .reports;
    expect(application.hotline).toBeNull();
  });

  it('an invalid transition is a 409 with the current status and the allowed actions', async () => {
    const caseId = await seedGuoCase(db);
    const response = await act(caseId, 'outcome', as('city'), {
      kind: 'mediated',
      summary: '已调解',
      amount: 1,
    });
    expect(response.statusCode).toBe(409);
    // An operator is offered every action that would not be refused: the lifecycle's and, on an open
    // case, a correction and a merge (a detach once the case has two reports).
    expect(response.json().error).toMatchObject({
      code: 'invalid_transition',
      details: { status: 'assigned', allowedActions: ['add_note', 'accept', 'escalate', 'correct', 'merge'] },
    });
    const other = await seedRoutedCase(db, { applicant: { name: '李某', phone: '13900007777' } });
    expect(
      (await act(other.caseId, 'merge', as('city'), { intoCaseId: caseId, reason: '同一事项' })).statusCode,
    ).toBe(200);
    const merged = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('city') })).json();
    expect(merged.allowedActions).toEqual(['add_note', 'accept', 'escalate', 'correct', 'merge', 'detach']);
    // Each is one that would be taken: a detach here is.
    const detached = await act(caseId, 'detach', as('city'), {
      disputeId: other.disputeId,
      reason: '不是同一事项',
    });
    expect(detached.statusCode, detached.body).toBe(200);
    // Ended, nothing to reshape: only the lifecycle's own.
    const agency = { 'x-api-key': 'key-jiangshan' };
    await act(caseId, 'accept', agency);
    await act(caseId, 'outcome', agency, { kind: 'withdrawn' });
    const ended = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('city') })).json();
    expect(ended.allowedActions).toEqual(['add_note', 'close']);
    // A correction of it is refused as any action is: with what may be done instead.
    const corrected = await act(caseId, 'correct', as('city'), {
      category: 'neighborhood',
      reason: '分类有误',
    });
    expect(corrected.statusCode).toBe(409);
    expect(corrected.json().error.details).toEqual({
      status: 'unresolved',
      allowedActions: ['add_note', 'close'],
    });
  });

  it('an operator of another county can neither see nor touch the case; an agency cannot escalate', async () => {
    const caseId = await seedGuoCase(db);
    expect((await app.inject({ url: `/v1/cases/${caseId}`, headers: as('yongding') })).statusCode).toBe(404);
    expect((await act(caseId, 'accept', as('yongding'))).statusCode).toBe(404);
    expect((await act(caseId, 'notes', as('yongding'), { note: 'x' })).statusCode).toBe(404);
    expect((await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).statusCode).toBe(200);
    const escalate = await act(
      caseId,
      'escalate',
      { 'x-api-key': 'key-jiangshan' },
      { level: 'county', reason: '拖延' },
    );
    expect(escalate.statusCode).toBe(403);
    const other = await seedGuoCase(db, {
      county: '350803',
      town: '350803104',
      names: ['龙岩市', '永定区', '下洋镇'],
    });
    expect((await act(other, 'accept', { 'x-api-key': 'key-jiangshan' })).statusCode).toBe(404);
  });

  it("an agency on an operators' action is refused for who it is before its body is looked at: 403, never a 400 about the body", async () => {
    const caseId = await seedGuoCase(db);
    const agency = { 'x-api-key': 'key-jiangshan' };
    for (const [action, what] of [
      ['escalate', 'escalate'],
      ['close', 'close'],
      ['merge', 'merge cases'],
      ['detach', 'detach a report'],
      ['correct', 'correct a case'],
    ] as const) {
      for (const payload of [{}, { level: 'nowhere' }, '{"level":']) {
        const response = await app.inject({
          method: 'POST',
          url: `/v1/cases/${caseId}/${action}`,
          headers: { ...agency, 'content-type': 'application/json' },
          payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
        });
        expect(response.statusCode, `${action} ${response.body}`).toBe(403);
        expect(response.json()).toEqual({
          error: { code: 'forbidden', message: `an agency cannot ${what}; ask an operator`, fields: [] },
        });
      }
    }
    // An operator's incomplete body is still a 400 naming the field.
    const operator = await act(caseId, 'escalate', as('xinluo'), { level: 'county' });
    expect(operator.statusCode).toBe(400);
    expect(operator.json().error.fields).toEqual([{ field: 'reason', reason: expect.any(String) }]);
  });

  it("the API document lists the operator scheme alone for the operators' actions, and both for the others", async () => {
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    const security = (action: string) => doc.paths[`/v1/cases/{caseId}/${action}`].post.security;
    for (const action of ['escalate', 'close', 'merge', 'detach', 'correct']) {
      expect(security(action), action).toEqual([{ operator: [] }]);
    }
    for (const action of ['accept', 'progress', 'outcome', 'notes']) {
      expect(security(action), action).toEqual([{ operator: [] }, { agency: [] }]);
    }
  });

  it('a department a re-routing withdrew from the case is told so (410 withdrawn, when and why, nothing of the case); one that never held it gets the 404 of an unknown id', async () => {
    const applicant = { name: '郭某', phone: '13900004410' };
    const { caseId, disputeId } = await seedRoutedCase(db, { applicant, coHandlers: [police] });
    await issueAgencyKey(db, 'key-police-station', police);
    const beforeWithdrawal = Date.now();
    // An operator moves the case to 下洋镇; routing answers: its office leads, Jiangshan's departments are withdrawn.
    const { version, dispute } = await movedToXiayang(caseId, disputeId);

    for (const [key, code] of [
      ['key-jiangshan', lead.code],
      ['key-police-station', police.code],
    ] as const) {
      const headers = { 'x-api-key': key };
      for (const response of [
        await app.inject({ url: `/v1/cases/${caseId}`, headers }),
        await app.inject({ url: `/v1/disputes/${disputeId}`, headers }),
        await act(caseId, 'progress', headers, { note: '继续跟进' }),
      ]) {
        expect(response.statusCode, `${code} ${response.body}`).toBe(410);
        const { error } = response.json();
        expect(Object.keys(response.json())).toEqual(['error']);
        expect(error).toEqual({
          code: 'withdrawn',
          message: expect.stringContaining('no longer handles this case'),
          fields: [],
          details: { reason: 're-routed', withdrawnAt: expect.any(String) },
        });
        const withdrawnAt = Date.parse(error.details.withdrawnAt);
        expect(withdrawnAt).toBeGreaterThanOrEqual(beforeWithdrawal - 1_000);
        expect(withdrawnAt).toBeLessThanOrEqual(Date.now());
        // Nothing of the case as it is now: no party, no place, no department.
        for (const secret of ['郭某', applicant.phone, towns.xiayang.town, '下洋', 'judicial_office'])
          expect(response.body).not.toContain(secret);
      }
    }
    // The progress was refused: nothing was recorded.
    expect(await db.historyEntry.count({ where: { caseId, type: { in: ['progress', 'mediating'] } } })).toBe(
      0,
    );

    // A department that never held the case learns nothing: the very answer of an unknown id.
    await issueAgencyKey(db, 'key-never-held', {
      code: '350802101-judicial_office',
      name: '西城街道司法所',
    });
    const stranger = { 'x-api-key': 'key-never-held' };
    const unknownCase = await app.inject({ url: `/v1/cases/${randomUUID()}`, headers: stranger });
    const unknownDispute = await app.inject({ url: `/v1/disputes/${randomUUID()}`, headers: stranger });
    expect(unknownCase.statusCode).toBe(404);
    for (const [response, unknown] of [
      [await app.inject({ url: `/v1/cases/${caseId}`, headers: stranger }), unknownCase],
      [await app.inject({ url: `/v1/disputes/${disputeId}`, headers: stranger }), unknownDispute],
      [await act(caseId, 'progress', stranger, { note: 'x' }), unknownCase],
    ] as const) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual(unknown.json());
    }

    // A case merged into it after the withdrawal: its report's id (computed from its order number)
    // answers the office as an unknown one, or it would learn what joined the matter it lost.
    const joined = await seedRoutedCase(db, { place: towns.xiayang });
    expect(
      (await act(joined.caseId, 'merge', as('city'), { intoCaseId: caseId, reason: '同一事项' })).statusCode,
    ).toBe(200);
    const later = await app.inject({
      url: `/v1/disputes/${joined.disputeId}`,
      headers: { 'x-api-key': 'key-jiangshan' },
    });
    expect(later.statusCode).toBe(404);
    expect(later.json()).toEqual(unknownDispute.json());

    // Routed back to Jiangshan: the office holds the case again, and reads it.
    await recordAssignment(db, decisionFor(dispute, { version: version + 1, place: towns.jiangshan }));
    expect(
      (await app.inject({ url: `/v1/cases/${caseId}`, headers: { 'x-api-key': 'key-jiangshan' } }))
        .statusCode,
    ).toBe(200);

    // The document says it, with what the details hold.
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    for (const path of ['/v1/cases/{caseId}', '/v1/disputes/{disputeId}']) {
      const gone = doc.paths[path].get.responses['410'];
      expect(gone.description, path).toMatch(/^`withdrawn`/);
      expect(
        Object.keys(gone.content['application/json'].schema.properties.error.properties.details.properties),
      ).toEqual(['reason', 'withdrawnAt']);
    }
    expect(doc.paths['/v1/cases/{caseId}/progress'].post.responses['410']).toBeDefined();
  });

  it("an agency's search lists only the cases its department has a live assignment on", async () => {
    const ours = await seedGuoCase(db);
    const theirs = await seedGuoCase(db, {
      county: '350803',
      town: '350803104',
      names: ['龙岩市', '永定区', '下洋镇'],
    });
    const search = async (query: string) => {
      const response = await app.inject({
        url: `/v1/cases?limit=200${query}`,
        headers: { 'x-api-key': 'key-jiangshan' },
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json().items.map((item: { caseId: string }) => item.caseId) as string[];
    };
    const listed = await search('');
    expect(listed).toContain(ours);
    expect(listed).not.toContain(theirs);
    // Asking for another department's cases finds nothing, not that department's work.
    expect(await search('&department=350803104-judicial_office')).toEqual([]);
    expect(await search('&place=350803')).toEqual([]);
    const unknown = await app.inject({ url: '/v1/cases', headers: { 'x-api-key': 'not-a-key' } });
    expect(unknown.statusCode).toBe(401);
  });

  it("an agency's search for a mobile or ID-card number is a 400 naming q; an operator's finds the case", async () => {
    // The search words are the unmasked report's: a hit would tell the agency the number is in it.
    const { caseId } = await seedRoutedCase(db, {
      place: towns.jiangshan,
      content: '来电人13511112222，身份证350802198502021235，工资5000 3000 2000 800未付',
      receivedAt: '2024-08-24T09:30:00+08:00',
    });
    const search = (q: string, headers: Record<string, string>) =>
      app.inject({ url: `/v1/cases?q=${encodeURIComponent(q)}`, headers });
    const agency = { 'x-api-key': 'key-jiangshan' };
    for (const [q, reason] of [
      ['13511112222', /mobile number: its copies show it as \[手机号\]/],
      ['工资 135 1111 2222', /mobile number/],
      ['350802 19850202 1235', /ID-card number: its copies show it as \[身份证号\]/],
    ] as const) {
      const refused = await search(q, agency);
      expect(refused.statusCode, q).toBe(400);
      expect(refused.json().error).toMatchObject({ code: 'invalid_request', fields: [{ field: 'q' }] });
      expect(refused.json().error.fields[0].reason).toMatch(reason);
      const found = await search(q, as('xinluo'));
      expect(found.json().items.map((item: { caseId: string }) => item.caseId)).toContain(caseId);
    }
    // The amounts its copy shows as written are searched as before.
    const amounts = await search('5000 3000 2000 800', agency);
    expect(amounts.statusCode, amounts.body).toBe(200);
    expect(amounts.json().items.map((item: { caseId: string }) => item.caseId)).toContain(caseId);
  });

  /** The case ids a search lists, as `headers` sees them (200 asserted). */
  const searchIds = async (q: string, headers: Record<string, string>) => {
    const response = await app.inject({ url: `/v1/cases?limit=200&q=${encodeURIComponent(q)}`, headers });
    expect(response.statusCode, `${q}: ${response.body}`).toBe(200);
    return response.json().items.map((item: { caseId: string }) => item.caseId) as string[];
  };

  it("an agency's search does not find a case by a confidential (保密) party's name, nor by a part of it; by the report's other words it does, an operator's by the name too", async () => {
    const { caseId } = await seedRoutedCase(db, {
      applicant: { name: '郭晓蕾', phone: '13612345678', confidential: true },
      title: '郭晓蕾反映包工头拖欠工钱',
      content: '我叫郭晓蕾，在江山镇修水库，包工头欠我工钱4500元',
    });
    const agency = { 'x-api-key': 'key-jiangshan' };
    // Its list and its read say [保密当事人] where the name is.
    for (const q of ['郭晓蕾', '晓蕾', '郭晓', '郭晓蕾 工钱']) {
      expect(await searchIds(q, agency), q).not.toContain(caseId);
      // The operators of the jurisdiction search what the citizen said.
      expect(await searchIds(q, as('xinluo')), q).toContain(caseId);
    }
    for (const q of ['包工头 工钱', '拖欠工钱', '江山镇 水库', '4500']) {
      expect(await searchIds(q, agency), q).toContain(caseId);
    }
  });

  it("an agency's search does not find a case by digits of a mobile or ID-card number in its report, the lead's neither; an operator's does", async () => {
    // No confidential party: the lead reads the mobile in the case, but its search, like its list,
    // masks every mobile (as it refuses a whole one): which numbers it reads depends on the case.
    const { caseId } = await seedRoutedCase(db, {
      content: '来电人电话13612345678，身份证350802199001011234，在江山镇修水库，包工头欠工钱4500元',
    });
    const agency = { 'x-api-key': 'key-jiangshan' };
    for (const q of ['1361', '136 1234', '2345 5678', '3508', '1990 0101', '1234', '电话136']) {
      expect(await searchIds(q, agency), q).not.toContain(caseId);
      expect(await searchIds(q, as('xinluo')), q).toContain(caseId);
    }
    // The words and the amount it reads find it.
    for (const q of ['来电人 电话', '身份证 水库', '4500']) {
      expect(await searchIds(q, agency), q).toContain(caseId);
    }
  });

  it('an agency walking the pages of a search is not told of the cases it cannot find: no short page, no cursor past the last one it reads', async () => {
    // Three cases with 荔枝, newest first: the middle one only in the name of a confidential party.
    const seed = (day: string, options: Parameters<typeof seedRoutedCase>[1]) =>
      seedRoutedCase(db, { ...options, receivedAt: `${day}T10:00:00+08:00` }).then((seeded) => seeded.caseId);
    const oldest = await seed('2022-05-01', { content: '荔枝园老板拖欠采摘工钱' });
    const hidden = await seed('2022-05-02', {
      applicant: { name: '林荔枝', phone: '13900001111', confidential: true },
      content: '我叫林荔枝，老板拖欠工钱',
    });
    const newest = await seed('2022-05-03', { content: '荔枝园的工钱一直没有结清' });
    const walk = async (headers: Record<string, string>) => {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const after: string = cursor === null ? '' : `&cursor=${cursor}`;
        const url = `/v1/cases?limit=1&q=${encodeURIComponent('荔枝')}&createdTo=2022-05-03${after}`;
        const response = await app.inject({ url, headers });
        expect(response.statusCode, response.body).toBe(200);
        const page = response.json();
        pages.push(page.items.map((item: { caseId: string }) => item.caseId));
        cursor = page.nextCursor;
      } while (cursor !== null && pages.length < 10);
      return pages;
    };
    expect(await walk({ 'x-api-key': 'key-jiangshan' })).toEqual([[newest], [oldest]]);
    expect(await walk(as('xinluo'))).toEqual([[newest], [hidden], [oldest]]);
  });

  it("an agency's search does not find a case by a confidential (保密) caller's name once the caller's report is merged into it, nor after it is detached while the case keeps the title naming the caller", async () => {
    const agency = { 'x-api-key': 'key-jiangshan' };
    const kept = await seedRoutedCase(db, {
      applicant: { name: '邱明远', phone: '13711112222', confidential: true },
      title: '邱明远反映樟树林老板拖欠工资',
      content: '我叫邱明远，樟树林老板拖欠我工资',
    });
    const other = await seedRoutedCase(db, { content: '樟树林的工钱一直没有结清' });
    const merge = await act(other.caseId, 'merge', as('city'), {
      intoCaseId: kept.caseId,
      reason: '同一件事',
    });
    expect(merge.statusCode, merge.body).toBe(200);
    // Merged: the case holds both reports, the confidential caller's among them.
    expect(await searchIds('邱明远', agency)).not.toContain(kept.caseId);
    expect(await searchIds('樟树林', agency)).toContain(kept.caseId);
    const detach = await act(kept.caseId, 'detach', as('xinluo'), {
      disputeId: kept.disputeId,
      reason: '不是同一件事',
    });
    expect(detach.statusCode, detach.body).toBe(200);
    // Detached: the case keeps the title that names the caller; the caller's report is a case of
    // its own (in triage, on no agency's worklist yet).
    const { newCaseId } = detach.json();
    for (const q of ['邱明远', '明远']) {
      expect(await searchIds(q, agency), q).not.toContain(kept.caseId);
      expect(await searchIds(q, as('xinluo')), q).toEqual(expect.arrayContaining([kept.caseId, newCaseId]));
    }
    // The title's other words still find the case that kept it.
    expect(await searchIds('樟树林老板', agency)).toContain(kept.caseId);
  });

  it('a correction that corrects nothing is a 400 naming the fields it could correct', async () => {
    const caseId = await seedGuoCase(db);
    const response = await act(caseId, 'correct', as('xinluo'), { reason: '核实' });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('invalid_request');
    expect(error.fields.map((problem: { field: string }) => problem.field)).toEqual([
      'divisionCode',
      'category',
    ]);
    expect(error.fields[0].reason).toMatch(/divisionCode or category/);
  });

  it('a correction to a division that does not exist is a 400 naming divisionCode; routing is not asked', async () => {
    const { caseId, disputeId } = await seedRoutedCase(db);
    // A mistyped town (the city's, and outside 新罗区): said to be no division before any 403 of jurisdiction.
    for (const who of ['city', 'xinluo']) {
      const response = await act(caseId, 'correct', as(who), { divisionCode: '350899999', reason: '核实' });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'invalid_request',
        fields: [{ field: 'divisionCode', reason: 'not a division of 龙岩市 (350800)' }],
      });
    }
    expect(await db.outboxEvent.count({ where: { eventName: 'case.correction.v1', key: disputeId } })).toBe(
      0,
    );
    // The city as a whole names no place: routing would fall back to the address just as quietly.
    const city = await act(caseId, 'correct', as('city'), { divisionCode: '350800', reason: '核实' });
    expect(city.statusCode, city.body).toBe(400);
    expect(city.json().error.fields).toEqual([
      { field: 'divisionCode', reason: '龙岩市 as a whole is no place to route to: give a county or a town' },
    ]);
    expect(await db.historyEntry.count({ where: { caseId, type: 'corrected' } })).toBe(0);
    // A village newer than routing's extract is taken, as routing takes it: by its known town.
    const village = await act(caseId, 'correct', as('xinluo'), {
      divisionCode: '350802107999',
      reason: '核实',
    });
    expect(village.statusCode, village.body).toBe(202);
  });

  it('the 8-character case number where a case id goes answers how to find the case with it', async () => {
    const caseId = await seedGuoCase(db);
    const number = caseId.slice(0, 8);
    const hint = {
      field: 'caseId',
      reason: `a case id (UUID); ${number} is a case number (案件编号): find its case with GET /v1/cases?ref=${number}`,
    };
    const read = await app.inject({ url: `/v1/cases/${number}`, headers: as('xinluo') });
    expect(read.statusCode).toBe(400);
    expect(read.json().error.fields).toEqual([hint]);
    const acted = await act(number, 'notes', as('xinluo'), { note: '来电询问' });
    expect(acted.statusCode).toBe(400);
    expect(acted.json().error.fields).toEqual([hint]);
    // The search it points to finds the case.
    const found = await app.inject({ url: `/v1/cases?ref=${number}`, headers: as('xinluo') });
    expect(found.json().items.map((item: { caseId: string }) => item.caseId)).toEqual([caseId]);
  });

  it('an unknown query parameter on the search, the export or the statistics is a 400 naming it, not the whole jurisdiction', async () => {
    for (const url of [
      '/v1/cases?town=350802107',
      '/v1/cases/export.csv?town=350802107',
      '/v1/stats/overview?town=350802107',
      '/v1/stats/breakdown?by=channel&town=350802107',
      '/v1/stats/trend?town=350802107',
    ]) {
      const response = await app.inject({ url, headers: as('xinluo') });
      expect(response.statusCode, url).toBe(400);
      const [problem, ...more] = response.json().error.fields;
      expect(more, url).toEqual([]);
      expect(problem.field, url).toBe('town');
      // The reason lists what the route takes, the place filter among them.
      expect(problem.reason, url).toMatch(/^not a parameter of this route; it takes .*\bplace\b/);
    }
    const search = (await app.inject({ url: '/v1/cases?twon=1&plcae=2', headers: as('xinluo') })).json();
    expect(search.error.fields.map((problem: { field: string }) => problem.field)).toEqual(['twon', 'plcae']);
    expect(search.error.fields[0].reason).toContain('cursor, limit');
    // The parameters the routes take still work (the overview page's own requests among them).
    for (const url of [
      '/v1/cases?place=350802107&sort=newest&limit=30',
      '/v1/cases/export.csv?place=350802107&status=assigned,accepted',
      '/v1/stats/breakdown?place=350802&from=2024-08-01&to=2024-08-31&compare=previous&by=place&level=town',
      '/v1/stats/trend?place=350802&interval=week',
    ]) {
      expect((await app.inject({ url, headers: as('xinluo') })).statusCode, url).toBe(200);
    }
  });

  it('escalation by hand goes up one level at a time and is announced once per level', async () => {
    const caseId = await seedGuoCase(db);
    expect(
      (await act(caseId, 'escalate', as('city'), { level: 'county', reason: '欠薪金额大' })).json()
        .expressLane,
    ).toBe('county');
    expect((await act(caseId, 'escalate', as('city'), { level: 'county', reason: 'again' })).statusCode).toBe(
      409,
    );
    const escalations = await db.outboxEvent.findMany({
      where: { key: caseId, eventName: 'case.escalation.v1' },
      orderBy: { id: 'asc' },
    });
    expect(escalations.map((row) => row.data)).toEqual([
      expect.objectContaining({
        level: 'county',
        previousLevel: null,
        reason: 'manual',
        divisionCode: '350802',
        by: 'operator:city',
      }),
    ]);
  });

  it("a case in the county secretary's lane corrected to another county is announced to that county's secretary", async () => {
    const { caseId, disputeId } = await seedRoutedCase(db);
    expect(
      (await act(caseId, 'escalate', as('city'), { level: 'county', reason: '欠薪人数多' })).statusCode,
    ).toBe(200);
    // It happened in 永定区下洋镇, not 新罗区: routing places it there, still not major itself.
    await movedToXiayang(caseId, disputeId);
    const escalations = await db.outboxEvent.findMany({
      where: { key: caseId, eventName: 'case.escalation.v1' },
      orderBy: { id: 'asc' },
    });
    expect(escalations.map((row) => row.data)).toEqual([
      expect.objectContaining({ level: 'county', reason: 'manual', divisionCode: towns.jiangshan.county }),
      expect.objectContaining({ level: 'county', reason: 'manual', divisionCode: towns.xiayang.county }),
    ]);
  });

  it('two operators acting at once: one wins, the other is told to read again', async () => {
    const caseId = await seedGuoCase(db);
    const results = await Promise.all([
      act(caseId, 'accept', as('city')),
      act(caseId, 'accept', as('xinluo')),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await db.historyEntry.count({ where: { caseId, type: 'accepted' } })).toBe(1);
  });

  it('two operators escalating at once: the case goes up once, one secretary notice, the other told to read again', async () => {
    const caseId = await seedGuoCase(db);
    const results = await Promise.all([
      act(caseId, 'escalate', as('city'), { level: 'county', reason: '欠薪人数多' }),
      act(caseId, 'escalate', as('xinluo'), { level: 'county', reason: '拖延' }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await db.historyEntry.count({ where: { caseId, type: 'escalated' } })).toBe(1);
    expect(await escalationsOf(caseId)).toEqual([
      expect.objectContaining({ level: 'county', previousLevel: null }),
    ]);
    // Nothing above the city: a city-level case offers no escalation and refuses one.
    expect((await act(caseId, 'escalate', as('city'), { level: 'city', reason: '重大' })).statusCode).toBe(
      200,
    );
    const past = await act(caseId, 'escalate', as('city'), { level: 'city', reason: '再次' });
    expect(past.statusCode).toBe(409);
    expect(past.json().error.details.allowedActions).not.toContain('escalate');
  });

  it('overdue work: a reminder at the due time, then one level up the express lane per further period, once, one level per sweep', async () => {
    const caseId = await seedGuoCase(db);
    const { dueAt } = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    const day = 24 * 3600 * 1000;
    const at = (days: number) => new Date(dueAt!.getTime() + days * day);
    const lane = async () => (await db.case.findUniqueOrThrow({ where: { id: caseId } })).expressLevel;
    await sweepOverdue(db, at(-1), 3 * day);
    expect(await db.historyEntry.count({ where: { caseId, type: 'sla_reminder' } })).toBe(0);
    await sweepOverdue(db, at(1), 3 * day);
    await sweepOverdue(db, at(1), 3 * day);
    expect(await db.historyEntry.count({ where: { caseId, type: 'sla_reminder' } })).toBe(1);
    expect(await lane()).toBeNull();
    await sweepOverdue(db, at(3.5), 3 * day);
    expect(await lane()).toBe('township');
    // A sweep late by days takes the case one level up, not two: the county secretary gets a
    // period before the city's is told.
    await sweepOverdue(db, at(10), 3 * day);
    await sweepOverdue(db, at(10.001), 3 * day);
    expect(await lane()).toBe('county');
    await sweepOverdue(db, at(13), 3 * day);
    expect(await lane()).toBe('city');
    const escalations = await db.outboxEvent.findMany({
      where: { key: caseId, eventName: 'case.escalation.v1' },
      orderBy: { id: 'asc' },
    });
    expect(escalations.map((row) => (row.data as { level: string; reason: string }).level)).toEqual([
      'township',
      'county',
      'city',
    ]);
    expect(escalations.every((row) => (row.data as { reason: string }).reason === 'overdue')).toBe(true);
  });

  /** The 新罗区 court's referral of a labour dispute (诉前调解) by this applicant, under this case number. */
  const courtReferral = (
    applicant: { name: string; phone: string },
    caseNumber: string,
  ): DisputeReceivedV1 => ({
    disputeId: randomUUID(),
    channel: 'court',
    sourceRef: caseNumber,
    sourceClient: 'xl-court',
    revision: 1,
    receivedAt: new Date().toISOString(),
    content: '案由：劳务合同纠纷',
    location: { divisionCode: '350802' },
    parties: [
      { role: 'applicant', kind: 'person', ...applicant },
      { role: 'respondent', kind: 'person', name: '包工头某' },
    ],
    attachments: [],
    court: {
      courtCode: '闽0802',
      courtName: '龙岩市新罗区人民法院',
      caseType: '民诉前调',
      referralDate: new Date().toISOString().slice(0, 10),
      referredBy: 'xl-court',
    },
  });

  /**
   * A 12345 work order routing could place in 新罗区 only (no town): the county's judicial
   * bureau leads. Returns its case and the intake, to report the same matter again (the hotline's
   * caller: a WeChat applicant's typed phone would not make it the same caller).
   */
  const seedCountyOnlyCase = async (phone = `137${Math.floor(Math.random() * 1e8)}`) => {
    const dispute: DisputeReceivedV1 = {
      disputeId: randomUUID(),
      channel: 'hotline_12345',
      sourceRef: `GD-${randomUUID()}`,
      revision: 1,
      receivedAt: new Date().toISOString(),
      content: '新罗区某工地老板拖欠工资',
      location: { divisionCode: '350802' },
      parties: [{ role: 'caller', kind: 'person', name: '杨某', phone }],
      attachments: [],
    };
    await recordIntake(db, dispute);
    await recordAssignment(db, countyOnly(decisionFor(dispute)));
    return { caseId: caseIdFor(dispute.disputeId), dispute };
  };
  const countyOnly = (decision: DisputeAssignedV1): DisputeAssignedV1 => ({
    ...decision,
    jurisdiction: {
      cityCode: '350800',
      countyCode: '350802',
      names: ['龙岩市', '新罗区'],
      resolution: 'inferred',
    },
    lead: {
      code: '350802-judicial_bureau',
      kind: 'judicial_office',
      name: '新罗区司法局',
      divisionCode: '350802',
    },
  });
  const escalationsOf = async (caseId: string) =>
    (
      await db.outboxEvent.findMany({
        where: { key: caseId, eventName: 'case.escalation.v1' },
        orderBy: { id: 'asc' },
      })
    ).map((row) => row.data as { level: string; previousLevel: string | null; divisionCode: string });

  describe('a case placed at county level only (no town) enters the express lane at the county: no township secretary to tell', () => {
    it('by hand: a township escalation goes to the county secretary', async () => {
      const { caseId } = await seedCountyOnlyCase();
      const escalated = await act(caseId, 'escalate', as('city'), {
        level: 'township',
        reason: '欠薪人数多',
      });
      expect(escalated.statusCode, escalated.body).toBe(200);
      expect(escalated.json().expressLane).toBe('county');
      expect(await escalationsOf(caseId)).toEqual([
        expect.objectContaining({ level: 'county', previousLevel: null, divisionCode: '350802' }),
      ]);
    });

    it('overdue: the first level up is the county, then the city', async () => {
      const { caseId } = await seedCountyOnlyCase();
      const { dueAt } = await db.case.findUniqueOrThrow({ where: { id: caseId } });
      const day = 24 * 3600 * 1000;
      await sweepOverdue(db, new Date(dueAt!.getTime() + 3.5 * day), 3 * day);
      await sweepOverdue(db, new Date(dueAt!.getTime() + 6.5 * day), 3 * day);
      expect(await escalationsOf(caseId)).toEqual([
        expect.objectContaining({ level: 'county', previousLevel: null, divisionCode: '350802' }),
        expect.objectContaining({ level: 'city', previousLevel: 'county', divisionCode: '350800' }),
      ]);
    });

    it("reported three times: the repeats put it in the county secretary's lane", async () => {
      const phone = `135${Math.floor(Math.random() * 1e8)}`;
      const { caseId, dispute } = await seedCountyOnlyCase(phone);
      for (let i = 0; i < 2; i++) {
        const again = { ...dispute, disputeId: randomUUID(), sourceRef: `GD-${randomUUID()}` };
        await recordIntake(db, again);
        await recordAssignment(db, countyOnly(decisionFor(again)));
      }
      expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).repeatCount).toBe(2);
      expect(await escalationsOf(caseId)).toEqual([
        expect.objectContaining({ level: 'county', previousLevel: null, divisionCode: '350802' }),
      ]);
    });
  });

  it("a court referral joining an open case brings the court's deadline: the case and its lead are due by then, and the court gets the outcome", async () => {
    const applicant = { name: '郭某', phone: '13900007788' };
    const guo = await seedRoutedCase(db, { hotline: {}, applicant });
    const before = await db.case.findUniqueOrThrow({ where: { id: guo.caseId } });
    // The court wants an answer in two days, well before the case's own deadline (a week).
    const courtDeadline = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    expect(courtDeadline < before.dueAt!).toBe(true);
    const referral = {
      ...courtReferral(applicant, '（2024）闽0802民诉前调8765号'),
      dueAt: courtDeadline.toISOString(),
      amountClaimed: 38_000,
    };
    await recordIntake(db, referral);
    await recordAssignment(db, { ...decisionFor(referral), dueAt: courtDeadline.toISOString() });
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: referral.disputeId } })).caseId).toBe(
      guo.caseId,
    );
    const joined = await db.case.findUniqueOrThrow({ where: { id: guo.caseId } });
    expect(joined.dueAt).toEqual(courtDeadline);
    const leadDue = await db.assignment.findFirstOrThrow({ where: { caseId: guo.caseId, role: 'lead' } });
    expect(leadDue.dueAt).toEqual(courtDeadline);

    const agency = { 'x-api-key': 'key-jiangshan' };
    expect((await act(guo.caseId, 'accept', agency)).statusCode).toBe(200);
    const summary = '老板同意支付，回拨13900007788，身份证350802198501011234';
    expect(
      (await act(guo.caseId, 'outcome', agency, { kind: 'mediated', summary, amount: 3800 })).statusCode,
    ).toBe(200);
    const toCourt = await db.outboxEvent.findMany({
      where: { eventName: 'court.outcome.v1', key: referral.disputeId },
    });
    // On the court's own topic, the summary as its callback says it: a department that does not lead.
    expect(toCourt.map((row) => row.data)).toEqual([
      expect.objectContaining({
        caseNumber: referral.sourceRef,
        caseId: guo.caseId,
        outcome: { kind: 'mediated', summary: '老板同意支付，回拨[手机号]，身份证[身份证号]', amount: 3800 },
      }),
    ]);
    // notify is told the words as written, and that nobody in the case asked for confidentiality.
    const announced = await db.outboxEvent.findMany({
      where: { eventName: 'case.status.v1', key: guo.caseId, data: { path: ['status'], equals: 'resolved' } },
    });
    expect(announced.map((row) => row.data)).toEqual([
      expect.objectContaining({
        outcome: { kind: 'mediated', summary, amount: 3800 },
        confidentiality: { asked: false, names: [] },
      }),
    ]);

    // The court extends its date afterwards: operators and the lead read the court's facts on the
    // case as the court now states them; what it changed is in the history, the former date for
    // operators only.
    const later = new Date(courtDeadline.getTime() + 3 * 24 * 3600 * 1000);
    await recordIntake(db, { ...referral, revision: 2, dueAt: later.toISOString() });
    const read = async (headers: Record<string, string>) =>
      (await app.inject({ url: `/v1/cases/${guo.caseId}`, headers })).json();
    const court = {
      caseNumber: referral.sourceRef,
      courtCode: '闽0802',
      courtName: '龙岩市新罗区人民法院',
      caseType: '民诉前调',
      referralDate: referral.court!.referralDate,
      mediationDeadline: later.toISOString(),
      claimAmount: 38_000,
    };
    for (const headers of [as('xinluo'), agency]) {
      const seen = await read(headers);
      expect(seen.reports.map((report: { court: unknown }) => report.court)).toEqual([null, court]);
      const updated = seen.history.find((entry: { type: string }) => entry.type === 'report_updated');
      expect(updated.detail).toMatchObject({ revision: 2, changed: ['court.mediationDeadline'] });
      if (headers === agency) expect(updated.detail).not.toHaveProperty('previous');
      else
        expect(updated.detail.previous).toEqual({
          revision: 1,
          court: { mediationDeadline: courtDeadline.toISOString() },
        });
    }
  });

  it("a court referral's earlier date reaches the agency topics: each department whose deadline moved gets the case's version again, due by the court's date", async () => {
    const applicant = { name: '郭某', phone: '13900007801' };
    const guo = await seedRoutedCase(db, { hotline: {}, applicant, coHandlers: [police] });
    // The police station is due sooner than the court's date already: its deadline stands.
    const policeDue = new Date(Date.now() + 24 * 3600 * 1000);
    await db.assignment.updateMany({
      where: { caseId: guo.caseId, departmentCode: police.code },
      data: { dueAt: policeDue },
    });
    const courtDeadline = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    const referral = {
      ...courtReferral(applicant, '（2024）闽0802民诉前调8790号'),
      dueAt: courtDeadline.toISOString(),
    };
    await recordIntake(db, referral);
    await recordAssignment(db, { ...decisionFor(referral), dueAt: courtDeadline.toISOString() });
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: referral.disputeId } })).caseId).toBe(
      guo.caseId,
    );

    const copies = await db.outboxEvent.findMany({
      where: { eventName: 'agency.assignment.v1', key: guo.disputeId },
    });
    expect(copies.map((row) => [row.topic, row.data])).toEqual([
      [
        `agency.${lead.code}.assignment.v1`,
        expect.objectContaining({
          disputeId: guo.disputeId,
          version: 1,
          action: 'assigned',
          role: 'lead',
          department: lead,
          partners: [{ code: police.code, name: police.name, role: 'co' }],
          dueAt: courtDeadline.toISOString(),
          contact: applicant,
        }),
      ],
    ]);
    for (const row of copies) AgencyAssignmentV1.parse(row.data);
  });

  it("the case goes onto and up the express lane: each department on it gets the case's version again on its topic, at the new level", async () => {
    const applicant = { name: '郭某', phone: '13900007802' };
    const guo = await seedRoutedCase(db, { applicant, coHandlers: [police] });
    const copies = async () =>
      (
        await db.outboxEvent.findMany({
          where: { eventName: 'agency.assignment.v1', key: guo.disputeId },
          orderBy: { id: 'asc' },
        })
      ).map((row) => [row.topic, AgencyAssignmentV1.parse(row.data)] as const);
    expect(await copies()).toEqual([]);
    const due = new Map(
      (await db.assignment.findMany({ where: { caseId: guo.caseId } })).map((a) => [
        a.departmentCode,
        a.dueAt.toISOString(),
      ]),
    );
    /** The case's version as each department holds it, on the lane at `level`. */
    const atLevel = (level: string) => [
      [
        `agency.${lead.code}.assignment.v1`,
        expect.objectContaining({
          disputeId: guo.disputeId,
          version: 1,
          action: 'assigned',
          role: 'lead',
          department: lead,
          partners: [{ code: police.code, name: police.name, role: 'co' }],
          dueAt: due.get(lead.code),
          expressLane: level,
          contact: applicant,
        }),
      ],
      [
        `agency.${police.code}.assignment.v1`,
        expect.objectContaining({
          disputeId: guo.disputeId,
          version: 1,
          action: 'assigned',
          role: 'co',
          department: police,
          partners: [{ code: lead.code, name: lead.name, role: 'lead' }],
          dueAt: due.get(police.code),
          expressLane: level,
        }),
      ],
    ];

    // By hand, to the county secretary; refused the same level again, which sends nothing.
    expect(
      (await act(guo.caseId, 'escalate', as('city'), { level: 'county', reason: '欠薪人数多' })).statusCode,
    ).toBe(200);
    expect(
      (await act(guo.caseId, 'escalate', as('city'), { level: 'county', reason: 'again' })).statusCode,
    ).toBe(409);
    const byHand = await copies();
    expect(byHand).toEqual(atLevel('county'));
    expect(byHand[1]![1].contact).toBeUndefined();

    // Still unanswered long after its deadline: the sweeper takes it up to the city secretary.
    const { dueAt } = await db.case.findUniqueOrThrow({ where: { id: guo.caseId } });
    const day = 24 * 3600 * 1000;
    await sweepOverdue(db, new Date(Math.max(dueAt!.getTime(), Date.now()) + 30 * day), 3 * day);
    expect((await db.case.findUniqueOrThrow({ where: { id: guo.caseId } })).expressLevel).toBe('city');
    expect(await copies()).toEqual([...atLevel('county'), ...atLevel('city')]);
  });

  /**
   * What routing publishes in answer to the case's latest request to route it again (as its
   * consumer does on the bus), after the cases service has recorded its decision: the decision,
   * and what each department receives of that version on its topic — routing's copies, then any the
   * case sends again — as [topic, version, action, expressLane].
   */
  const routedAgain = async (caseId: string, disputeId: string) => {
    const asked = await db.outboxEvent.findFirstOrThrow({
      where: { eventName: 'case.correction.v1', key: disputeId },
      orderBy: { id: 'desc' },
    });
    const events = eventsForCorrection(router, CaseCorrectedV1.parse(asked.data), new Date());
    const decision = events[0]!.data as DisputeAssignedV1;
    const since = (await db.outboxEvent.aggregate({ _max: { id: true } }))._max.id ?? 0n;
    await recordAssignment(db, decision);
    const resent = await db.outboxEvent.findMany({
      where: { eventName: 'agency.assignment.v1', key: disputeId, id: { gt: since } },
      orderBy: { id: 'asc' },
    });
    const received = [
      ...events.slice(1).map((event) => [event.topic!, event.data] as const),
      ...resent.map((row) => [row.topic, row.data] as const),
    ].map(([topic, data]) => {
      const copy = AgencyAssignmentV1.parse(data);
      return [topic, copy.version, copy.action, copy.expressLane];
    });
    const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    return { decision, received, resent: resent.length, case: row };
  };
  const router = createRouter();

  it("a case escalated by hand to the county and then corrected: routing's new version and every copy of it say county; the case stays there, announced once", async () => {
    const { caseId, disputeId } = await seedRoutedCase(db);
    expect(
      (await act(caseId, 'escalate', as('city'), { level: 'county', reason: '欠薪人数多' })).statusCode,
    ).toBe(200);
    expect(
      (await act(caseId, 'correct', as('city'), { category: 'contract', reason: '实为合同纠纷' })).statusCode,
    ).toBe(202);
    const { decision, received, resent, case: row } = await routedAgain(caseId, disputeId);
    // Routing alone would put unpaid wages on no lane: it keeps the one the case is on.
    expect(decision).toMatchObject({ version: 2, category: 'contract', severity: 'normal' });
    expect(decision.expressLane?.level).toBe('county');
    expect(received).toEqual([[`agency.${lead.code}.assignment.v1`, 2, 'assigned', 'county']]);
    // Routing's copies say it: the case sends none again.
    expect(resent).toBe(0);
    expect({ level: row.expressLevel, version: row.routingVersion }).toEqual({ level: 'county', version: 2 });
    expect(await db.historyEntry.count({ where: { caseId, type: 'escalated' } })).toBe(1);
    expect(
      (await db.outboxEvent.findMany({ where: { key: caseId, eventName: 'case.escalation.v1' } })).map(
        (event) => event.data,
      ),
    ).toEqual([expect.objectContaining({ level: 'county', previousLevel: null, reason: 'manual' })]);
  });

  it("a case in the county secretary's lane corrected to another county: the new departments are told county, that county's secretary is told of the move, nobody of a new level", async () => {
    const { caseId, disputeId } = await seedRoutedCase(db);
    expect(
      (await act(caseId, 'escalate', as('city'), { level: 'county', reason: '欠薪人数多' })).statusCode,
    ).toBe(200);
    expect(
      (
        await act(caseId, 'correct', as('city'), {
          divisionCode: towns.xiayang.town,
          reason: '实际发生在下洋镇',
        })
      ).statusCode,
    ).toBe(202);
    const { decision, received, resent, case: row } = await routedAgain(caseId, disputeId);
    expect(decision.jurisdiction).toMatchObject({
      countyCode: towns.xiayang.county,
      townCode: towns.xiayang.town,
    });
    expect(received).toEqual([
      [`agency.${towns.xiayang.town}-judicial_office.assignment.v1`, 2, 'assigned', 'county'],
      [`agency.${towns.xiayang.county}-labor_inspection.assignment.v1`, 2, 'assigned', 'county'],
      [`agency.${lead.code}.assignment.v1`, 2, 'withdrawn', 'county'],
    ]);
    expect(resent).toBe(0);
    expect({ level: row.expressLevel, county: row.countyCode }).toEqual({
      level: 'county',
      county: towns.xiayang.county,
    });
    expect(
      (
        await db.outboxEvent.findMany({
          where: { key: caseId, eventName: 'case.escalation.v1' },
          orderBy: { id: 'asc' },
        })
      ).map((event) => event.data),
    ).toEqual([
      expect.objectContaining({ level: 'county', previousLevel: null, divisionCode: towns.jiangshan.county }),
      expect.objectContaining({
        level: 'county',
        previousLevel: 'county',
        reason: 'manual',
        divisionCode: towns.xiayang.county,
      }),
    ]);
  });

  it("a case that went up the lane after routing was asked: routing's copies of the new version say the lane it was told, the case sends them again at its level", async () => {
    const { caseId, disputeId } = await seedRoutedCase(db);
    expect(
      (await act(caseId, 'correct', as('city'), { category: 'contract', reason: '实为合同纠纷' })).statusCode,
    ).toBe(202);
    // Escalated before routing answers: the request said the case was on no lane.
    expect(
      (await act(caseId, 'escalate', as('city'), { level: 'county', reason: '欠薪人数多' })).statusCode,
    ).toBe(200);
    const { decision, received, resent, case: row } = await routedAgain(caseId, disputeId);
    expect(decision.expressLane).toBeNull();
    expect(received).toEqual([
      [`agency.${lead.code}.assignment.v1`, 2, 'assigned', null],
      [`agency.${lead.code}.assignment.v1`, 2, 'assigned', 'county'],
    ]);
    expect(resent).toBe(1);
    expect(row.expressLevel).toBe('county');
  });

  it("a joined court referral's deadline outlives a re-routing: a new lead is due by the court's date too", async () => {
    const applicant = { name: '郭某', phone: '13900007799' };
    const guo = await seedRoutedCase(db, { hotline: {}, applicant });
    const courtDeadline = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    const referral = {
      ...courtReferral(applicant, '（2024）闽0802民诉前调8766号'),
      dueAt: courtDeadline.toISOString(),
    };
    await recordIntake(db, referral);
    await recordAssignment(db, { ...decisionFor(referral), dueAt: courtDeadline.toISOString() });
    expect((await db.case.findUniqueOrThrow({ where: { id: guo.caseId } })).dueAt).toEqual(courtDeadline);

    // An operator's correction of the place: routing answers on Guo's report, another town's office
    // leads, with routing's own (later) deadline.
    const { intake } = await db.report.findUniqueOrThrow({ where: { disputeId: guo.disputeId } });
    const elsewhere = { county: '350802', town: '350802108', names: ['龙岩市', '新罗区', '某镇'] };
    await recordAssignment(
      db,
      decisionFor(intake as unknown as DisputeReceivedV1, { version: 2, place: elsewhere }),
    );
    const moved = await db.case.findUniqueOrThrow({ where: { id: guo.caseId } });
    expect(moved.townCode).toBe('350802108');
    expect(moved.dueAt).toEqual(courtDeadline);
    const newLead = await db.assignment.findFirstOrThrow({
      where: { caseId: guo.caseId, role: 'lead', status: { not: 'withdrawn' } },
    });
    expect({ code: newLead.departmentCode, due: newLead.dueAt }).toEqual({
      code: '350802108-judicial_office',
      due: courtDeadline,
    });
  });

  it("routing is asked to re-route with what each department holds and the court's date, so agencies are told the case's deadlines", async () => {
    const applicant = { name: '郭某', phone: '13900007800' };
    const guo = await seedRoutedCase(db, { hotline: {}, applicant });
    const courtDeadline = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    const referral = {
      ...courtReferral(applicant, '（2024）闽0802民诉前调8767号'),
      dueAt: courtDeadline.toISOString(),
    };
    await recordIntake(db, referral);
    await recordAssignment(db, { ...decisionFor(referral), dueAt: courtDeadline.toISOString() });

    expect(
      (await act(guo.caseId, 'correct', as('xinluo'), { category: 'contract', reason: '实为合同纠纷' }))
        .statusCode,
    ).toBe(202);
    const asked = await db.outboxEvent.findFirstOrThrow({
      where: { eventName: 'case.correction.v1', key: guo.disputeId },
      orderBy: { id: 'desc' },
    });
    expect(asked.data).toMatchObject({
      currentDepartments: [lead.code],
      currentAssignments: [{ code: lead.code, role: 'lead', dueAt: courtDeadline.toISOString() }],
      courtDueAt: courtDeadline.toISOString(),
    });
  });

  it('a report detached from a case and corrected is routed as a case of its own, its words with it', async () => {
    // The caller's second report, about another employer's unpaid wages in the same town, was
    // taken for a repeat (same caller, same category and town); the operator finds it is another
    // matter and detaches it, which asks routing; and corrects its place before routing answers.
    const applicant = { name: '杨某', phone: '13900001234' };
    const first = await seedRoutedCase(db, { hotline: {}, applicant });
    const second = await seedRoutedCase(db, {
      hotline: {},
      applicant,
      content: '另一个包工头也欠我两个月工资',
    });
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: second.disputeId } })).caseId).toBe(
      first.caseId,
    );
    const detached = await act(first.caseId, 'detach', as('xinluo'), {
      disputeId: second.disputeId,
      reason: '核实后不是同一件事',
    });
    expect(detached.statusCode, detached.body).toBe(200);
    const { newCaseId } = detached.json();
    const corrected = await act(newCaseId, 'correct', as('xinluo'), {
      divisionCode: '350802107',
      reason: '另一个包工头，另案处理',
    });
    expect(corrected.statusCode, corrected.body).toBe(202);
    // The correction asks the version after the detach's, not the same one again: routing's answer
    // to each is taken, in turn (the second would be dropped as a redelivery of the first).
    const requests = await db.outboxEvent.findMany({
      where: { eventName: 'case.correction.v1', key: second.disputeId },
      orderBy: { id: 'asc' },
    });
    const asked = requests.map((event) => event.data as { version: number; dispute: DisputeReceivedV1 });
    expect(asked.map(({ version }) => version)).toEqual([2, 3]);
    for (const request of asked) await routeAsCorrected(request);
    const own = (await app.inject({ url: `/v1/cases/${newCaseId}`, headers: as('xinluo') })).json();
    expect(own).toMatchObject({
      status: 'assigned',
      routingVersion: 3,
      reports: [expect.objectContaining({ disputeId: second.disputeId })],
    });
    // Its words went with it: a search finds it, and no longer the case it left.
    const found = async (q: string) =>
      (await app.inject({ url: `/v1/cases?q=${encodeURIComponent(q)}`, headers: as('xinluo') }))
        .json()
        .items.map((item: { caseId: string }) => item.caseId);
    expect(await found('另一个包工头')).toEqual([newCaseId]);
    expect(await found('水库大坝')).toContain(first.caseId);
    expect(await found('水库大坝')).not.toContain(newCaseId);
  });

  it("a report merged by mistake into another county's case and detached is a case of its own town: in its triage with its own category, then routed to its own town's department, which finds it", async () => {
    // A 新罗区江山镇 wage claim, accepted and in mediation, merged by mistake into a 永定区下洋镇
    // forest dispute, then taken out again: it is another matter, in another county.
    const agency = { 'x-api-key': 'key-jiangshan' };
    const wage = await seedRoutedCase(db, {
      content: '在江山镇水库大坝干了19天，老板不给工资',
      category: 'labor',
    });
    expect((await act(wage.caseId, 'accept', agency)).statusCode).toBe(200);
    expect((await act(wage.caseId, 'progress', agency, { note: '已联系老板' })).statusCode).toBe(200);
    const forest = await seedRoutedCase(db, {
      place: towns.xiayang,
      content: '下洋镇中川村两户人家因山林界址起争执',
      category: 'land_forest',
    });
    const merged = await act(wage.caseId, 'merge', as('city'), {
      intoCaseId: forest.caseId,
      reason: '同一件事',
    });
    expect(merged.statusCode, merged.body).toBe(200);
    const detached = await act(forest.caseId, 'detach', as('city'), {
      disputeId: wage.disputeId,
      reason: '误并，非同一事项',
    });
    expect(detached.statusCode, detached.body).toBe(200);
    const { newCaseId } = detached.json();

    // Until routing answers: in the triage of its own town, of its own category — not the forest
    // case's county, category and triage.
    const parked = await db.case.findUniqueOrThrow({ where: { id: newCaseId } });
    expect(parked).toMatchObject({
      status: 'triage',
      cityCode: '350800',
      countyCode: towns.jiangshan.county,
      townCode: towns.jiangshan.town,
      placeNames: [...towns.jiangshan.names],
      triageCode: towns.jiangshan.town,
      category: 'labor',
    });
    const announced = await db.outboxEvent.findFirstOrThrow({
      where: { eventName: 'case.status.v1', key: newCaseId },
    });
    expect(announced.data).toMatchObject({
      status: 'triage',
      previousStatus: null,
      disputeIds: [wage.disputeId],
      category: 'labor',
      divisionCode: towns.jiangshan.town,
      // The routing version asked below: notify hands the report to departments on routing's
      // answer to it, not on a decision the fold overtook.
      awaitsRoutingVersion: 2,
    });
    // Its own county's operators have it; the forest case's county's do not.
    expect((await app.inject({ url: `/v1/cases/${newCaseId}`, headers: as('xinluo') })).statusCode).toBe(200);
    expect((await app.inject({ url: `/v1/cases/${newCaseId}`, headers: as('yongding') })).statusCode).toBe(
      404,
    );

    // Routing is asked at once, on its own report, at a version past the case it left's.
    const asked = await db.outboxEvent.findFirstOrThrow({
      where: { eventName: 'case.correction.v1', key: wage.disputeId },
      orderBy: { id: 'desc' },
    });
    expect(asked.data).toMatchObject({
      caseId: newCaseId,
      version: 2,
      dispute: { disputeId: wage.disputeId, location: { divisionCode: towns.jiangshan.town } },
      currentDepartments: [],
      corrected: {},
    });
    const { decision, case: routed } = await routedAgain(newCaseId, wage.disputeId);
    expect(decision).toMatchObject({
      version: 2,
      category: 'labor',
      triage: null,
      lead: { code: lead.code },
    });
    expect(routed).toMatchObject({
      status: 'assigned',
      routingVersion: 2,
      countyCode: towns.jiangshan.county,
      townCode: towns.jiangshan.town,
      triageCode: null,
      category: 'labor',
    });
    expect(routed.dueAt).not.toBeNull();
    const detail = (await app.inject({ url: `/v1/cases/${newCaseId}`, headers: as('xinluo') })).json();
    expect(detail.history.map((h: { type: string; actor: string }) => `${h.type}/${h.actor}`)).toEqual([
      'detached_from/operator:city',
      'assigned/routing',
    ]);
    expect(detail.history[0].detail).toMatchObject({ detachedFrom: forest.caseId, version: 2 });
    // Its own town's department leads it, and finds it: by its words, and among its cases.
    const held = (await app.inject({ url: `/v1/cases/${newCaseId}`, headers: agency })).json();
    expect(held.assignments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ departmentCode: lead.code, role: 'lead', status: 'delivered' }),
      ]),
    );
    expect(await searchIds('水库大坝干了19天', agency)).toContain(newCaseId);
    expect(await searchIds('水库大坝干了19天', as('xinluo'))).toContain(newCaseId);
    expect(await searchIds('水库大坝干了19天', as('yongding'))).not.toContain(newCaseId);
    const statuses = (
      await db.outboxEvent.findMany({
        where: { eventName: 'case.status.v1', key: newCaseId },
        orderBy: { id: 'asc' },
      })
    ).map((event) => event.data);
    expect(statuses).toEqual([
      expect.objectContaining({ status: 'triage', previousStatus: null, awaitsRoutingVersion: 2 }),
      expect.objectContaining({
        status: 'assigned',
        previousStatus: 'triage',
        divisionCode: towns.jiangshan.town,
      }),
    ]);
    // Only the status that opens the detached case says it.
    expect(statuses[1]).not.toHaveProperty('awaitsRoutingVersion');
    // The forest case keeps its own place and report, the history saying where the other went.
    const left = await db.case.findUniqueOrThrow({ where: { id: forest.caseId } });
    expect({ town: left.townCode, category: left.category, repeats: left.repeatCount }).toEqual({
      town: towns.xiayang.town,
      category: 'land_forest',
      repeats: 0,
    });
  });

  it("a court referral's report cannot be detached from a case that has ended: the court was told its outcome once", async () => {
    // Guo applied on WeChat; the court's referral of the same matter (same applicant) joined his case.
    const applicant = { name: '郭某', phone: '13900005678' };
    const guo = await seedRoutedCase(db, { hotline: {}, applicant });
    const referral = courtReferral(applicant, '（2024）闽0802民诉前调4321号');
    await recordIntake(db, referral);
    await recordAssignment(db, decisionFor(referral));
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: referral.disputeId } })).caseId).toBe(
      guo.caseId,
    );
    const agency = { 'x-api-key': 'key-jiangshan' };
    expect((await act(guo.caseId, 'accept', agency)).statusCode).toBe(200);
    expect(
      (await act(guo.caseId, 'outcome', agency, { kind: 'mediated', summary: '老板同意支付', amount: 3800 }))
        .statusCode,
    ).toBe(200);
    const courtOutcomes = () =>
      db.outboxEvent.count({ where: { eventName: 'court.outcome.v1', key: referral.disputeId } });
    expect(await courtOutcomes()).toBe(1);

    // Taken out now, it would start again in triage and end with a second, different outcome for
    // the same case number — on the court's topic, while notify's callback (once per report) never says it.
    const detached = await act(guo.caseId, 'detach', as('xinluo'), {
      disputeId: referral.disputeId,
      reason: '核实后不是同一件事',
    });
    expect(detached.statusCode, detached.body).toBe(409);
    expect(detached.json().error).toMatchObject({
      code: 'invalid_transition',
      details: { status: 'resolved' },
    });
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: referral.disputeId } })).caseId).toBe(
      guo.caseId,
    );
  });

  it('a correction of a case whose first report came in by a merge is routed, not dropped as a redelivery', async () => {
    // B was corrected once (its report routed at version 2), then merged into A; B's report is the
    // earlier one, so a correction of A re-routes it — at A's next version, 2, which it already had.
    const a = await seedRoutedCase(db, { receivedAt: '2024-08-24T09:30:00+08:00' });
    const b = await seedRoutedCase(db, { receivedAt: '2024-08-20T09:30:00+08:00' });
    expect(
      (await act(b.caseId, 'correct', as('city'), { category: 'labor', reason: '核实类别' })).statusCode,
    ).toBe(202);
    const correctionOf = async (caseId: string) =>
      (
        await db.outboxEvent.findMany({
          where: { eventName: 'case.correction.v1' },
          orderBy: { id: 'desc' },
        })
      ).find((row) => (row.data as { caseId: string }).caseId === caseId)!.data as {
        version: number;
        dispute: DisputeReceivedV1;
      };
    await routeAsCorrected(await correctionOf(b.caseId));
    expect((await db.case.findUniqueOrThrow({ where: { id: b.caseId } })).routingVersion).toBe(2);
    const merged = await act(b.caseId, 'merge', as('city'), { intoCaseId: a.caseId, reason: '同一件事' });
    expect(merged.statusCode, merged.body).toBe(200);
    // Announced closed as it was before, and where its report went (WeChat and notify follow it there).
    const announced = await db.outboxEvent.findMany({
      where: { eventName: 'case.status.v1', key: b.caseId },
      orderBy: { id: 'asc' },
    });
    expect(announced.map((row) => row.data).at(-1)).toMatchObject({
      status: 'closed',
      previousStatus: 'assigned',
      mergedInto: a.caseId,
      disputeIds: [b.disputeId],
    });

    const corrected = await act(a.caseId, 'correct', as('city'), {
      category: 'contract',
      reason: '实为合同纠纷',
    });
    expect(corrected.statusCode, corrected.body).toBe(202);
    const correction = await correctionOf(a.caseId);
    expect(correction.dispute.disputeId).toBe(b.disputeId);
    await routeAsCorrected(correction);
    const after = await db.case.findUniqueOrThrow({ where: { id: a.caseId } });
    expect({ routingVersion: after.routingVersion, category: after.category }).toEqual({
      routingVersion: correction.version,
      category: 'contract',
    });
  });

  it("a number someone quotes finds the case: a report's own (after a merge, the case it joined), or the case number an SMS gave", async () => {
    const into = await seedRoutedCase(db);
    const later = await seedRoutedCase(db, { receivedAt: '2024-08-26T10:00:00+08:00' });
    const refOf = async (disputeId: string) =>
      (await db.report.findUniqueOrThrow({ where: { disputeId } })).sourceRef;
    const search = async (ref: string, who = 'xinluo') =>
      (await app.inject({ url: `/v1/cases?ref=${encodeURIComponent(ref)}`, headers: as(who) }))
        .json()
        .items.map((item: { caseId: string }) => item.caseId);
    expect(await search(await refOf(later.disputeId))).toEqual([later.caseId]);
    await act(later.caseId, 'merge', as('xinluo'), { intoCaseId: into.caseId, reason: '同一件事' });
    expect(await search(await refOf(later.disputeId))).toEqual([into.caseId]);
    expect(await search(await refOf(into.disputeId))).toEqual([into.caseId]);
    // The case number an express-lane SMS and the overview give (its id's first 8 characters).
    expect(await search(into.caseId.slice(0, 8).toUpperCase())).toEqual([into.caseId]);
    expect(await search(later.caseId.slice(0, 8))).toEqual([into.caseId]);
    // Another county's operator learns nothing from a number.
    expect(await search(await refOf(into.disputeId), 'yongding')).toEqual([]);
    // A court case number as the clerk types it (half-width brackets, spaces) finds the referral.
    const referral = await seedRoutedCase(db, { receivedAt: '2024-08-27T10:00:00+08:00' });
    await db.report.update({
      where: { disputeId: referral.disputeId },
      data: { channel: 'court', sourceRef: '（2024）闽0803民诉前调123号' },
    });
    expect(await search('(2024)闽0803民诉前调 123号')).toEqual([referral.caseId]);
  });

  it("the whole case id (the CSV export's 案件编号) finds the case: after a merge the case it joined, after merges the case it is in now", async () => {
    const into = await seedRoutedCase(db, { receivedAt: '2024-08-24T10:00:00+08:00' });
    const merged = await seedRoutedCase(db, { receivedAt: '2024-08-25T10:00:00+08:00' });
    const last = await seedRoutedCase(db, { receivedAt: '2024-08-26T10:00:00+08:00' });
    const search = async (ref: string, who = 'xinluo') => {
      const response = await app.inject({
        url: `/v1/cases?ref=${encodeURIComponent(ref)}`,
        headers: as(who),
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json().items.map((item: { caseId: string }) => item.caseId);
    };
    // The id as the export's 案件编号 column gives it.
    const exported = await app.inject({
      url: '/v1/cases/export.csv?createdFrom=2024-08-24&createdTo=2024-08-24',
      headers: as('xinluo'),
    });
    const [header, ...rows] = exported.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(header!.split(',')[0]).toBe('案件编号');
    const quoted = rows.map((row) => row.split(',')[0]!).find((id) => id === into.caseId);
    expect(quoted).toBe(into.caseId);
    expect(await search(quoted!)).toEqual([into.caseId]);
    expect(await search(` ${into.caseId.toUpperCase()} `)).toEqual([into.caseId]);
    expect(await search(into.caseId, 'yongding')).toEqual([]);
    // Merged: the case it joined; merged in turn, the case they both joined.
    await act(merged.caseId, 'merge', as('xinluo'), { intoCaseId: into.caseId, reason: '同一件事' });
    expect(await search(merged.caseId)).toEqual([into.caseId]);
    await act(into.caseId, 'merge', as('xinluo'), { intoCaseId: last.caseId, reason: '同一件事' });
    expect(await search(merged.caseId)).toEqual([last.caseId]);
    expect(await search(merged.caseId.slice(0, 8))).toEqual([last.caseId]);
    expect(await search(into.caseId)).toEqual([last.caseId]);
  });

  it("a caller's other cases: phone= finds the cases whose reports give a party that number, however it is written, after a merge in the case the report joined; within the operator's jurisdiction", async () => {
    const caller = { name: '林某', phone: '13912345678' };
    const hongfang: Town = { county: '350802', town: '350802100', names: ['龙岩市', '新罗区', '红坊镇'] };
    // Two matters of one caller in two Xinluo towns (not repeats of each other), one in Yongding.
    const first = await seedRoutedCase(db, { applicant: caller, receivedAt: '2024-09-01T09:00:00+08:00' });
    const second = await seedRoutedCase(db, {
      place: hongfang,
      applicant: caller,
      content: '红坊镇石材厂拖欠工资三个月',
      receivedAt: '2024-09-02T09:00:00+08:00',
    });
    const yongding = await seedRoutedCase(db, {
      place: towns.xiayang,
      applicant: caller,
      receivedAt: '2024-09-03T09:00:00+08:00',
    });
    // A third caller's case, in the same town.
    const other = await seedRoutedCase(db, {
      applicant: { name: '王某', phone: '13987654321' },
      receivedAt: '2024-09-04T09:00:00+08:00',
    });
    const search = async (query: string, who = 'xinluo') => {
      const response = await app.inject({ url: `/v1/cases?${query}`, headers: as(who) });
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as { items: { caseId: string }[]; nextCursor: string | null };
    };
    const byPhone = async (phone: string, who = 'xinluo', more = '') =>
      (await search(`phone=${encodeURIComponent(phone)}${more}`, who)).items.map((item) => item.caseId);
    for (const phone of [
      '13912345678',
      '139 1234 5678',
      '+86-139-1234-5678',
      '0086 139.1234.5678',
      '１３９１２３４５６７８',
    ]) {
      expect(await byPhone(phone), phone).toEqual([second.caseId, first.caseId]);
    }
    expect(await byPhone('13987654321')).toEqual([other.caseId]);
    // Another county's operator finds only that county's case of the caller; the city finds all three.
    expect(await byPhone('139 1234 5678', 'yongding')).toEqual([yongding.caseId]);
    expect(await byPhone('139 1234 5678', 'city')).toEqual([yongding.caseId, second.caseId, first.caseId]);
    // With the other filters, page by page, and in the export.
    expect(await byPhone('13912345678', 'xinluo', '&place=350802107')).toEqual([first.caseId]);
    expect(await byPhone('13912345678', 'xinluo', '&sort=oldest')).toEqual([first.caseId, second.caseId]);
    const page = await search('phone=13912345678&limit=1');
    expect(page.items.map((item) => item.caseId)).toEqual([second.caseId]);
    const next = await search(`phone=13912345678&limit=1&cursor=${page.nextCursor}`);
    expect(next).toEqual({ items: [expect.objectContaining({ caseId: first.caseId })], nextCursor: null });
    const exported = await app.inject({
      url: '/v1/cases/export.csv?phone=139-1234-5678',
      headers: as('xinluo'),
    });
    expect(exported.statusCode, exported.body).toBe(200);
    const [, ...rows] = exported.body.trim().split('\r\n');
    expect(rows.map((row) => row.split(',')[0])).toEqual([second.caseId, first.caseId]);
    // The caller's second report merged into the third caller's case: found in the case it joined.
    await act(second.caseId, 'merge', as('xinluo'), { intoCaseId: other.caseId, reason: '同一件事' });
    expect(await byPhone('+86 139 1234 5678')).toEqual([other.caseId, first.caseId]);
    // Not a phone number: a 400 naming it, not an empty list.
    const name = await app.inject({
      url: `/v1/cases?phone=${encodeURIComponent('林某')}`,
      headers: as('xinluo'),
    });
    expect(name.statusCode).toBe(400);
    expect(name.json().error.fields).toEqual([
      { field: 'phone', reason: expect.stringContaining('phone number') },
    ]);
  });

  it("an agency's search by a party's phone is a 400 naming phone, the lead's too: its copies give a phone to the lead alone, case by case", async () => {
    const { caseId } = await seedRoutedCase(db, { applicant: { name: '陈某', phone: '13755556666' } });
    const agency = { 'x-api-key': 'key-jiangshan' };
    for (const query of ['phone=13755556666', 'phone=137%205555%206666&status=assigned']) {
      const refused = await app.inject({ url: `/v1/cases?${query}`, headers: agency });
      expect(refused.statusCode, query).toBe(400);
      expect(refused.json().error).toMatchObject({
        code: 'invalid_request',
        fields: [
          { field: 'phone', reason: expect.stringContaining("an agency cannot search by a party's phone") },
        ],
      });
    }
    // With a mobile in q as well, both are named.
    const both = await app.inject({ url: '/v1/cases?phone=13755556666&q=13755556666', headers: agency });
    expect(both.json().error.fields.map((f: { field: string }) => f.field)).toEqual(['q', 'phone']);
    // An operator's search finds it by the phone.
    const operator = await app.inject({ url: '/v1/cases?phone=13755556666', headers: as('xinluo') });
    expect(operator.json().items.map((item: { caseId: string }) => item.caseId)).toEqual([caseId]);
  });

  it('a case merged meanwhile is not lost: reading it says where it went, acting on it points there', async () => {
    const into = await seedRoutedCase(db);
    const merged = await seedRoutedCase(db, { receivedAt: '2024-08-26T10:00:00+08:00' });
    await act(merged.caseId, 'merge', as('city'), { intoCaseId: into.caseId, reason: '同一件事' });
    // Another operator, whose screen still shows the merged case, adds a note.
    const note = await act(merged.caseId, 'notes', as('xinluo'), { note: '已电话回访' });
    expect(note.statusCode, note.body).toBe(409);
    expect(note.json().error).toMatchObject({ code: 'merged', details: { mergedInto: into.caseId } });
    const read = await app.inject({ url: `/v1/cases/${merged.caseId}`, headers: as('xinluo') });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({ mergedInto: into.caseId, allowedActions: [] });
    expect(read.json().history.at(-1)).toMatchObject({ type: 'merged', detail: { into: into.caseId } });
    // Still none of another county's business.
    const hidden = await app.inject({ url: `/v1/cases/${merged.caseId}`, headers: as('yongding') });
    expect(hidden.statusCode).toBe(404);
  });

  it("an operator's merge withdraws the merged case from its departments on their agency topics, pointed at the case it joined, as a repeat's fold does", async () => {
    const police = {
      code: '350803104-police_station',
      kind: 'police_station' as const,
      name: '下洋派出所',
      divisionCode: '350803104',
    };
    const into = await seedRoutedCase(db);
    const merged = await seedRoutedCase(db, {
      place: towns.xiayang,
      content: '下洋镇水库大坝的工钱一直没有结清',
      receivedAt: '2024-08-25T10:00:00+08:00',
      coHandlers: [police],
    });
    const held = await db.assignment.findMany({ where: { caseId: merged.caseId } });
    const dueOf = (code: string) => held.find((a) => a.departmentCode === code)!.dueAt.toISOString();
    const response = await act(merged.caseId, 'merge', as('city'), {
      intoCaseId: into.caseId,
      reason: '同一件事',
    });
    expect(response.statusCode, response.body).toBe(200);

    const copies = await db.outboxEvent.findMany({
      where: { eventName: 'agency.assignment.v1', key: merged.disputeId },
      orderBy: { id: 'asc' },
    });
    const judicial = {
      code: '350803104-judicial_office',
      kind: 'judicial_office',
      name: '下洋镇司法所',
      divisionCode: '350803104',
    };
    const copy = (department: typeof judicial, partner: { code: string; name: string; role: string }) => ({
      disputeId: merged.disputeId,
      version: 1,
      action: 'withdrawn',
      role: null,
      department,
      partners: [partner],
      category: 'labor',
      severity: 'normal',
      place: { divisionCode: '350803104', names: ['龙岩市', '永定区', '下洋镇'] },
      dueAt: dueOf(department.code),
      expressLane: null,
      channel: 'wechat',
      receivedAt: '2024-08-25T10:00:00+08:00',
      content: '下洋镇水库大坝的工钱一直没有结清',
      mergedInto: { caseId: into.caseId, disputeId: into.disputeId },
    });
    expect(copies.map((row) => [row.topic, row.data])).toEqual([
      [
        `agency.${judicial.code}.assignment.v1`,
        copy(judicial, { code: police.code, name: police.name, role: 'co' }),
      ],
      [
        `agency.${police.code}.assignment.v1`,
        copy(police, { code: judicial.code, name: judicial.name, role: 'lead' }),
      ],
    ]);
    for (const row of copies) AgencyAssignmentV1.parse(row.data);
  });

  it("an agency reading a case gets the citizen's contact only as the lead, never a confidential caller's", async () => {
    await issueAgencyKey(db, 'key-police', police);
    const seeded = new Map<string, string>();
    const seed = async (applicant: { name: string; phone: string; confidential?: boolean }) => {
      const { caseId, disputeId } = await seedRoutedCase(db, { applicant, coHandlers: [police] });
      seeded.set(caseId, disputeId);
      return caseId;
    };
    const partiesAs = async (caseId: string, key: string) =>
      (await app.inject({ url: `/v1/cases/${caseId}`, headers: { 'x-api-key': key } })).json().parties;

    // 12345 保密: the caller's identity stays with the platform, the lead included.
    const secret = await seed({ name: '王某', phone: '13600001111', confidential: true });
    expect(await partiesAs(secret, 'key-jiangshan')).toEqual([
      { role: 'applicant', kind: 'person', name: null, phone: null },
    ]);
    // Only the lead calls the citizen back: a co-handler gets the matter, not the phone number.
    const open = await seed({ name: '李某', phone: '13600002222' });
    expect((await partiesAs(open, 'key-jiangshan'))[0]).toMatchObject({ phone: '13600002222' });
    expect((await partiesAs(open, 'key-police'))[0]).toMatchObject({ phone: null });
    // Operators of the jurisdiction see what the platform keeps, and that the caller asked for
    // 保密: an operator forwarding the case or phoning the other side is warned.
    const partiesToOperator = async (caseId: string) =>
      (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json().parties;
    expect(await partiesToOperator(secret)).toEqual([
      { role: 'applicant', kind: 'person', name: '王某', phone: '13600001111', confidential: true },
    ]);
    expect(await partiesToOperator(open)).toEqual([
      { role: 'applicant', kind: 'person', name: '李某', phone: '13600002222' },
    ]);
    // The channel sends the report again, naming the caller otherwise (a 催办, a corrected name):
    // the party rows are the first revision's, the intake the latest; still 保密.
    const disputeId = seeded.get(secret)!;
    const first = (await db.report.findUniqueOrThrow({ where: { disputeId } }))
      .intake as unknown as DisputeReceivedV1;
    await recordIntake(db, {
      ...first,
      revision: 2,
      parties: [
        { role: 'applicant', kind: 'person', name: '王建国', phone: '13600001111', confidential: true },
      ],
    });
    for (const key of ['key-jiangshan', 'key-police']) {
      const seen = JSON.stringify(await partiesAs(secret, key));
      expect(seen).not.toContain('王某');
      expect(seen).not.toContain('13600001111');
    }
  });

  it('an agency reads the numbers typed into a report as its copies quote them: never an ID-card number, a mobile only as the lead', async () => {
    await issueAgencyKey(db, 'key-police-reads', police);
    const content =
      '我叫张三，身份证号350802198502021235，电话13511112222，在江山镇被邻居王五（身份证350803197703031239）打伤…';
    // Two callers (a report of the same phone would join the first case as a repeat).
    const seed = async (confidential: boolean) =>
      (
        await seedRoutedCase(db, {
          applicant: { name: '张三', phone: confidential ? '13722223333' : '13511112222', confidential },
          content,
          coHandlers: [police],
        })
      ).caseId;
    const contentAs = async (caseId: string, headers: Record<string, string>) =>
      (await app.inject({ url: `/v1/cases/${caseId}`, headers })).json().reports[0].content;
    const masked = '我叫张三，身份证号[身份证号]，电话[手机号]，在江山镇被邻居王五（身份证[身份证号]）打伤…';

    const open = await seed(false);
    expect(await contentAs(open, { 'x-api-key': 'key-jiangshan' })).toBe(
      '我叫张三，身份证号[身份证号]，电话13511112222，在江山镇被邻居王五（身份证[身份证号]）打伤…',
    );
    expect(await contentAs(open, { 'x-api-key': 'key-police-reads' })).toBe(masked);
    // 12345 保密: not even the lead reads the phone in the text, nor the caller's name.
    expect(await contentAs(await seed(true), { 'x-api-key': 'key-jiangshan' })).toBe(
      masked.replace('我叫张三', '我叫[保密当事人]'),
    );
    // Operators of the jurisdiction read what the citizen said; asked for a screen others see, as an
    // agency that is not the lead, with no party's phone.
    expect(await contentAs(open, as('xinluo'))).toBe(content);
    const onScreen = (
      await app.inject({ url: `/v1/cases/${open}?text=masked`, headers: as('xinluo') })
    ).json();
    expect(onScreen.reports[0].content).toBe(masked);
    expect(onScreen.parties.map((party: { phone: string | null }) => party.phone)).toEqual([null]);
    const unknownQuery = await app.inject({ url: `/v1/cases/${open}?text=plain`, headers: as('xinluo') });
    expect(unknownQuery.statusCode).toBe(400);
    expect(unknownQuery.json().error.fields).toEqual([expect.objectContaining({ field: 'text' })]);
    // Revised later: operators read in the history what it said before; an agency reads only that
    // it changed (the report as it reads now, masked as above).
    const { intake } = await db.report.findFirstOrThrow({ where: { caseId: open } });
    await recordIntake(db, { ...(intake as unknown as DisputeReceivedV1), revision: 2, content: '已和解' });
    const updateAs = async (headers: Record<string, string>) =>
      (await app.inject({ url: `/v1/cases/${open}`, headers }))
        .json()
        .history.find((entry: { type: string }) => entry.type === 'report_updated').detail;
    expect(await updateAs(as('xinluo'))).toMatchObject({ changed: ['content'], previous: { content } });
    const agencyReads = await updateAs({ 'x-api-key': 'key-police-reads' });
    expect(agencyReads).toMatchObject({ changed: ['content'] });
    expect(agencyReads).not.toHaveProperty('previous');
    expect(
      (await app.inject({ url: `/v1/cases/${open}?text=masked`, headers: as('xinluo') }))
        .json()
        .history.find((entry: { type: string }) => entry.type === 'report_updated').detail,
    ).not.toHaveProperty('previous');
  });

  it("an agency reads a confidential (保密) party's name typed into the title and the report as [保密当事人], lead or not, in the case and in its list; also the name an earlier revision gave", async () => {
    await issueAgencyKey(db, 'key-police-names', police);
    const { caseId, disputeId } = await seedRoutedCase(db, {
      applicant: { name: '郭建华', phone: '13700004444', confidential: true },
      title: '郭建华反映包工头王某欠薪',
      content: '我叫郭建华，在江山镇修水库大坝，包工头王某欠我3800元',
      coHandlers: [police],
    });
    const agencies = [{ 'x-api-key': 'key-jiangshan' }, { 'x-api-key': 'key-police-names' }];
    const readAs = async (headers: Record<string, string>) => {
      const read = (await app.inject({ url: `/v1/cases/${caseId}`, headers })).json();
      const listed = (await app.inject({ url: `/v1/cases?ref=${caseId.slice(0, 8)}`, headers })).json().items;
      return {
        title: read.title,
        content: read.reports[0].content,
        listed: listed.map((item: { title: string }) => item.title),
      };
    };
    for (const headers of agencies) {
      expect(await readAs(headers)).toEqual({
        title: '[保密当事人]反映包工头王某欠薪',
        content: '我叫[保密当事人]，在江山镇修水库大坝，包工头王某欠我3800元',
        listed: ['[保密当事人]反映包工头王某欠薪'],
      });
    }
    // Operators of the jurisdiction read what the citizen said.
    expect(await readAs(as('xinluo'))).toEqual({
      title: '郭建华反映包工头王某欠薪',
      content: '我叫郭建华，在江山镇修水库大坝，包工头王某欠我3800元',
      listed: ['郭建华反映包工头王某欠薪'],
    });
    // A revision corrects the name: the case keeps its first title, which names the caller as the
    // party row does; both names stay the platform's.
    const first = (await db.report.findUniqueOrThrow({ where: { disputeId } }))
      .intake as unknown as DisputeReceivedV1;
    await recordIntake(db, {
      ...first,
      revision: 2,
      content: '我叫郭建中（上次名字登记错了），包工头王某还是不给钱',
      parties: [
        { role: 'applicant', kind: 'person', name: '郭建中', phone: '13700004444', confidential: true },
      ],
    });
    for (const headers of agencies) {
      expect(await readAs(headers)).toEqual({
        title: '[保密当事人]反映包工头王某欠薪',
        content: '我叫[保密当事人]（上次名字登记错了），包工头王某还是不给钱',
        listed: ['[保密当事人]反映包工头王某欠薪'],
      });
    }
  });

  it("an agency reads a confidential (保密) caller's name in a case's title as [保密当事人] after the caller's report left the case: merged into another, or detached", async () => {
    const agency = { 'x-api-key': 'key-jiangshan' };
    // The list by the day the report was received: a case number (ref) answers as the case merged into.
    const titleAs = async (caseId: string, day: string, headers: Record<string, string>) => {
      const read = (await app.inject({ url: `/v1/cases/${caseId}`, headers })).json();
      const url = `/v1/cases?createdFrom=${day}&createdTo=${day}&limit=100`;
      const listed = (await app.inject({ url, headers })).json().items;
      return {
        title: read.title,
        listed: listed.flatMap((item: { caseId: string; title: string }) =>
          item.caseId === caseId ? [item.title] : [],
        ),
      };
    };
    const confidentialCase = (day: string) =>
      seedRoutedCase(db, {
        applicant: { name: '郭建华', phone: `137${Math.floor(Math.random() * 1e8)}`, confidential: true },
        title: '郭建华反映王老板拖欠工资',
        content: '我叫郭建华，王老板拖欠我工资',
        receivedAt: `${day}T10:00:00+08:00`,
      });
    const masked = { title: '[保密当事人]反映王老板拖欠工资', listed: ['[保密当事人]反映王老板拖欠工资'] };
    // Merged: the case keeps its title, its report is now the other case's.
    const merged = await confidentialCase('2023-03-14');
    const into = await seedRoutedCase(db);
    const merge = await act(merged.caseId, 'merge', as('city'), {
      intoCaseId: into.caseId,
      reason: '同一件事',
    });
    expect(merge.statusCode, merge.body).toBe(200);
    // (A merged case is in no list: it answers as the case it joined.)
    expect(await titleAs(merged.caseId, '2023-03-14', agency)).toEqual({ title: masked.title, listed: [] });
    // Detached: the case keeps the title its first report gave it, the report is a case of its own.
    const kept = await confidentialCase('2023-03-15');
    const other = await seedRoutedCase(db);
    expect(
      (await act(other.caseId, 'merge', as('city'), { intoCaseId: kept.caseId, reason: '同一件事' }))
        .statusCode,
    ).toBe(200);
    const detach = await act(kept.caseId, 'detach', as('xinluo'), {
      disputeId: kept.disputeId,
      reason: '不是同一件事',
    });
    expect(detach.statusCode, detach.body).toBe(200);
    expect(await titleAs(kept.caseId, '2023-03-15', agency)).toEqual(masked);
    // Operators read what the citizen said.
    expect((await titleAs(kept.caseId, '2023-03-15', as('xinluo'))).title).toBe('郭建华反映王老板拖欠工资');
  });

  it("an agency reads the words written into a case (notes, progress, reasons, the outcome's summary) as it reads the report: a confidential (保密) party's name and an ID-card number never, a mobile only as the lead of a case with no confidential party; operators verbatim", async () => {
    await issueAgencyKey(db, 'key-police-history', police);
    const lead = { 'x-api-key': 'key-jiangshan' };
    const co = { 'x-api-key': 'key-police-history' };
    const said = '来电人郭建华要求保密，回拨13600001111，身份证350802198501011234';
    const readAs = async (caseId: string, headers: Record<string, string>) => {
      const read = (await app.inject({ url: `/v1/cases/${caseId}`, headers })).json();
      const entry = (type: string) =>
        read.history.find((h: { type: string; detail: { reason?: string } }) => h.type === type)?.detail;
      return { read, entry };
    };

    // 12345 保密: the caller's name, as well as the numbers, stays with the platform.
    const { caseId } = await seedRoutedCase(db, {
      applicant: { name: '郭建华', phone: '13700005555', confidential: true },
      content: '我叫郭建华，在江山镇修水库，包工头欠我工钱',
      coHandlers: [police],
    });
    const done = async (response: Promise<{ statusCode: number; body: string }>) => {
      const { statusCode, body } = await response;
      expect(statusCode, body).toBeLessThan(300);
    };
    await done(act(caseId, 'notes', as('xinluo'), { note: said }));
    await done(act(caseId, 'escalate', as('xinluo'), { level: 'township', reason: said }));
    await done(act(caseId, 'correct', as('xinluo'), { category: 'contract', reason: said }));
    await done(act(caseId, 'accept', lead));
    await done(act(caseId, 'progress', lead, { note: said }));
    await done(act(caseId, 'outcome', lead, { kind: 'mediated', summary: said, amount: 3800 }));
    // What notify needs to tell the departments, the hotline and a court the summary as read here.
    const ended = await db.outboxEvent.findFirstOrThrow({
      where: { eventName: 'case.status.v1', key: caseId, data: { path: ['status'], equals: 'resolved' } },
    });
    expect(ended.data).toMatchObject({ confidentiality: { asked: true, names: ['郭建华'] } });
    const wordsAs = async (headers: Record<string, string>) => {
      const { read, entry } = await readAs(caseId, headers);
      return {
        note: entry('note').note,
        escalated: read.history.find((h: { detail: { reason?: string } }) => h.detail.reason === 'manual')
          .detail.detail,
        corrected: entry('corrected').reason,
        progress: entry('mediating').note,
        resolved: entry('resolved').outcome.summary,
        outcome: read.outcome.summary,
        everything: JSON.stringify(read),
      };
    };
    const masked = '来电人[保密当事人]要求保密，回拨[手机号]，身份证[身份证号]';
    for (const headers of [lead, co]) {
      const { everything, ...words } = await wordsAs(headers);
      expect(words, headers['x-api-key']).toEqual({
        note: masked,
        escalated: masked,
        corrected: masked,
        progress: masked,
        resolved: masked,
        outcome: masked,
      });
      for (const secret of ['郭建华', '13600001111', '350802198501011234'])
        expect(everything, headers['x-api-key']).not.toContain(secret);
    }
    const { everything: _, ...toOperator } = await wordsAs(as('xinluo'));
    expect(toOperator).toEqual({
      note: said,
      escalated: said,
      corrected: said,
      progress: said,
      resolved: said,
      outcome: said,
    });

    // No confidential party: the lead reads the mobile in a note as in the report; a co-handler
    // does not; nobody the ID-card number. A merge's reason likewise.
    const open = await seedRoutedCase(db, {
      applicant: { name: '李某', phone: '13700006666' },
      coHandlers: [police],
    });
    await done(act(open.caseId, 'notes', lead, { note: '回拨13600001111，身份证350802198501011234' }));
    expect((await readAs(open.caseId, lead)).entry('note').note).toBe('回拨13600001111，身份证[身份证号]');
    expect((await readAs(open.caseId, co)).entry('note').note).toBe('回拨[手机号]，身份证[身份证号]');
    expect((await readAs(open.caseId, as('xinluo'))).entry('note').note).toBe(
      '回拨13600001111，身份证350802198501011234',
    );
    const into = await seedRoutedCase(db, { coHandlers: [police] });
    await done(
      act(open.caseId, 'merge', as('city'), { intoCaseId: into.caseId, reason: '同一人，电话13600001111' }),
    );
    expect((await readAs(open.caseId, co)).entry('merged').reason).toBe(
      'merged by hand: 同一人，电话[手机号]',
    );
  });

  it("a co-handling agency cannot accept the case or record its outcome, which are the lead's; it may add notes and progress", async () => {
    const office = departments.governanceOffice;
    await issueAgencyKey(db, 'key-co-handler', office);
    const { caseId } = await seedRoutedCase(db, { coHandlers: [office] });
    const co = { 'x-api-key': 'key-co-handler' };
    expect((await app.inject({ url: `/v1/cases/${caseId}`, headers: co })).statusCode).toBe(200);
    const accept = await act(caseId, 'accept', co);
    expect(accept.statusCode, accept.body).toBe(403);
    expect((await act(caseId, 'notes', co, { note: '已联系村委' })).statusCode).toBe(200);
    expect((await act(caseId, 'accept', { 'x-api-key': 'key-jiangshan' })).statusCode).toBe(200);
    expect((await act(caseId, 'progress', co, { note: '协助调查' })).statusCode).toBe(200);
    const outcome = await act(caseId, 'outcome', co, { kind: 'mediated', summary: '已调解', amount: 1 });
    expect(outcome.statusCode, outcome.body).toBe(403);
    expect(Object.keys(outcome.json())).toEqual(['error']);
    const after = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json();
    // Its progress is progress: the mediation is the lead's to start.
    expect(after.status).toBe('accepted');
    expect(after.outcome).toBeNull();
  });

  it("a co-handler's progress is recorded as progress, and the case stays accepted until the lead (or an operator) reports: mediating is the lead's", async () => {
    // The integrator's reproduction: 江山镇司法所 leads Guo's case, 新罗区劳动保障监察大队 co-handles.
    const inspection = departments.labourInspection;
    await issueAgencyKey(db, 'key-labor-inspection', inspection);
    const co = { 'x-api-key': 'key-labor-inspection' };
    const leadKey = { 'x-api-key': 'key-jiangshan' };
    // A day no other case of this file was received on, so the statistics of that day are this case's.
    const day = '2022-11-17';
    const { caseId } = await seedRoutedCase(db, {
      coHandlers: [inspection],
      receivedAt: `${day}T10:00:00+08:00`,
    });
    const statuses = async () =>
      Object.fromEntries(
        (
          await app.inject({
            url: `/v1/stats/breakdown?by=status&place=350802107&from=${day}&to=${day}`,
            headers: as('xinluo'),
          })
        )
          .json()
          .rows.filter((row: { received: number }) => row.received > 0)
          .map((row: { key: string; received: number }) => [row.key, row.received]),
      );
    expect((await act(caseId, 'accept', leadKey)).statusCode).toBe(200);

    const progress = await act(caseId, 'progress', co, { note: '已约谈用人单位' });
    expect(progress.statusCode, progress.body).toBe(200);
    expect(progress.json()).toMatchObject({
      status: 'accepted',
      allowedActions: ['add_note', 'record_progress'],
    });
    const read = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json();
    expect(read.status).toBe('accepted');
    expect(read.history.at(-1)).toMatchObject({
      type: 'progress',
      actor: `agency:${inspection.code}`,
      detail: { note: '已约谈用人单位' },
    });
    // The lead reads the co-handler's progress, as every progress is read.
    const toLead = (await app.inject({ url: `/v1/cases/${caseId}`, headers: leadKey })).json();
    expect(toLead.history.at(-1)).toMatchObject({ type: 'progress', actor: `agency:${inspection.code}` });
    // Nobody is told the case is mediating, and the statistics do not count it so.
    const announced = async () =>
      (
        await db.outboxEvent.findMany({
          where: { key: caseId, eventName: 'case.status.v1' },
          orderBy: { id: 'asc' },
        })
      ).map((row) => (row.data as { status: string }).status);
    expect(await announced()).toEqual(['received', 'assigned', 'accepted']);
    expect(await statuses()).toEqual({ accepted: 1 });

    // The lead's first progress starts the mediation; the co-handler's later one is progress again.
    const started = await act(caseId, 'progress', leadKey, { note: '已联系老板' });
    expect(started.json()).toMatchObject({ status: 'mediating' });
    expect((await act(caseId, 'progress', co, { note: '监察大队已立案' })).json()).toMatchObject({
      status: 'mediating',
    });
    const history = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json().history;
    expect(history.slice(-3).map((h: { type: string; actor: string }) => `${h.type} ${h.actor}`)).toEqual([
      `progress agency:${inspection.code}`,
      `mediating agency:${lead.code}`,
      `progress agency:${inspection.code}`,
    ]);
    expect(await announced()).toEqual(['received', 'assigned', 'accepted', 'mediating']);
    expect(await statuses()).toEqual({ mediating: 1 });

    // An operator reports for the lead: that starts the mediation too.
    const other = await seedRoutedCase(db, { coHandlers: [inspection] });
    expect((await act(other.caseId, 'accept', leadKey)).statusCode).toBe(200);
    expect((await act(other.caseId, 'progress', as('xinluo'), { note: '电话督办' })).json()).toMatchObject({
      status: 'mediating',
    });
  });

  it('corrections add up, and a 催办 on the report routing decided on routes the case again, keeping them', async () => {
    const { caseId, disputeId } = await seedRoutedCase(db);
    const correctionsOf = async () =>
      (
        await db.outboxEvent.findMany({
          where: { eventName: 'case.correction.v1', key: disputeId },
          orderBy: { id: 'asc' },
        })
      ).map(
        (row) => row.data as { version: number; dispute: DisputeReceivedV1; corrected: object; by: string },
      );
    const correct = async (payload: object) => {
      expect((await act(caseId, 'correct', as('xinluo'), payload)).statusCode).toBe(202);
      await routeAsCorrected((await correctionsOf()).at(-1)!);
    };
    await correct({ divisionCode: '350802001', reason: '实际发生在东城街道' });
    await correct({ category: 'contract', reason: '实为合同纠纷' });
    // The second correction kept the first one's place.
    expect(
      (await correctionsOf()).map(({ version, dispute, corrected }) => [
        version,
        dispute.location.divisionCode,
        dispute.category ?? null,
        corrected,
      ]),
    ).toEqual([
      [2, '350802001', null, { divisionCode: '350802001' }],
      [3, '350802001', 'contract', { divisionCode: '350802001', category: 'contract' }],
    ]);

    // The applicant presses again: the report's next revision, with its reminder.
    const report = await db.report.findUniqueOrThrow({ where: { disputeId } });
    const first = report.intake as unknown as DisputeReceivedV1;
    await recordIntake(db, { ...first, revision: 2, hotline: { reminder: { count: 1 } } });
    const asked = (await correctionsOf()).at(-1)!;
    expect(asked).toMatchObject({
      version: 4,
      by: 'channel:wechat',
      corrected: { divisionCode: '350802001', category: 'contract' },
      dispute: { revision: 2, category: 'contract', hotline: { reminder: { count: 1 } } },
    });
    await routeAsCorrected(asked);
    const after = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json();
    expect(after.routingVersion).toBe(4);
    expect(after.history.map((entry: { type: string }) => entry.type)).toContain('reminder');
    // A second delivery of the same revision asks nothing more.
    await recordIntake(db, { ...first, revision: 2, hotline: { reminder: { count: 1 } } });
    expect(await correctionsOf()).toHaveLength(3);
    // Two corrections before routing answers the first: the second asks the version after it
    // (the same version would be dropped as a redelivery of the first answer).
    expect(
      (await act(caseId, 'correct', as('xinluo'), { divisionCode: '350802107', reason: '核实' })).statusCode,
    ).toBe(202);
    expect(
      (await act(caseId, 'correct', as('xinluo'), { category: 'labor', reason: '核实' })).statusCode,
    ).toBe(202);
    expect(
      (await correctionsOf())
        .slice(-2)
        .map(({ version, dispute }) => [version, dispute.location.divisionCode, dispute.category]),
    ).toEqual([
      [5, '350802107', 'contract'],
      [6, '350802107', 'labor'],
    ]);
  });

  /** What the case asked routing, newest last, for any of its reports. */
  const correctionsFor = async (caseId: string) =>
    (await db.outboxEvent.findMany({ where: { eventName: 'case.correction.v1' }, orderBy: { id: 'asc' } }))
      .map((row) => row.data as { caseId: string; version: number; dispute: DisputeReceivedV1 })
      .filter((correction) => correction.caseId === caseId);
  const hotlineOrder = (phone: string): DisputeReceivedV1 => ({
    disputeId: randomUUID(),
    channel: 'hotline_12345',
    sourceRef: `GD-${randomUUID()}`,
    revision: 1,
    receivedAt: new Date().toISOString(),
    content: '江山镇水库大坝的工钱一直没有结清',
    location: { divisionCode: towns.jiangshan.town },
    parties: [{ role: 'caller', kind: 'person', name: '郭某', phone }],
    attachments: [],
  });

  it('a 催办 that comes before routing answers the first revision routes the case again, once routing has answered', async () => {
    const order = hotlineOrder(`137${Math.floor(Math.random() * 1e8)}`);
    const pressed = { ...order, revision: 2, hotline: { reminder: { count: 1 } } };
    await recordIntake(db, order);
    await recordIntake(db, pressed);
    await recordAssignment(db, decisionFor(order));
    const caseId = (await db.report.findUniqueOrThrow({ where: { disputeId: order.disputeId } })).caseId;
    const asked = await correctionsFor(caseId);
    expect(asked.map(({ version, dispute }) => [version, dispute.revision])).toEqual([[2, 2]]);
    await routeAsCorrected(asked[0]!);
    expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).routingVersion).toBe(2);
    // Routing's answer to the revision itself, a redelivery of version 1 now, asks nothing more.
    await recordAssignment(db, decisionFor(pressed));
    expect(await correctionsFor(caseId)).toHaveLength(1);

    // Routing saw the 催办 first: its one decision is on the latest revision already.
    const other = hotlineOrder(`137${Math.floor(Math.random() * 1e8)}`);
    await recordIntake(db, other);
    await recordIntake(db, { ...other, revision: 2, hotline: { reminder: { count: 1 } } });
    await recordAssignment(db, decisionFor({ ...other, revision: 2, hotline: { reminder: { count: 1 } } }));
    const otherCase = (await db.report.findUniqueOrThrow({ where: { disputeId: other.disputeId } })).caseId;
    expect(await correctionsFor(otherCase)).toEqual([]);
  });

  it("a repeat's history says the caller is the same, and names no digit of the caller's number", async () => {
    const phone = `136${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const first = hotlineOrder(phone);
    const again = hotlineOrder(phone);
    for (const order of [first, again]) {
      await recordIntake(db, order);
      await recordAssignment(db, decisionFor(order));
    }
    const caseId = caseIdFor(first.disputeId);
    const detail = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json();
    const attached = detail.history.find((entry: { type: string }) => entry.type === 'repeat_attached');
    expect(attached.detail.reason).toBe('same caller, same category (labor) and place');
    // The history is shown to every department on the case, not only to whom may call back. Its
    // ids, times and the channel's name (hotline_12345) hold digits too: four of the number's could
    // be among them by chance.
    const words = JSON.stringify(detail.history)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>')
      .replace(/(?<![0-9])12345(?![0-9])/g, '<hotline>');
    expect(words).not.toContain(phone.slice(-4));
  });

  it("a 催办 on a repeat report is kept in the case's history, and does not re-route the case on that caller's words", async () => {
    const phone = `136${Math.floor(Math.random() * 1e8)}`;
    const first = hotlineOrder(phone);
    await recordIntake(db, first);
    await recordAssignment(db, decisionFor(first));
    // The same caller calls again under a new work order: it joins the case as a repeat.
    const again = hotlineOrder(phone);
    await recordIntake(db, again);
    await recordAssignment(db, decisionFor(again));
    const caseId = caseIdFor(first.disputeId);
    expect((await db.report.findUniqueOrThrow({ where: { disputeId: again.disputeId } })).caseId).toBe(
      caseId,
    );

    await recordIntake(db, { ...again, revision: 2, hotline: { reminder: { count: 1 } } });
    expect(await correctionsFor(caseId)).toEqual([]);
    const detail = (await app.inject({ url: `/v1/cases/${caseId}`, headers: as('xinluo') })).json();
    expect(detail.routingVersion).toBe(1);
    expect(detail.history.map((entry: { type: string }) => entry.type)).toContain('reminder');
  });

  it('overdue work past the first batch still gets its reminder: cases already at their stage do not fill the batch', async () => {
    // Three cases overdue long before any other of this file's; a batch of two stands for the
    // sweeper's 200 when more than 200 cases are overdue (a busy county after a holiday).
    const ids = [await seedGuoCase(db), await seedGuoCase(db), await seedGuoCase(db)];
    for (const [n, id] of ids.entries()) {
      await db.case.update({ where: { id }, data: { dueAt: new Date(`2020-01-0${n + 1}T09:00:00+08:00`) } });
    }
    const now = new Date('2020-01-03T12:00:00+08:00');
    const day = 24 * 3600 * 1000;
    await sweepOverdue(db, now, 3 * day, 2);
    await sweepOverdue(db, now, 3 * day, 2);
    const reminded = await db.historyEntry.findMany({
      where: { caseId: { in: ids }, type: 'sla_reminder' },
      select: { caseId: true },
    });
    expect(reminded.map((entry) => entry.caseId).sort()).toEqual([...ids].sort());
  });
});
