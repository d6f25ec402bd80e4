import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { openPglite, pgliteClient, postgresClient, type SqlClient } from '@huijie/database/sql-client.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import type { EngineSubscription } from '@huijie/event-bus/engine.ts';
import { eventually, freshDatabase, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordIntake } from '../consumers/record-events.ts';
import { type CasesDb, casesDb, migrateCases } from '../db/prisma.ts';
import { csvRecords, importRecords, jsonlRecords } from './import-records.ts';

const servers = await requireServers('postgres');

/** 40 historical 12345 work orders and WeChat applications, three of them broken. */
function historicalCsv(): string {
  const lines = [
    'channel,source_ref,received_at,title,content,category,division_code,applicant_name,applicant_phone,amount_claimed',
  ];
  for (let i = 1; i <= 40; i++) {
    const channel = i % 4 === 0 ? '微信' : '12345';
    lines.push(
      `${channel},GD-2023-${String(i).padStart(5, '0')},2023-0${1 + (i % 9)}-1${i % 10} 09:${String(i % 60).padStart(2, '0')},` +
        `欠薪${i},"在新罗区红坊镇工地干活，老板拖欠工资${1000 + i}元，多次讨要无果",labor,350802100,来电人${i},1390000${String(i).padStart(4, '0')},${1000 + i}`,
    );
  }
  lines[7] = '12345,GD-2023-BAD1,2023-13-45 25:00,坏日期,"内容",labor,350802100,,,'; // line 8
  lines[15] = 'fax,GD-2023-BAD2,2023-05-01,传真,"内容",labor,350802100,,,'; // line 16
  lines[23] = '12345,GD-2023-BAD3,2023-05-01,缺内容,,labor,3508021,,,'; // line 24
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

async function* chunksOf(text: string, size = 333) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe.runIf(servers)('importing historical records through dispute.intake.v1', () => {
  let db: CasesDb;
  let sql: SqlClient;
  let bus: EventBus;
  let consumer: EngineSubscription;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await freshDatabase(servers!.databaseUrl!);
    drop = database.drop;
    sql = postgresClient(database.url, { max: 3 });
    await migrateCases(sql);
    db = casesDb({ kind: 'postgres', url: database.url });
    bus = createEventBus(createEmbeddedEngine(sql, { pollIntervalMs: 20 }), { source: '/test/import' });
    // The cases service's own consumer of the intake topic.
    consumer = await bus.subscribe({
      group: 'cases',
      topics: [topics.intake],
      handlers: { 'dispute.intake.v1': (event) => recordIntake(db, event) },
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await bus?.close();
    await db?.$disconnect();
    await sql?.close();
    await drop?.();
  });

  const consumed = async () => {
    const offsets = await bus.engine.committedOffsets('cases', topics.intake);
    return [...offsets.values()].reduce((sum, offset) => sum + Number(offset), 0);
  };

  it('publishes the good records, reports the bad ones by line and field, and a rerun duplicates nothing', async () => {
    const csv = historicalCsv();
    const run = () =>
      importRecords(csvRecords(chunksOf(csv)), { publish: (events) => bus.publish(events), batchSize: 16 });

    const first = await run();
    expect(first).toMatchObject({ records: 40, published: 37, rejected: 3 });
    expect(first.rejects.map((r) => [r.line, r.field])).toEqual([
      [8, 'received_at'],
      [16, 'channel'],
      [24, 'content'],
      [24, 'division_code'],
    ]);
    await eventually(async () => (await consumed()) === 37, { what: 'the first import consumed' });
    const reports = await db.report.findMany({
      select: { disputeId: true, channel: true, sourceRef: true, receivedAt: true },
    });
    expect(reports).toHaveLength(37);
    const guo = reports.find((r) => r.sourceRef === 'GD-2023-00004')!;
    expect(guo.channel).toBe('wechat');
    expect(guo.disputeId).toBe(disputeIdFor('wechat', 'GD-2023-00004'));
    expect(guo.receivedAt.toISOString()).toBe('2023-05-14T01:04:00.000Z'); // 09:04 China time

    const casesBefore = await db.case.count();
    const partiesBefore = await db.party.count();
    const second = await run();
    expect(second).toMatchObject({ published: 37, rejected: 3 });
    await eventually(async () => (await consumed()) === 74, { what: 'the rerun consumed' });
    expect(await db.report.count()).toBe(37);
    expect(await db.case.count()).toBe(casesBefore);
    expect(await db.party.count()).toBe(partiesBefore);
  });

  it('JSONL: flat records or whole intake events, a broken line reported with its number', async () => {
    const jsonl = [
      JSON.stringify({
        channel: 'court',
        sourceRef: '（2024）闽0803民诉前调123号',
        receivedAt: '2024-03-01T10:00:00+08:00',
        content: '买卖合同纠纷',
      }),
      '',
      '{"channel": "wechat", ',
      JSON.stringify({
        channel: 'hotline_12345',
        sourceRef: 'GD-J-1',
        receivedAt: '2024-03-02T10:00:00+08:00',
        content: '邻里纠纷',
        location: { address: '永定区下洋镇' },
        parties: [{ role: 'caller', phone: '13900000000' }],
      }),
    ].join('\n');
    const published: string[] = [];
    const summary = await importRecords(jsonlRecords(chunksOf(jsonl, 7)), {
      publish: async (events) => void published.push(...events.map((e) => e.key)),
    });
    expect(summary).toMatchObject({ records: 3, published: 2, rejected: 1 });
    expect(summary.rejects[0]).toMatchObject({ line: 3, field: '(record)' });
    expect(published).toEqual([
      disputeIdFor('court', '（2024）闽0803民诉前调123号'),
      disputeIdFor('hotline_12345', 'GD-J-1'),
    ]);
  });
});

describe('the import script, into the standalone event log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'huijie-import-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir };
  // Not Kafka even where the tests have a broker: the standalone log is what this test reads back.
  delete env.KAFKA_BROKERS;
  const runScript = (file: string) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'scripts', 'import.ts'), file],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.on('close', (code) => resolve({ code, stderr }));
    });

  it('shows progress, summarises the rejects, writes them to a file; a rerun adds the same events again', {
    timeout: 120_000,
  }, async () => {
    const file = join(dir, 'historical.csv');
    writeFileSync(file, historicalCsv());
    const first = await runScript(file);
    expect(first.code, first.stderr).toBe(2);
    expect(first.stderr).toContain('40 records');
    expect(first.stderr).toContain('37 published as dispute.intake.v1, 3 rejected');
    expect(first.stderr).toContain('rejects by field: ');
    expect(first.stderr).toMatch(/8\treceived_at\tnot a date-time/);
    expect(first.stderr).toContain('100.0%');
    // Excel on a Chinese Windows reads the Chinese in the reasons only with the BOM.
    const rejects = readFileSync(`${file}.rejects.csv`, 'utf8').split('\r\n');
    expect(rejects[0]).toBe('\uFEFFline,field,reason');
    expect(rejects).toContain('16,channel,"unknown channel ""fax"" (hotline_12345, wechat, court)"');

    const second = await runScript(file);
    expect(second.code).toBe(2);

    // The events wait in the log for the platform; their ids say they are the same disputes.
    const pglite = await openPglite(join(dir, 'pglite'));
    const log = pgliteClient(pglite, { owned: true });
    const { rows } = await log.query<{ n: number; distinct_keys: number; distinct_ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT key)::int AS distinct_keys, count(DISTINCT headers->>'ce_id')::int AS distinct_ids
       FROM bus.messages WHERE topic = 'dispute.intake.v1'`,
    );
    await log.close();
    expect(rows[0]).toEqual({ n: 74, distinct_keys: 37, distinct_ids: 37 });
  });

  it('a CSV Excel saved in GBK (a Chinese Windows) is read as such, not imported as 乱码', {
    timeout: 120_000,
  }, async () => {
    const file = join(dir, 'gbk.csv');
    // channel,source_ref,received_at,content / 12345,GD-GBK-1,2023-05-06 09:30,老板拖欠工资3800元, in GBK
    writeFileSync(
      file,
      Buffer.from(
        '6368616e6e656c2c736f757263655f7265662c72656365697665645f61742c636f6e74656e740d0a31323334352c47442d47424b2d312c' +
          '323032332d30352d30362030393a33302cc0cfb0e5cdcfc7b7b9a4d7ca33383030d4aa0d0a',
        'hex',
      ),
    );
    const run = await runScript(file);
    expect(run.code, run.stderr).toBe(0);
    const pglite = await openPglite(join(dir, 'pglite'));
    const log = pgliteClient(pglite, { owned: true });
    const { rows } = await log.query<{ value: string }>(
      `SELECT convert_from(value, 'UTF8') AS value FROM bus.messages WHERE topic = $1 AND key = $2`,
      [topics.intake, disputeIdFor('hotline_12345', 'GD-GBK-1')],
    );
    await log.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value).toContain('老板拖欠工资3800元');
  });
});
