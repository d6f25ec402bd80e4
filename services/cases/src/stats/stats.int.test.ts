import { randomUUID } from 'node:crypto';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detachReport, mergeCases } from '../actions/reshape-case.ts';
import { caseIdFor } from '../consumers/open-case.ts';
import { recordAssignment, recordIntake } from '../consumers/record-events.ts';
import { decisionFor, towns as routedTowns, seedRoutedCase } from '../consumers/routed-case-fixtures.ts';
import { caseTransaction, touchCase, touchCases } from '../db/case-transaction.ts';
import type { CasesDb } from '../db/prisma.ts';
import type { Actor } from '../http/actor.ts';
import type { Tx } from '../outbox/outbox.ts';
import { insertCases, readSideApp, towns } from '../search/case-fixtures.ts';
import { addDays, localDay } from '../search/local-time.ts';
import { foldPendingStats } from './fold.ts';
import { rebuildCaseStats, statisticsSnapshot } from './rollup.ts';

const servers = await requireServers('postgres');

const at = (iso: string) => new Date(iso);
const day = 86_400_000;
const jo = (town: { town: string }, name: string) => ({
  code: `${town.town}-judicial_office`,
  kind: 'judicial_office',
  name,
});

describe.runIf(servers)('statistics on PostgreSQL', () => {
  let app: FastifyInstance;
  let db: CasesDb;
  let tokenFor: (scope: string) => string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // The tests fold the pending changes themselves (foldPendingStats), to read both sides of a fold.
    ({ app, db, tokenFor, close } = await readSideApp(servers!.databaseUrl!, {
      statsFoldIntervalMs: 3_600_000,
    }));
    const now = Date.now();
    await insertCases(db, [
      // ── 新罗区 ──
      {
        // 1. Guo: received 24 Aug, mediated in exactly 3 days.
        ...towns.jiangshan,
        channel: 'wechat',
        status: 'resolved',
        outcomeKind: 'mediated',
        outcomeAmount: 3800,
        createdAt: at('2024-08-24T09:30:00+08:00'),
        resolvedAt: at('2024-08-27T09:30:00+08:00'),
        departments: [jo(towns.jiangshan, '江山镇司法所')],
      },
      {
        // 2. 10 days.
        ...towns.jiangshan,
        status: 'closed',
        outcomeKind: 'mediated',
        createdAt: at('2024-08-05T10:00:00+08:00'),
        resolvedAt: at('2024-08-15T10:00:00+08:00'),
        closedAt: at('2024-08-16T10:00:00+08:00'),
        departments: [jo(towns.jiangshan, '江山镇司法所')],
      },
      {
        // 3. Open, past due, in the township express lane.
        ...towns.hongfang,
        category: 'neighborhood',
        status: 'mediating',
        expressLevel: 'township',
        createdAt: at('2024-08-10T08:00:00+08:00'),
        dueAt: new Date(now - day),
        departments: [jo(towns.hongfang, '红坊镇司法所')],
      },
      {
        // 4. Received in July, ended 2 Aug after 13 days: counts as received in July, ended in August.
        ...towns.hongfang,
        category: 'neighborhood',
        status: 'resolved',
        outcomeKind: 'mediated',
        createdAt: at('2024-07-20T08:00:00+08:00'),
        resolvedAt: at('2024-08-02T08:00:00+08:00'),
      },
      {
        // 5. July: not mediated after 20 days, referred to litigation.
        ...towns.hongfang,
        channel: 'court',
        category: 'contract',
        status: 'unresolved',
        outcomeKind: 'not_mediated',
        createdAt: at('2024-07-05T08:00:00+08:00'),
        resolvedAt: at('2024-07-25T08:00:00+08:00'),
      },
      // ── 永定区 ──
      {
        // 6. Yang: reported three times, county express lane, joint handling.
        ...towns.xiayang,
        category: 'damages',
        status: 'assigned',
        expressLevel: 'county',
        repeatCount: 2,
        createdAt: at('2024-08-20T10:00:00+08:00'),
        dueAt: new Date(now + 5 * day),
        departments: [
          { code: '350803-public_security_bureau', kind: 'public_security_bureau', name: '永定区公安局' },
          { code: '350803-court', kind: 'court', name: '永定区人民法院' },
          jo(towns.xiayang, '下洋镇司法所'),
        ],
      },
      {
        // 7. Withdrawn the next day.
        ...towns.xiayang,
        category: 'damages',
        status: 'unresolved',
        outcomeKind: 'withdrawn',
        createdAt: at('2024-08-21T10:00:00+08:00'),
        resolvedAt: at('2024-08-22T10:00:00+08:00'),
        departments: [jo(towns.xiayang, '下洋镇司法所')],
      },
      {
        // 8. July, mediated in 2 days.
        ...towns.kanshi,
        channel: 'wechat',
        status: 'resolved',
        outcomeKind: 'mediated',
        createdAt: at('2024-07-10T08:00:00+08:00'),
        resolvedAt: at('2024-07-12T08:00:00+08:00'),
      },
      // ── not placed yet ──
      { county: null, category: null, status: 'triage', createdAt: at('2024-08-30T08:00:00+08:00') },
      // ── merged into case 1: counts nowhere ──
      {
        ...towns.jiangshan,
        status: 'assigned',
        createdAt: at('2024-08-25T08:00:00+08:00'),
        mergedIntoId: randomUUID(),
        repeatCount: 5,
      },
      // ── 长汀县: 23:30 on 31 August China time is August; 00:30 on 1 September is not ──
      {
        ...towns.tingzhou,
        category: 'neighborhood',
        status: 'received',
        createdAt: at('2024-08-31T23:30:00+08:00'),
      },
      {
        ...towns.tingzhou,
        category: 'neighborhood',
        status: 'received',
        createdAt: at('2024-09-01T00:30:00+08:00'),
      },
    ]);
    await rebuildCaseStats(db);
  });
  afterAll(async () => close?.());

  async function get(scope: string, url: string) {
    const response = await app.inject({ method: 'GET', url, headers: { authorization: tokenFor(scope) } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }
  const august = 'from=2024-08-01&to=2024-08-31';

  it("the city's August: received, ended, success rate, resolution time, repeats, against July", async () => {
    const body = await get('350800', `/v1/stats/overview?${august}`);
    expect(body.place).toEqual({ code: '350800', level: 'city', name: '龙岩市' });
    expect(body.period).toEqual({ from: '2024-08-01', to: '2024-08-31', days: 31 });
    expect(body.comparison).toEqual({ kind: 'previous', from: '2024-07-01', to: '2024-07-31', days: 31 });
    expect(body.current).toEqual({
      received: 7,
      escalated: 2,
      repeatReports: 2,
      casesWithRepeats: 1,
      repeatRate: 0.2222, // 2 repeated reports of 9 reports
      ended: 4,
      mediated: 3,
      notMediated: 0,
      withdrawn: 1,
      successRate: 0.75,
      averageResolutionDays: 6.75, // (3 + 10 + 13 + 1) / 4
      medianResolutionDays: 6.5, // (3 + 10) / 2
    });
    expect(body.previous).toMatchObject({
      received: 3,
      ended: 2,
      mediated: 1,
      notMediated: 1,
      successRate: 0.5,
      averageResolutionDays: 11,
      medianResolutionDays: 11,
    });
    expect(body.change.received).toEqual({ delta: 4, ratio: 1.3333 });
    expect(body.change.successRate).toEqual({ delta: 0.25, ratio: 0.5 });
    expect(body.expressLane.map((l: { level: string; cases: number }) => [l.level, l.cases])).toEqual([
      ['township', 1],
      ['county', 1],
      ['city', 0],
    ]);
    expect(body.now).toMatchObject({ open: 5, overdue: 1, escalatedOpen: 2 });
    expect(
      Object.fromEntries(
        body.now.openByStatus.map((s: { status: string; cases: number }) => [s.status, s.cases]),
      ),
    ).toEqual({ received: 2, triage: 1, assigned: 1, accepted: 0, mediating: 1 });
  });

  it('year on year compares with August 2023 (nothing then)', async () => {
    const body = await get('350800', `/v1/stats/overview?${august}&compare=year`);
    expect(body.comparison).toMatchObject({ kind: 'year', from: '2023-08-01', to: '2023-08-31' });
    expect(body.previous).toMatchObject({
      received: 0,
      ended: 0,
      successRate: null,
      medianResolutionDays: null,
    });
    expect(body.change.received).toEqual({ delta: 7, ratio: null });
  });

  it("a county sees its own figures; another county's are refused", async () => {
    const xinluo = await get('350802', `/v1/stats/overview?${august}`);
    expect(xinluo.place).toEqual({ code: '350802', level: 'county', name: '新罗区' });
    expect(xinluo.current).toMatchObject({
      received: 3,
      ended: 3,
      mediated: 3,
      successRate: 1,
      averageResolutionDays: 8.67,
      medianResolutionDays: 10,
    });
    expect(xinluo.now).toMatchObject({ open: 1, overdue: 1 });
    const yongding = await get('350803', `/v1/stats/overview?${august}`);
    expect(yongding.current).toMatchObject({
      received: 2,
      ended: 1,
      withdrawn: 1,
      successRate: 0,
      repeatReports: 2,
    });
    for (const url of [
      '/v1/stats/overview?place=350802',
      '/v1/stats/breakdown?by=status&place=350800',
      '/v1/stats/trend?place=350802107',
    ]) {
      const response = await app.inject({
        method: 'GET',
        url,
        headers: { authorization: tokenFor('350803') },
      });
      expect(response.statusCode, url).toBe(403);
    }
  });

  it('by place: the counties add up to the city (the unplaced case shown apart), then drill down to towns', async () => {
    const body = await get('350800', `/v1/stats/breakdown?by=place&${august}`);
    expect(body.level).toBe('county');
    expect(body.total).toMatchObject({ received: 7, ended: 4, mediated: 3 });
    const rows = Object.fromEntries(body.rows.map((row: { key: string }) => [row.key, row]));
    expect(rows['350802']).toMatchObject({
      label: '新罗区',
      received: 3,
      receivedPrevious: 2,
      ended: 3,
      mediated: 3,
      open: 1,
      overdue: 1,
    });
    expect(rows['350803']).toMatchObject({
      label: '永定区',
      received: 2,
      ended: 1,
      mediated: 0,
      successRate: 0,
      open: 1,
      overdue: 0,
    });
    expect(rows['350821']).toMatchObject({ label: '长汀县', received: 1, ended: 0, open: 2 });
    expect(rows['']).toMatchObject({ label: '未落到下一级', received: 1, open: 1 });
    expect(body.rows.reduce((sum: number, row: { received: number }) => sum + row.received, 0)).toBe(7);

    const xinluo = await get('350800', rows['350802'].drillDown);
    expect(xinluo.place.code).toBe('350802');
    expect(xinluo.level).toBe('town');
    expect(
      xinluo.rows.map((row: { key: string; label: string; received: number; ended: number }) => [
        row.key,
        row.label,
        row.received,
        row.ended,
      ]),
    ).toEqual([
      ['350802107', '江山镇', 2, 2],
      ['350802100', '红坊镇', 1, 1],
    ]);
    expect(xinluo.rows[0].drillDown).toBeUndefined();
    // Straight to the towns from the city.
    const towns133 = await get('350800', `/v1/stats/breakdown?by=place&level=town&${august}`);
    expect(towns133.rows.map((row: { key: string }) => row.key)).toEqual(
      expect.arrayContaining(['350802107', '350802100', '350803102', '350821100']),
    );
  });

  it('a breakdown whose rows could hold nothing is a 400 saying why, never 200 with no rows and level null', async () => {
    for (const [scope, url, field, reason] of [
      // A town has no places below it in the statistics (they count down to towns).
      ['350800', '/v1/stats/breakdown?by=place&level=town&place=350802107', 'level', /350802107 is a town/],
      ['350800', '/v1/stats/breakdown?by=place&place=350802107', 'by', /350802107 is a town/],
      // A town's operator, by default its own town.
      ['350802107', '/v1/stats/breakdown?by=place', 'by', /350802107 is a town/],
      [
        '350800',
        '/v1/stats/breakdown?by=place&level=county&place=350802',
        'level',
        /^must be below 350802, a county: town$/,
      ],
      // level is the level of the places' rows: with another dimension it was dropped in silence.
      ['350800', '/v1/stats/breakdown?by=status&level=town', 'level', /^only with by=place/],
    ] as const) {
      const response = await app.inject({ method: 'GET', url, headers: { authorization: tokenFor(scope) } });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error, url).toMatchObject({
        code: 'invalid_request',
        fields: [{ field, reason: expect.stringMatching(reason) }],
      });
    }
    // The same mistake as the search's reversed dates, in the same words.
    const reversed = await app.inject({
      method: 'GET',
      url: '/v1/stats/overview?from=2026-11-30&to=2026-11-29',
      headers: { authorization: tokenFor('350800') },
    });
    expect(reversed.json().error.fields).toEqual([{ field: 'from', reason: '`from` is after `to`' }]);
  });

  it('by category, status, department, department kind, channel', async () => {
    const category = await get('350800', `/v1/stats/breakdown?by=category&${august}`);
    const byKey = (body: { rows: { key: string; received: number }[] }) =>
      Object.fromEntries(body.rows.map((row) => [row.key, row]));
    expect(byKey(category)).toMatchObject({
      labor: { label: '劳动争议纠纷', received: 2, ended: 2, mediated: 2, successRate: 1 },
      neighborhood: { received: 2, receivedPrevious: 1, ended: 1, mediated: 1 },
      damages: { received: 2, ended: 1, mediated: 0, successRate: 0 },
      '': { label: '未分类', received: 1 },
    });
    const status = byKey(await get('350800', `/v1/stats/breakdown?by=status&${august}`));
    expect(Object.fromEntries(Object.entries(status).map(([key, row]) => [key, row.received]))).toEqual({
      resolved: 1,
      closed: 1,
      mediating: 1,
      assigned: 1,
      unresolved: 1,
      triage: 1,
      received: 1,
    });
    expect(status.resolved).toMatchObject({ label: '已化解', ended: null });
    const department = byKey(await get('350803', `/v1/stats/breakdown?by=department&${august}`));
    expect(department).toMatchObject({
      '350803102-judicial_office': { label: '下洋镇司法所', received: 2, ended: 1 },
      '350803-court': { label: '永定区人民法院', received: 1, ended: 0 },
      '350803-public_security_bureau': { label: '永定区公安局', received: 1 },
    });
    const kinds = byKey(await get('350800', `/v1/stats/breakdown?by=department_kind&${august}`));
    expect(kinds.judicial_office).toMatchObject({ label: '司法所', received: 5 });
    const channel = byKey(await get('350800', `/v1/stats/breakdown?by=channel&${august}`));
    expect(channel.wechat).toMatchObject({ label: '微信（龙岩e调解）', received: 1, ended: 1 });
  });

  it('trend by month, week and day, beside the comparison period', async () => {
    const months = await get('350800', '/v1/stats/trend?interval=month&from=2024-07-01&to=2024-08-31');
    expect(
      months.series.map((s: { start: string; received: number; ended: number; mediated: number }) => [
        s.start,
        s.received,
        s.ended,
        s.mediated,
      ]),
    ).toEqual([
      ['2024-07-01', 3, 2, 1],
      ['2024-08-01', 7, 4, 3],
    ]);
    const days = await get('350800', `/v1/stats/trend?interval=day&${august}`);
    expect(days.series).toHaveLength(31);
    expect(days.series.at(-1)).toMatchObject({ start: '2024-08-31', received: 1 });
    expect(days.series.find((s: { start: string }) => s.start === '2024-08-27')).toMatchObject({
      ended: 1,
      mediated: 1,
    });
    const weeks = await get('350800', `/v1/stats/trend?interval=week&${august}`);
    expect(weeks.series[0]).toMatchObject({ start: '2024-07-29', from: '2024-08-01', partial: true });
    expect(weeks.series.reduce((sum: number, s: { received: number }) => sum + s.received, 0)).toBe(7);
    const refused = await app.inject({
      method: 'GET',
      url: '/v1/stats/trend?interval=day&from=2020-01-01&to=2024-08-31',
      headers: { authorization: tokenFor('350800') },
    });
    expect(refused.statusCode).toBe(400);
  });

  it('periods that run to today: the month so far and the days around it add up exactly', async () => {
    // 上杭县临城镇, cases received 0 to 75 days ago, each ended two days after it came in.
    const town = { county: '350823', town: '350823100', names: ['龙岩市', '上杭县', '临城镇'] };
    const offsets = [0, 1, 2, 3, 5, 8, 13, 21, 29, 30, 34, 45, 59, 60, 75];
    const now = Date.now();
    await insertCases(
      db,
      offsets.map((daysAgo) => ({
        ...town,
        status: 'resolved',
        outcomeKind: 'mediated',
        createdAt: new Date(now - daysAgo * day - 60_000),
        resolvedAt: daysAgo >= 2 ? new Date(now - (daysAgo - 2) * day - 60_000) : null,
      })),
    );
    await rebuildCaseStats(db);
    const today = localDay(new Date(now));
    const received = (from: string) =>
      offsets.filter((d) => localDay(new Date(now - d * day - 60_000)) >= from).length;
    const ended = (from: string) =>
      offsets.filter((d) => d >= 2 && localDay(new Date(now - (d - 2) * day - 60_000)) >= from).length;
    const firstOfMonth = `${today.slice(0, 7)}-01`;
    for (const from of [
      addDays(today, -29),
      addDays(today, -6),
      firstOfMonth,
      addDays(firstOfMonth, -17),
      addDays(today, -364),
      today,
    ]) {
      const body = await get('350800', `/v1/stats/overview?place=${town.town}&from=${from}&to=${today}`);
      expect([from, body.current.received, body.current.ended]).toEqual([from, received(from), ended(from)]);
    }
  });

  describe('kept in step by caseTransaction (applyCaseChanges)', () => {
    const snapshot = async () => ({
      stats: await statsRows(),
      departments: await db.$queryRaw<unknown[]>`
        SELECT department_code, created_at, case_id::text FROM cases.department_cases ORDER BY 1, 2, 3`,
    });
    const statsRows = () => statisticsSnapshot(db);

    async function change(caseId: string, write: (tx: Tx) => Promise<unknown>) {
      await caseTransaction(db, async (tx) => {
        await touchCase(tx, caseId);
        await write(tx);
      });
    }

    it('a lifecycle step by step, then many concurrent changes, equal a rebuild from scratch', async () => {
      // A deterministic pseudo-random sequence (mulberry32).
      let seed = 20240824;
      const random = () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const pickOne = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
      const places = Object.values(towns);
      const ids = Array.from({ length: 12 }, () => randomUUID());
      for (const [i, id] of ids.entries()) {
        await change(id, (tx) =>
          tx.case.create({
            data: {
              id,
              status: 'received',
              channel: pickOne(['hotline_12345', 'wechat', 'court']),
              createdAt: new Date(Date.UTC(2024, 6, 20 + i, 23, 30)),
              searchGrams: [],
            },
          }),
        );
      }
      const steps: ((tx: Tx, id: string) => Promise<unknown>)[] = [
        async (tx, id) => {
          const place = pickOne(places);
          await tx.case.update({
            where: { id },
            data: {
              status: 'assigned',
              cityCode: '350800',
              countyCode: place.county,
              townCode: place.town,
              category: pickOne(['labor', 'damages', 'neighborhood']),
            },
          });
          await tx.assignment.upsert({
            where: { caseId_departmentCode: { caseId: id, departmentCode: `${place.town}-judicial_office` } },
            create: {
              caseId: id,
              departmentCode: `${place.town}-judicial_office`,
              departmentKind: 'judicial_office',
              departmentName: '司法所',
              divisionCode: place.town,
              role: 'lead',
              routingVersion: 1,
              dueAt: new Date(),
            },
            update: { status: 'delivered' },
          });
        },
        (tx, id) => tx.assignment.updateMany({ where: { caseId: id }, data: { status: 'withdrawn' } }),
        (tx, id) =>
          tx.case.update({ where: { id }, data: { expressLevel: pickOne(['township', 'county', 'city']) } }),
        (tx, id) => tx.case.update({ where: { id }, data: { repeatCount: { increment: 1 } } }),
        (tx, id) => tx.case.update({ where: { id }, data: { status: pickOne(['accepted', 'mediating']) } }),
        (tx, id) =>
          tx.case.update({
            where: { id },
            data: {
              status: 'resolved',
              outcomeKind: pickOne(['mediated', 'mediated', 'not_mediated', 'withdrawn']),
              resolvedAt: new Date(
                Date.UTC(2024, 7, 1 + Math.floor(random() * 40), Math.floor(random() * 24)),
              ),
            },
          }),
        (tx, id) =>
          tx.case.update({
            where: { id },
            data: { status: 'closed', closedAt: new Date(Date.UTC(2024, 8, 15)) },
          }),
        (tx, id) => tx.case.update({ where: { id }, data: { mergedIntoId: ids[0]! } }),
      ];
      for (let i = 0; i < 80; i++) {
        const id = pickOne(ids);
        await change(id, (tx) => pickOne(steps)(tx, id));
      }
      // Several cases changed in one transaction (how the consumers record a batch of events).
      await caseTransaction(db, async (tx) => {
        await touchCases(tx, ids);
        for (const id of ids) await pickOne(steps)(tx, id);
      });
      // Concurrent writers on the same days' rows, and two folders at once: no deadlock, nothing
      // lost, nothing counted twice.
      await Promise.all([
        ...ids.map((id) => change(id, (tx) => steps[3]!(tx, id))),
        foldPendingStats(db),
        foldPendingStats(db),
      ]);
      await Promise.all(ids.map((id) => change(id, (tx) => steps[2]!(tx, id))));

      const incremental = await snapshot();
      expect(incremental.stats.length).toBeGreaterThan(200);
      expect(incremental.departments.length).toBeGreaterThan(3);
      // Folding the pending changes into the sums changes nothing a reader sees.
      while ((await foldPendingStats(db)) > 0);
      expect(await db.caseStatPending.count()).toBe(0);
      expect(await snapshot()).toEqual(incremental);
      await rebuildCaseStats(db);
      expect(incremental).toEqual(await snapshot());
    });

    it('a change counts in the statistics from its commit on, pending and then folded', async () => {
      const received = async () =>
        (await get('350800', `/v1/stats/overview?place=${towns.kanshi.town}&from=2021-05-10&to=2021-05-10`))
          .current.received;
      const before = await received();
      const id = randomUUID();
      await change(id, (tx) =>
        tx.case.create({
          data: {
            id,
            status: 'received',
            channel: 'wechat',
            cityCode: '350800',
            countyCode: towns.kanshi.county,
            townCode: towns.kanshi.town,
            createdAt: at('2021-05-10T10:00:00+08:00'),
            searchGrams: [],
          },
        }),
      );
      expect(await db.caseStatPending.count()).toBeGreaterThan(0);
      expect(await received()).toBe(before + 1);
      while ((await foldPendingStats(db)) > 0);
      expect(await db.caseStatPending.count()).toBe(0);
      expect(await received()).toBe(before + 1);
    });

    it('a historical record merged by hand, then detached, still counts on the day it was received', async () => {
      // Two imported 2023 work orders an operator took for one matter, then told apart again: the
      // detached one is the case it was before, received on 2023-03-02 — not a case received today.
      const filed = async (receivedAt: string) => {
        const dispute: DisputeReceivedV1 = {
          disputeId: randomUUID(),
          channel: 'hotline_12345',
          sourceRef: `GD-${randomUUID()}`,
          revision: 1,
          receivedAt,
          content: '工地老板拖欠工资',
          location: { divisionCode: routedTowns.jiangshan.town },
          parties: [],
          attachments: [],
          historical: {},
        };
        await recordIntake(db, dispute);
        await recordAssignment(db, decisionFor(dispute));
        return { caseId: caseIdFor(dispute.disputeId), disputeId: dispute.disputeId };
      };
      const march = `/v1/stats/overview?place=${routedTowns.jiangshan.town}&from=2023-03-01&to=2023-03-31`;
      const a = await filed('2023-03-01T10:00:00+08:00');
      const b = await filed('2023-03-02T10:00:00+08:00');
      expect((await get('350800', march)).current.received).toBe(2);
      const operator: Actor = {
        kind: 'operator',
        claims: { sub: 'test', role: 'operator', scope: '350800', exp: 0 },
      };
      await mergeCases(db, b.caseId, a.caseId, operator, '同一件事');
      expect((await get('350800', march)).current).toMatchObject({ received: 1, repeatReports: 1 });
      const detachedId = await detachReport(db, a.caseId, b.disputeId, operator, '核实后不是同一件事');
      expect((await db.case.findUniqueOrThrow({ where: { id: detachedId } })).createdAt.toISOString()).toBe(
        '2023-03-02T02:00:00.000Z',
      );
      // Filed, not handled now: in triage at its own place, routing not asked (nobody handed it).
      expect(await db.case.findUniqueOrThrow({ where: { id: detachedId } })).toMatchObject({
        status: 'triage',
        triageCode: routedTowns.jiangshan.town,
      });
      expect(
        await db.outboxEvent.count({ where: { eventName: 'case.correction.v1', key: b.disputeId } }),
      ).toBe(0);
      expect((await get('350800', march)).current).toMatchObject({ received: 2, repeatReports: 0 });
    });

    it('a live report pushed late counts on the day the channel received it, in the search and the statistics, never in the future', async () => {
      // Guo's WeChat application of 24 August 2024, reaching the platform only now (a backlog after
      // an outage): August's report, not this month's.
      const august = `place=${routedTowns.jiangshan.town}&from=2024-08-01&to=2024-08-31`;
      const before = (await get('350800', `/v1/stats/overview?${august}`)).current.received;
      const guo = await seedRoutedCase(db, { receivedAt: '2024-08-24T09:30:00+08:00' });
      expect((await get('350800', `/v1/stats/overview?${august}`)).current.received).toBe(before + 1);
      const found = await get(
        '350800',
        `/v1/cases?place=${routedTowns.jiangshan.town}&createdFrom=2024-08-01&createdTo=2024-08-31`,
      );
      expect(found.items.map((item: { caseId: string }) => item.caseId)).toContain(guo.caseId);
      // A channel whose clock runs a day ahead: the case is received when it came, not tomorrow.
      const ahead = await seedRoutedCase(db, { receivedAt: new Date(Date.now() + day).toISOString() });
      const { createdAt } = await db.case.findUniqueOrThrow({ where: { id: ahead.caseId } });
      expect(createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('a change that changes nothing the statistics count writes nothing', async () => {
      const [id] = await insertCases(db, [{ ...towns.kanshi, createdAt: at('2024-08-02T08:00:00+08:00') }]);
      await rebuildCaseStats(db);
      const before = await snapshot();
      await change(id!, (tx) => tx.case.update({ where: { id: id! }, data: { title: '新标题' } }));
      expect(await snapshot()).toEqual(before);
    });
  });
});
