import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRoutedCase } from '../consumers/routed-case-fixtures.ts';
import type { CasesDb } from '../db/prisma.ts';
import { insertCases, readSideApp, towns } from '../search/case-fixtures.ts';
import { readCsv } from './csv.ts';
import { exportCasesCsv, exportColumns } from './export-csv.ts';

const servers = await requireServers('postgres');

describe.runIf(servers)('GET /v1/cases/export.csv on PostgreSQL', () => {
  let app: FastifyInstance;
  let db: CasesDb;
  let tokenFor: (scope: string) => string;
  let close: () => Promise<void>;
  let guo: string | undefined;

  beforeAll(async () => {
    ({ app, db, tokenFor, close } = await readSideApp(servers!.databaseUrl!));
    [guo] = await insertCases(db, [
      {
        ...towns.jiangshan,
        channel: 'wechat',
        status: 'resolved',
        outcomeKind: 'mediated',
        outcomeAmount: 3800,
        title: '=拖欠工资, "3800元"',
        content: '老板不给工钱',
        createdAt: new Date('2024-08-24T09:30:00+08:00'),
        resolvedAt: new Date('2024-08-27T09:30:00+08:00'),
        departments: [{ code: '350802107-judicial_office', kind: 'judicial_office', name: '江山镇司法所' }],
      },
    ]);
    await db.party.create({
      data: {
        caseId: guo!,
        disputeId: guo!,
        role: 'applicant',
        kind: 'person',
        name: '郭某',
        phone: '13800000000',
        idNumber: '350802199001011234',
      },
    });
    // 2,500 more: the export runs over several keyset pages of 1,000.
    await insertCases(
      db,
      Array.from({ length: 2500 }, (_, i) => ({
        ...(i % 2 === 0 ? towns.hongfang : towns.xiayang),
        category: 'neighborhood',
        content: `邻里纠纷${i}`,
        createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
      })),
    );
    // Its report: the export quotes the WeChat tracking number, as the citizen and the clerk know it.
    await db.report.create({
      data: {
        disputeId: guo!,
        caseId: guo!,
        channel: 'wechat',
        sourceRef: 'LYWX-20240824-0001',
        revision: 1,
        receivedAt: new Date('2024-08-24T09:30:00+08:00'),
        content: '老板不给工钱',
        intake: {},
      },
    });
  });
  afterAll(async () => close?.());

  async function exportAs(scope: string, query = '') {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/cases/export.csv?${query}`,
      headers: { authorization: tokenFor(scope) },
    });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    const records = [];
    for await (const record of readCsv(
      (async function* () {
        yield response.body;
      })(),
    ))
      records.push(record.fields);
    return { response, header: records[0]!, rows: records.slice(1) };
  }

  it('a UTF-8 CSV with BOM that Excel opens, one row per case of the search, newest first', async () => {
    const { response, header, rows } = await exportAs('350800');
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="cases-350800-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(response.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(header).toEqual([...exportColumns]);
    expect(rows).toHaveLength(2501);
    expect(rows[0]).toEqual([
      guo,
      '2024-08-24 09:30:00',
      '已化解',
      '微信（龙岩e调解）',
      'LYWX-20240824-0001',
      '劳动争议纠纷',
      '一般',
      '新罗区',
      '江山镇',
      '',
      '350802107',
      `'=拖欠工资, "3800元"`,
      '江山镇司法所',
      '',
      '',
      '',
      '否',
      '0',
      '调解成功',
      '3800.00',
      '',
      '2024-08-27 09:30:00',
      '',
    ]);
  });

  it('no personal data: neither the name, the phone nor the ID number', async () => {
    const { response } = await exportAs('350800', 'place=350802107');
    for (const secret of ['郭某', '13800000000', '350802199001011234'])
      expect(response.body).not.toContain(secret);
  });

  it('the same filters and scope as the search', async () => {
    expect((await exportAs('350803')).rows).toHaveLength(1250);
    // Another county's place is refused before the file starts, as the search refuses it.
    const outside = await app.inject({
      url: '/v1/cases/export.csv?place=350802',
      headers: { authorization: tokenFor('350803') },
    });
    expect(outside.statusCode).toBe(403);
    expect(outside.headers['content-type']).toMatch(/^application\/json/);
    expect(outside.json().error).toMatchObject({ code: 'forbidden', fields: [{ field: 'place' }] });
    expect((await exportAs('350800', 'place=350802&category=labor')).rows.map((row) => row[0])).toEqual([
      guo,
    ]);
    const oldest = await exportAs('350800', 'sort=oldest');
    expect(oldest.rows.at(-1)![0]).toBe(guo);
  });

  it('is produced a page at a time, never the whole result at once', async () => {
    const chunks: string[] = [];
    for await (const chunk of exportCasesCsv(db, {
      scope: '350800',
      filter: {},
      sort: 'newest',
      now: new Date(),
      pageSize: 300,
    })) {
      chunks.push(chunk);
    }
    // The header, then ⌈2501 / 300⌉ = 9 pages of at most 300 rows.
    expect(chunks).toHaveLength(10);
    expect(Math.max(...chunks.slice(1).map((chunk) => chunk.split('\r\n').length - 1))).toBe(300);
  });

  it('refuses without a token before writing anything', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/cases/export.csv' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('unauthorized');
  });

  it("no personal data typed into a title: its mobiles, ID-card numbers and confidential (保密) parties' names are masked", async () => {
    // Written as the platform writes them: the confidential party is known from the report's intake.
    const changting = { county: '350821', town: '350821100', names: ['龙岩市', '长汀县', '汀州镇'] };
    const secret = await seedRoutedCase(db, {
      place: changting,
      applicant: { name: '郭建华', phone: '13700005555', confidential: true },
      title: '郭建华反映欠薪，回拨13600001111，身份证350802198501011234',
      content: '我叫郭建华，包工头欠我工钱',
      receivedAt: '2023-03-14T10:00:00+08:00',
    });
    const open = await seedRoutedCase(db, {
      place: changting,
      applicant: { name: '李某', phone: '13700006666' },
      title: '工地欠薪，电话13600002222',
      receivedAt: '2023-03-15T10:00:00+08:00',
    });
    const { response, rows } = await exportAs('350800', 'place=350821');
    const title = exportColumns.indexOf('标题');
    expect(rows.map((row) => [row[0], row[title]])).toEqual([
      [open.caseId, '工地欠薪，电话[手机号]'],
      [secret.caseId, '[保密当事人]反映欠薪，回拨[手机号]，身份证[身份证号]'],
    ]);
    for (const personal of ['郭建华', '13600001111', '350802198501011234', '13600002222', '13700005555'])
      expect(response.body).not.toContain(personal);
  });
});
