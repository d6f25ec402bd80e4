import { randomUUID } from 'node:crypto';
import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CasesDb } from '../db/prisma.ts';
import { insertCases, readSideApp, towns } from './case-fixtures.ts';
import { findCasePage } from './search-cases.ts';

const servers = await requireServers('postgres');

const day = 86_400_000;
const at = (iso: string) => new Date(iso);
const judicialOffice = (town: { town: string }, name: string) => ({
  code: `${town.town}-judicial_office`,
  kind: 'judicial_office',
  name,
});

describe.runIf(servers)('GET /v1/cases on PostgreSQL', () => {
  let app: FastifyInstance;
  let db: CasesDb;
  let tokenFor: (scope: string) => string;
  let close: () => Promise<void>;
  const ids: Record<string, string> = {};
  const fillers: string[] = [];

  beforeAll(async () => {
    ({ app, db, tokenFor, close } = await readSideApp(servers!.databaseUrl!));
    const now = Date.now();
    const [guo, yang, hongfang, kanshi, triage, merged, tingzhou, withdrawnDept] = await insertCases(db, [
      {
        // Guo: WeChat, unpaid wages in Jiangshan, mediating and past its due time.
        ...towns.jiangshan,
        channel: 'wechat',
        status: 'mediating',
        title: '拖欠工资',
        content: '我在新罗区江山镇维修水库大坝，干了19天，老板一直不给工钱，共3800元',
        createdAt: at('2024-08-24T09:30:00+08:00'),
        dueAt: new Date(now - 2 * day),
        departments: [judicialOffice(towns.jiangshan, '江山镇司法所')],
      },
      {
        // Yang: three 12345 reports, Xiayang, joint handling, county express lane.
        ...towns.xiayang,
        category: 'damages',
        status: 'assigned',
        title: '赔偿纠纷',
        content: '杨某反映：其起诉胡某要求赔偿损失，法院判决后胡某在庭上拒不赔偿，已多次反映',
        createdAt: at('2024-08-20T10:00:00+08:00'),
        dueAt: new Date(now + 5 * day),
        expressLevel: 'county',
        repeatCount: 2,
        severity: 'major',
        departments: [
          { code: '350803-public_security_bureau', kind: 'public_security_bureau', name: '永定区公安局' },
          { code: '350803-court', kind: 'court', name: '永定区人民法院' },
          judicialOffice(towns.xiayang, '下洋镇司法所'),
        ],
      },
      {
        ...towns.hongfang,
        status: 'resolved',
        outcomeKind: 'mediated',
        outcomeAmount: 12000,
        title: '石材厂欠薪',
        content: '来电人在红坊镇一家石材厂上班三个月，厂里拖欠工资共计12000元',
        createdAt: at('2024-07-15T08:00:00+08:00'),
        resolvedAt: at('2024-07-25T08:00:00+08:00'),
        dueAt: at('2024-07-25T08:00:00+08:00'),
        departments: [judicialOffice(towns.hongfang, '红坊镇司法所')],
      },
      {
        ...towns.kanshi,
        channel: 'court',
        category: 'contract',
        status: 'unresolved',
        outcomeKind: 'not_mediated',
        title: '买卖合同纠纷',
        content: '（2024）闽0803民诉前调123号 买卖合同货款纠纷',
        createdAt: at('2024-08-01T09:00:00+08:00'),
        dueAt: new Date(now - 30 * day),
        departments: [judicialOffice(towns.kanshi, '坎市镇司法所')],
      },
      {
        // Not placed yet: only the city sees it.
        county: null,
        category: null,
        status: 'triage',
        content: '楼上邻居深夜噪音扰民，多次沟通无果',
        createdAt: at('2024-08-30T21:00:00+08:00'),
      },
      {
        // Folded into Guo's case: never listed.
        ...towns.jiangshan,
        status: 'assigned',
        content: '老板不给工钱，水库大坝',
        createdAt: at('2024-08-25T09:30:00+08:00'),
        mergedIntoId: randomUUID(),
      },
      {
        ...towns.tingzhou,
        channel: 'wechat',
        category: 'neighborhood',
        status: 'accepted',
        content: '邻居在过道堆放杂物挡住通行',
        createdAt: at('2024-08-10T15:00:00+08:00'),
        dueAt: new Date(now + 3 * day),
        expressLevel: 'township',
        repeatCount: 1,
      },
      {
        // Its only assignment was withdrawn by a re-routing: not the department's case any more.
        ...towns.jiangshan,
        status: 'assigned',
        category: 'neighborhood',
        content: '宅基地边界纠纷',
        createdAt: at('2024-06-01T09:00:00+08:00'),
        departments: [{ ...judicialOffice(towns.jiangshan, '江山镇司法所'), status: 'withdrawn' }],
      },
    ]);
    Object.assign(ids, { guo, yang, hongfang, kanshi, triage, merged, tingzhou, withdrawnDept });
    // 30 more Jiangshan cases, ten of them received at the very same instant (the id breaks the tie).
    fillers.push(
      ...(await insertCases(
        db,
        Array.from({ length: 30 }, (_, i) => ({
          ...towns.jiangshan,
          category: 'neighborhood',
          status: 'assigned',
          content: `邻里纠纷第${i}号`,
          createdAt:
            i < 10
              ? at('2024-05-01T09:00:00+08:00')
              : at(`2024-04-${String(i - 9).padStart(2, '0')}T09:00:00+08:00`),
          dueAt: i % 3 === 0 ? null : new Date(now + (1 + (i % 7)) * day),
          // Half of them also with Jiangshan's judicial office, some with the town's police station.
          departments:
            i % 2 === 0
              ? [
                  judicialOffice(towns.jiangshan, '江山镇司法所'),
                  ...(i % 4 === 0
                    ? [{ code: '350802107-police_station', kind: 'police_station', name: '江山派出所' }]
                    : []),
                ]
              : [],
        })),
      )),
    );
  });
  afterAll(async () => close?.());

  async function search(scope: string, query: string) {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/cases?${query}`,
      headers: { authorization: tokenFor(scope) },
    });
    return response;
  }
  async function idsOf(scope: string, query: string): Promise<string[]> {
    const response = await search(scope, `limit=200&${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json().items.map((item: { caseId: string }) => item.caseId);
  }
  const named = (...names: string[]) => names.map((name) => ids[name]!).sort();

  describe('jurisdiction scope', () => {
    it("a county's operator sees its own cases and never another county's, whatever the filters say", async () => {
      const yongding = '350803';
      expect((await idsOf(yongding, '')).sort()).toEqual(named('yang', 'kanshi'));
      // Asking for Xinluo by department or by its text finds nothing.
      expect(await idsOf(yongding, 'department=350802107-judicial_office')).toEqual([]);
      expect(await idsOf(yongding, `q=${encodeURIComponent('水库大坝')}`)).toEqual([]);
      // A place outside the county (Xinluo, its town, the whole city) is a mistake the operator is
      // told of, as the statistics tell it: not an empty list that reads as "no cases there".
      for (const place of ['350802', '350802107', '350800']) {
        const response = await search(yongding, `place=${place}`);
        expect(response.statusCode).toBe(403);
        expect(response.json().error).toEqual({
          code: 'forbidden',
          message: `place ${place} is outside your jurisdiction (${yongding})`,
          fields: [{ field: 'place', reason: `place ${place} is outside your jurisdiction (${yongding})` }],
        });
      }
      expect((await idsOf(yongding, 'place=350803')).sort()).toEqual(named('yang', 'kanshi'));
    });

    it("a town's operator sees its town only; the city sees everything, the unplaced case too", async () => {
      const jiangshan = await idsOf('350802107', '');
      expect(jiangshan).toContain(ids.guo);
      expect(jiangshan).not.toContain(ids.hongfang);
      expect(jiangshan).not.toContain(ids.triage);
      expect(jiangshan).toHaveLength(1 + 1 + fillers.length);
      const city = await idsOf('350800', '');
      expect(city).toHaveLength(7 + fillers.length);
      expect(city).toContain(ids.triage);
    });

    it('a merged case is never listed, to anyone', async () => {
      for (const scope of ['350800', '350802', '350802107']) {
        expect(await idsOf(scope, '')).not.toContain(ids.merged);
      }
      expect(await idsOf('350800', `q=${encodeURIComponent('不给工钱 大坝')}`)).toEqual([ids.guo]);
    });

    it('no token, no search', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/cases' });
      expect(response.statusCode).toBe(401);
    });
  });

  describe('each filter', () => {
    const city = '350800';
    it('status, channel, category, severity (lists allowed)', async () => {
      expect(await idsOf(city, 'status=mediating')).toEqual([ids.guo]);
      expect((await idsOf(city, 'status=resolved,unresolved')).sort()).toEqual(named('hongfang', 'kanshi'));
      expect((await idsOf(city, 'channel=wechat')).sort()).toEqual(named('guo', 'tingzhou'));
      expect(await idsOf(city, 'channel=court')).toEqual([ids.kanshi]);
      expect((await idsOf(city, 'category=labor&category=damages')).sort()).toEqual(
        named('guo', 'yang', 'hongfang'),
      );
      expect(await idsOf(city, 'severity=major')).toEqual([ids.yang]);
    });

    it('place at any level: a county includes its towns', async () => {
      expect((await idsOf(city, 'place=350803')).sort()).toEqual(named('yang', 'kanshi'));
      expect(await idsOf(city, 'place=350803102')).toEqual([ids.yang]);
      expect(await idsOf(city, 'place=350802')).toHaveLength(3 + fillers.length);
    });

    it('department: lead or co-handler, not a withdrawn assignment', async () => {
      expect(await idsOf(city, 'department=350803-court')).toEqual([ids.yang]);
      expect(await idsOf(city, 'department=350803-court&sort=due')).toEqual([ids.yang]);
      const jiangshan = await idsOf(city, 'department=350802107-judicial_office');
      expect(jiangshan).toContain(ids.guo);
      expect(jiangshan).not.toContain(ids.withdrawnDept);
    });

    it('received between two days, each included whole (China time)', async () => {
      expect((await idsOf(city, 'createdFrom=2024-08-20&createdTo=2024-08-24')).sort()).toEqual(
        named('guo', 'yang'),
      );
      // 21:00 China time on the 30th is the 30th, though it is 13:00 UTC.
      expect(await idsOf(city, 'createdFrom=2024-08-30&createdTo=2024-08-30')).toEqual([ids.triage]);
      expect(
        await idsOf(city, 'createdFrom=2024-08-30T13:00:00Z&createdTo=2024-08-30T13:00:00.001Z'),
      ).toEqual([ids.triage]);
    });

    it('overdue: past due and not ended (an ended case past its due time is not overdue)', async () => {
      expect(await idsOf(city, 'overdue=true')).toEqual([ids.guo]);
      const notOverdue = await idsOf(city, 'overdue=false');
      expect(notOverdue).not.toContain(ids.guo);
      expect(notOverdue).toContain(ids.kanshi);
    });

    it('escalated and express-lane level, repeats', async () => {
      expect((await idsOf(city, 'escalated=true')).sort()).toEqual(named('yang', 'tingzhou'));
      expect(await idsOf(city, 'expressLevel=county')).toEqual([ids.yang]);
      expect(await idsOf(city, 'escalated=false')).not.toContain(ids.yang);
      expect((await idsOf(city, 'minRepeats=1')).sort()).toEqual(named('yang', 'tingzhou'));
      expect(await idsOf(city, 'minRepeats=2')).toEqual([ids.yang]);
    });

    it('free text in Chinese: every word of the query, anywhere in the reports', async () => {
      const q = (text: string) => `q=${encodeURIComponent(text)}`;
      // Guo's title says 拖欠工资 though his words were 不给工钱: titles are searched too.
      expect((await idsOf(city, q('拖欠工资'))).sort()).toEqual(named('guo', 'hongfang'));
      expect(await idsOf(city, q('胡某 拒不赔偿'))).toEqual([ids.yang]);
      expect(await idsOf(city, q('噪音'))).toEqual([ids.triage]);
      expect(await idsOf(city, q('３８００元'))).toEqual([ids.guo]);
      expect(await idsOf(city, q('工资 胡某'))).toEqual([]);
    });

    it('common words (walking the order asked for, not the index) find the same cases, in the same order', async () => {
      const page = async (q: string, textViaIndex: boolean, sort: 'newest' | 'oldest' = 'newest') =>
        (
          await findCasePage(db, {
            reach: { scope: city },
            filter: { q },
            sort,
            limit: 200,
            now: new Date(),
            textViaIndex,
          })
        ).rows.map((row) => row.id);
      for (const q of ['拖欠工资', '胡某 拒不赔偿', '噪音', '邻里纠纷', '工资 胡某']) {
        for (const sort of ['newest', 'oldest'] as const) {
          expect(await page(q, false, sort), `${q}, ${sort}`).toEqual(await page(q, true, sort));
        }
      }
      expect((await page('邻里纠纷', false)).length).toBe(30);
    });

    it('filters combine', async () => {
      expect(await idsOf(city, 'place=350802&category=labor&status=mediating&overdue=true')).toEqual([
        ids.guo,
      ]);
    });

    it('refuses what it cannot answer, naming the field', async () => {
      for (const [query, field] of [
        ['limit=201', 'limit'],
        ['status=lost', 'status'],
        ['q=钱', 'q'],
        ['createdFrom=2024-02-30', 'createdFrom'],
        ['place=35', 'place'],
        ['cursor=garbage', 'cursor'],
      ] as const) {
        const response = await search(city, query);
        expect(response.statusCode, query).toBe(400);
        expect(response.json().error.fields.map((f: { field: string }) => f.field)).toContain(field);
      }
    });

    it('a wrong value in a list filter names the parameter sent and quotes the value, however the list was written', async () => {
      for (const [query, field, value] of [
        ['status=lost', 'status', 'lost'],
        ['status=assigned,lost', 'status', 'lost'],
        ['status=assigned&status=lost', 'status', 'lost'],
        ['channel=fax', 'channel', 'fax'],
        ['channel=wechat,fax', 'channel', 'fax'],
        ['expressLevel=province', 'expressLevel', 'province'],
      ] as const) {
        const response = await search(city, query);
        expect(response.statusCode, query).toBe(400);
        expect(response.json().error.code, query).toBe('invalid_request');
        expect(response.json().error.fields, query).toEqual([
          { field, reason: expect.stringContaining(`"${value}"`) },
        ]);
      }
      expect((await search(city, 'status=,')).json().error.fields).toEqual([
        { field: 'status', reason: 'give a value' },
      ]);
    });

    it('received dates no case can fall between are a 400 naming createdFrom, as the statistics answer from after to; the export too', async () => {
      const reversed = 'createdFrom=2026-11-30&createdTo=2026-11-29';
      for (const url of [`/v1/cases?${reversed}`, `/v1/cases/export.csv?${reversed}`]) {
        const response = await app.inject({ url, headers: { authorization: tokenFor(city) } });
        expect(response.statusCode, url).toBe(400);
        expect(response.json().error, url).toMatchObject({
          code: 'invalid_request',
          fields: [{ field: 'createdFrom', reason: '`createdFrom` is after `createdTo`' }],
        });
      }
      // A date-time createdTo is excluded: from that instant to it holds nothing.
      const instant = await search(city, 'createdFrom=2024-08-30T13:00:00Z&createdTo=2024-08-30T13:00:00Z');
      expect(instant.statusCode).toBe(400);
      expect(instant.json().error.fields).toEqual([
        { field: 'createdFrom', reason: expect.stringContaining('excludes') },
      ]);
      // One day, from and to, is that whole day.
      expect(await idsOf(city, 'createdFrom=2024-08-30&createdTo=2024-08-30')).toEqual([ids.triage]);
    });
  });

  describe('cursor pagination', () => {
    async function pages(scope: string, query: string, limit: number) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pagesRead = 0;
      do {
        const response = await search(scope, `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.statusCode, response.body).toBe(200);
        const body = response.json();
        seen.push(...body.items.map((item: { caseId: string }) => item.caseId));
        cursor = body.nextCursor;
        pagesRead++;
      } while (cursor && pagesRead < 100);
      return seen;
    }

    it('pages of 7 give every case once, in the same order as one big page (ties broken by id)', async () => {
      for (const sort of ['newest', 'oldest', 'due']) {
        const whole = await idsOf('350802107', `sort=${sort}`);
        const paged = await pages('350802107', `sort=${sort}`, 7);
        expect(paged, sort).toEqual(whole);
        expect(new Set(paged).size).toBe(paged.length);
      }
    });

    it("a department's worklist pages the same way, in each order, one department or several", async () => {
      for (const query of [
        'department=350802107-judicial_office',
        'department=350802107-judicial_office&sort=oldest',
        'department=350802107-judicial_office&sort=due',
        'department=350802107-judicial_office,350802107-police_station',
        'department=350802107-police_station&status=assigned',
      ]) {
        const whole = await idsOf('350800', query);
        expect(whole.length, query).toBeGreaterThan(4);
        expect(await pages('350800', query, 4), query).toEqual(whole);
      }
      // Guo and the 15 fillers: the withdrawn assignment does not count.
      expect(await idsOf('350800', 'department=350802107-judicial_office')).toHaveLength(16);
      expect(await idsOf('350803', 'department=350802107-judicial_office')).toEqual([]);
    });

    it('orders newest/oldest by receipt and due by due time, cases without one last', async () => {
      const newest = (await search('350800', 'limit=200')).json().items;
      const created = newest.map((item: { createdAt: string }) => item.createdAt);
      expect(created).toEqual([...created].sort().reverse());
      expect(await idsOf('350800', 'sort=oldest')).toEqual(
        [...newest].reverse().map((item: { caseId: string }) => item.caseId),
      );
      const due = (await search('350800', 'sort=due&limit=200'))
        .json()
        .items.map((item: { dueAt: string | null }) => item.dueAt);
      const dated = due.filter((d: string | null) => d !== null);
      expect(due.slice(0, dated.length)).toEqual([...dated].sort());
      expect(due.slice(dated.length).every((d: string | null) => d === null)).toBe(true);
    });

    it('a case received while someone pages does not shift the pages', async () => {
      await insertCases(db, [
        { ...towns.tingzhou, content: '更早的案件', createdAt: at('2024-01-01T00:00:00+08:00') },
      ]);
      const first = (await search('350821', 'limit=1')).json();
      expect(first.items.map((item: { caseId: string }) => item.caseId)).toEqual([ids.tingzhou]);
      await insertCases(db, [{ ...towns.tingzhou, content: '新来的案件', createdAt: new Date() }]);
      const second = (await search('350821', `limit=5&cursor=${first.nextCursor}`)).json();
      // The next page continues after the first one: the new case is not in it, the older one is.
      expect(second.items).toHaveLength(1);
      expect(second.items[0].createdAt).toBe('2023-12-31T16:00:00.000Z');
      expect(second.nextCursor).toBeNull();
    });

    it('a cursor only continues the order it came from', async () => {
      const { nextCursor } = (await search('350800', 'sort=newest&limit=2')).json();
      const response = await search('350800', `sort=due&cursor=${nextCursor}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.fields[0].reason).toContain('sort=newest');
    });
  });

  it('each case says where, who handles it, whether it is overdue', async () => {
    const [yang] = (await search('350800', 'place=350803102')).json().items;
    expect(yang).toMatchObject({
      caseId: ids.yang,
      status: 'assigned',
      category: 'damages',
      channel: 'hotline_12345',
      place: { countyCode: '350803', townCode: '350803102', names: ['龙岩市', '永定区', '下洋镇'] },
      expressLevel: 'county',
      repeatCount: 2,
      overdue: false,
    });
    expect(yang.departments.map((d: { name: string; role: string }) => `${d.role}:${d.name}`)).toEqual([
      'lead:永定区公安局',
      'co:永定区人民法院',
      'co:下洋镇司法所',
    ]);
  });

  it('the search is in the OpenAPI document with its filters', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    const names = doc.paths['/v1/cases'].get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['status', 'place', 'department', 'q', 'overdue', 'cursor', 'limit']),
    );
    expect(doc.paths['/v1/cases/export.csv']).toBeDefined();
    expect(doc.paths['/v1/stats/overview']).toBeDefined();
  });
});
