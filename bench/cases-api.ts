/**
 * The cases API at a million cases: search and statistics latency through the real app.
 *
 *   npx tsx bench/cases-api.ts [--cases=1000000] [--requests=300] [--keep] [--reuse=<database>] [--only=<text>]
 *
 * Seeds a fresh PostgreSQL database (on DATABASE_URL's server, default the local one) with
 * realistic cases of Longyan — 7 counties, 133 towns, villages, three channels, fifteen categories,
 * three years of intake growing over time, outcomes, resolution times, overdue and escalated
 * cases, repeats, merged cases, joint assignments, Chinese report texts — by INSERT … SELECT
 * generate_series in the database (no row crosses the network), builds the statistics table with
 * the same function the write side uses, then times requests through `buildCasesApp` with
 * `app.inject` (routing, auth, zod validation, Prisma, serialisation: everything but the socket).
 * A bare `SELECT 1` through the same Fastify + Prisma stack is the baseline of the same run.
 *
 * `--keep` leaves the database for another run with `--reuse=<name>` (seeding takes minutes); a
 * reused database first gets any migration written since it was seeded. Drop it when done
 * (`DROP DATABASE <name>`: several GB).
 * Not a timed test: it prints figures for a person to read (p50 and p99 of each request).
 */

import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { operatorOf } from '@huijie/cases/http/auth.ts';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { commonEnv, parseConfig } from '@huijie/service-kit/config.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { route } from '@huijie/service-kit/routes.ts';
import pg from 'pg';
import { z } from 'zod';
import { buildCasesApp } from '../services/cases/src/app.ts';
import { casesDb, migrateCases } from '../services/cases/src/db/prisma.ts';
import { searchGramsOf } from '../services/cases/src/search/bigrams.ts';
import { rebuildCaseStats } from '../services/cases/src/stats/rollup.ts';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key!, value ?? 'true'] as const;
  }),
);
const caseCount = Number(args.get('cases') ?? 1_000_000);
const requests = Number(args.get('requests') ?? 300);
const keep = args.has('keep');
const reuse = args.get('reuse');
/** Only the requests whose name contains this (while tuning one of them). */
const only = args.get('only');
const serverUrl = parseConfig(
  z.object({ DATABASE_URL: commonEnv.DATABASE_URL.default('postgres://postgres@127.0.0.1:5432/postgres') }),
  process.env,
).DATABASE_URL;

const dataDir = join(import.meta.dirname, '..', 'services', 'routing', 'data');
const gazetteer = JSON.parse(readFileSync(join(dataDir, 'gazetteer-350800.json'), 'utf8')) as {
  counties: [string, string][];
  towns: [string, string][];
  villages: [string, string][];
};
const departments = (
  JSON.parse(readFileSync(join(dataDir, 'departments-350800.json'), 'utf8')) as {
    departments: { code: string; kind: string; name: string; divisionCode: string }[];
  }
).departments;

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const log = (message: string) => console.log(message);

// ── the data ────────────────────────────────────────────────────────────────────────────────

/** Share of the city's disputes per county (roughly by population). */
const countyWeights: Record<string, number> = {
  '350802': 0.3,
  '350803': 0.12,
  '350821': 0.14,
  '350823': 0.14,
  '350824': 0.1,
  '350825': 0.1,
  '350881': 0.1,
};

/** Category → share of disputes, and the report texts of that category (with {place}, {amount}, {n}). */
const categories: { code: string; weight: number; texts: string[] }[] = [
  {
    code: 'labor',
    weight: 18,
    texts: [
      '来电人反映：其在{place}一工地务工{n}天，老板拖欠工资{amount}元至今未付，多次讨要无果，请求协调。',
      '我在{place}维修水库大坝，干了{n}天，老板一直不给工钱，共{amount}元，请帮忙。',
      '{place}某石材厂拖欠{n}名工人工资共计{amount}元，工人情绪激动，要求尽快解决。',
      '在{place}一家餐馆打工被无故辞退，要求支付经济补偿{amount}元。',
    ],
  },
  {
    code: 'neighborhood',
    weight: 16,
    texts: [
      '{place}邻居在两家之间的过道上堆放杂物和柴火，挡住通行，多次沟通无果，要求处理。',
      '楼上住户长期深夜噪音扰民，{place}居民多次协商未果，请求调解。',
      '{place}邻居建房排水沟改道，雨水流入来电人家中，双方发生争吵。',
      '{place}两户村民因鸡鸭啃食菜地发生口角，已持续{n}天。',
    ],
  },
  {
    code: 'marriage_family',
    weight: 12,
    texts: [
      '{place}夫妻因家庭琐事长期争吵，女方要求离婚并分割财产，请求调解。',
      '{place}兄弟三人因赡养老人费用分摊发生纠纷，老人生活无着落。',
      '{place}一家人因父母遗留房产继承问题争执不下，涉及金额约{amount}元。',
    ],
  },
  {
    code: 'damages',
    weight: 10,
    texts: [
      '其起诉对方要求赔偿损失{amount}元，法院判决后对方拒不赔偿，已多次反映，{place}。',
      '{place}村民的牛被他人车辆撞死，双方对赔偿金额{amount}元有争议。',
      '在{place}被狗咬伤，狗主人拒绝承担医药费{amount}元。',
    ],
  },
  {
    code: 'contract',
    weight: 9,
    texts: [
      '买卖合同货款纠纷，{place}某公司拖欠货款{amount}元逾期{n}天未付。',
      '{place}承包工程完工后发包方拒付工程款{amount}元。',
      '{place}租赁合同到期后房东拒不退还押金{amount}元。',
    ],
  },
  {
    code: 'housing_homestead',
    weight: 7,
    texts: [
      '{place}两户村民因宅基地边界发生争议，一方建房占用另一方土地。',
      '{place}老房翻建时与邻居因滴水线和通道发生纠纷。',
    ],
  },
  {
    code: 'land_forest',
    weight: 6,
    texts: [
      '{place}两村因山林权属界线不清发生争执，涉及林地约{n}亩。',
      '{place}村民承包的果园被他人强行占用，要求归还。',
    ],
  },
  {
    code: 'property_mgmt',
    weight: 5,
    texts: [
      '{place}小区物业公司收费不透明，业主拒交物业费，双方矛盾激化。',
      '{place}小区电梯长期故障物业不维修，业主要求退还物业费{amount}元。',
    ],
  },
  {
    code: 'consumer',
    weight: 4,
    texts: [
      '在{place}某商店购买的电动车质量有问题，商家拒绝退换，价值{amount}元。',
      '{place}培训机构停课跑路，{n}名家长要求退还学费共{amount}元。',
    ],
  },
  {
    code: 'traffic',
    weight: 4,
    texts: [
      '{place}路段两车相撞，双方对事故责任和{amount}元修车费用有争议。',
      '{place}电动车与行人相撞致伤，医疗费{amount}元赔偿未达成一致。',
    ],
  },
  {
    code: 'business',
    weight: 3,
    texts: ['{place}两家合伙经营的养殖场散伙，对分配{amount}元利润有争议。'],
  },
  {
    code: 'land_acquisition',
    weight: 2,
    texts: ['{place}征地拆迁补偿款{amount}元分配不公，{n}户村民要求重新核算。'],
  },
  {
    code: 'medical',
    weight: 2,
    texts: ['患者在{place}卫生院治疗后病情加重，家属要求医院赔偿{amount}元。'],
  },
  {
    code: 'environment',
    weight: 1,
    texts: ['{place}某养猪场污水直排河道，周边{n}户村民要求整改并赔偿。'],
  },
  { code: 'other', weight: 1, texts: ['{place}群众反映的其他矛盾纠纷，请求协调处理。'] },
];

/** Deterministic pseudo-random numbers for the text pool (mulberry32). */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ~150 distinct report texts per category, each with its title and its search grams. */
function textPool() {
  const random = prng(350800);
  const townNames = gazetteer.towns.map(([, name]) => name);
  const pool: { category: string; title: string; content: string; grams: string[] }[] = [];
  for (const category of categories) {
    for (let i = 0; i < 150; i++) {
      const template = category.texts[i % category.texts.length]!;
      const place = townNames[Math.floor(random() * townNames.length)]!;
      const content = template
        .replace('{place}', place)
        .replace('{amount}', String(500 * (1 + Math.floor(random() * 200))))
        .replace('{n}', String(2 + Math.floor(random() * 60)));
      const title = content.replace(/^(来电人反映：|其)/, '').slice(0, 12);
      pool.push({ category: category.code, title, content, grams: searchGramsOf([title, content]) });
    }
  }
  return pool;
}

async function seed(client: pg.Client) {
  const started = performance.now();
  await client.query(`SET maintenance_work_mem = '1GB'`);
  await client.query(`SET work_mem = '256MB'`);
  await client.query('SET synchronous_commit = off');
  await client.query('SELECT setseed(0.3508)');

  // Reference tables, temporary: places weighted by county, categories, texts, departments.
  await client.query(
    `CREATE TEMP TABLE b_towns (i int PRIMARY KEY, county text, town text, county_name text, town_name text, villages int)`,
  );
  await client.query(`CREATE TEMP TABLE b_town_slots (slot int PRIMARY KEY, i int)`);
  await client.query(
    `CREATE TEMP TABLE b_villages (town text, j int, code text, name text, PRIMARY KEY (town, j))`,
  );
  await client.query(
    `CREATE TEMP TABLE b_cat_slots (slot int PRIMARY KEY, code text, text_from int, text_n int)`,
  );
  await client.query(
    `CREATE TEMP TABLE b_texts (id int PRIMARY KEY, title text, content text, grams text[])`,
  );
  await client.query(
    `CREATE TEMP TABLE b_depts (code text PRIMARY KEY, kind text, name text, division text)`,
  );

  const countyName = new Map(gazetteer.counties);
  const villagesOf = new Map<string, [string, string][]>();
  for (const village of gazetteer.villages) {
    const town = village[0].slice(0, 9);
    villagesOf.set(town, [...(villagesOf.get(town) ?? []), village]);
  }
  const towns = gazetteer.towns.map(([code, name], i) => ({
    i,
    county: code.slice(0, 6),
    town: code,
    countyName: countyName.get(code.slice(0, 6))!,
    townName: name,
    villages: villagesOf.get(code)?.length ?? 0,
  }));
  await client.query(
    `INSERT INTO b_towns SELECT * FROM json_to_recordset($1::json) AS t(i int, county text, town text, "countyName" text, "townName" text, villages int)`,
    [JSON.stringify(towns)],
  );
  // 10,000 slots shared out by county weight, then evenly among the county's towns.
  const slots: { slot: number; i: number }[] = [];
  let cumulative = 0;
  for (const town of towns) {
    cumulative += countyWeights[town.county]! / towns.filter((t) => t.county === town.county).length;
    const end = Math.min(10_000, Math.round(cumulative * 10_000));
    while (slots.length < end) slots.push({ slot: slots.length, i: town.i });
  }
  while (slots.length < 10_000) slots.push({ slot: slots.length, i: towns.at(-1)!.i });
  await client.query(
    `INSERT INTO b_town_slots SELECT * FROM json_to_recordset($1::json) AS t(slot int, i int)`,
    [JSON.stringify(slots)],
  );
  const villages = [...villagesOf].flatMap(([town, list]) =>
    list.map(([code, name], j) => ({ town, j, code, name })),
  );
  await client.query(
    `INSERT INTO b_villages SELECT * FROM json_to_recordset($1::json) AS t(town text, j int, code text, name text)`,
    [JSON.stringify(villages)],
  );
  const pool = textPool();
  await client.query(
    `INSERT INTO b_texts SELECT * FROM json_to_recordset($1::json) AS t(id int, title text, content text, grams text[])`,
    [
      JSON.stringify(
        pool.map((text, id) => ({ id, title: text.title, content: text.content, grams: text.grams })),
      ),
    ],
  );
  const totalWeight = categories.reduce((sum, c) => sum + c.weight, 0);
  const catSlots: { slot: number; code: string; text_from: number; text_n: number }[] = [];
  for (const category of categories) {
    const from = pool.findIndex((text) => text.category === category.code);
    const n = pool.filter((text) => text.category === category.code).length;
    const target = catSlots.length + Math.round((category.weight / totalWeight) * 1000);
    while (catSlots.length < Math.min(target, 1000))
      catSlots.push({ slot: catSlots.length, code: category.code, text_from: from, text_n: n });
  }
  while (catSlots.length < 1000) catSlots.push({ ...catSlots.at(-1)!, slot: catSlots.length });
  await client.query(
    `INSERT INTO b_cat_slots SELECT * FROM json_to_recordset($1::json) AS t(slot int, code text, text_from int, text_n int)`,
    [JSON.stringify(catSlots)],
  );
  await client.query(
    `INSERT INTO b_depts SELECT * FROM json_to_recordset($1::json) AS t(code text, kind text, name text, "divisionCode" text)`,
    [JSON.stringify(departments)],
  );

  // Indexes are built once after the load (much faster than row by row): keep their definitions.
  const { rows: indexDefs } = await client.query<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes
     WHERE schemaname = 'cases' AND tablename IN ('cases', 'assignments') AND indexname NOT LIKE '%_pkey'`,
  );
  for (const { name } of indexDefs) await client.query(`DROP INDEX cases."${name}"`);

  // ── a million cases, in the database ──
  let step = performance.now();
  await client.query(
    `INSERT INTO cases.cases (id, status, category, severity, city_code, county_code, town_code, village_code,
        place_names, place_how, channel, title, express_level, triage_code, routing_version, due_at, repeat_count,
        merged_into_id, escalated_at, sla_stage, accepted_at, outcome_kind, outcome_summary, outcome_amount,
        referred_to, resolved_at, closed_at, search_grams, created_at, updated_at)
     WITH s AS (
       SELECT g,
              -- three years of intake, growing: more cases recently,
              -- in the order they arrived (as a live table is), more of them lately
              now() - (1095 * (1 - sqrt((g - random()) / $1::float8))) * interval '1 day' AS created_at,
              random() AS r_place, random() AS r_cat, random() AS r_text, random() AS r_channel,
              random() AS r_res, random() AS r_out, random() AS r_rep, random() AS r_esc,
              random() AS r_vil, random() AS r_stat, random() AS r_amount, random() AS r_misc
       FROM generate_series(1, $1::int) g
     ), p AS (
       SELECT s.*, t.county, t.town, t.county_name, t.town_name, t.villages, c.code AS category,
              x.title, x.grams,
              s.r_misc < 0.01 AS unplaced,
              s.r_misc >= 0.01 AND s.r_misc < 0.02 AS merged,
              CASE WHEN s.r_rep < 0.88 THEN 0 WHEN s.r_rep < 0.96 THEN 1 WHEN s.r_rep < 0.985 THEN 2
                   ELSE 3 + floor((s.r_rep - 0.985) * 400)::int END AS repeats,
              -- resolution time: exponential, median about a week
              0.2 + 9 * -ln(1 - s.r_res) AS res_days
       FROM s
       JOIN b_town_slots ts ON ts.slot = floor(s.r_place * 10000)::int
       JOIN b_towns t ON t.i = ts.i
       JOIN b_cat_slots c ON c.slot = floor(s.r_cat * 1000)::int
       JOIN b_texts x ON x.id = c.text_from + floor(s.r_text * c.text_n)::int
     ), q AS (
       SELECT p.*,
              p.r_esc < 0.01 AS major,
              CASE WHEN p.r_esc < 0.014 THEN 'township' WHEN p.r_esc < 0.019 THEN 'county' WHEN p.r_esc < 0.02 THEN 'city'
                   WHEN p.repeats >= 2 THEN 'township' END AS lane,
              p.created_at + p.res_days * interval '1 day' AS ends_at,
              -- a case ends when its time has come, except a few old ones that got stuck
              NOT p.unplaced AND p.created_at + p.res_days * interval '1 day' < now() AND p.r_stat >= 0.012 AS ended
       FROM p
     ), v AS (
       SELECT q.*, vil.code AS village_code, vil.name AS village_name,
              CASE WHEN NOT q.ended THEN NULL WHEN q.r_out < 0.96 THEN 'mediated' WHEN q.r_out < 0.985 THEN 'not_mediated'
                   ELSE 'withdrawn' END AS outcome
       FROM q LEFT JOIN b_villages vil ON vil.town = q.town AND q.r_vil < 0.7 AND vil.j = floor(q.r_vil / 0.7 * q.villages)::int
     )
     SELECT gen_random_uuid(),
            CASE WHEN unplaced THEN 'triage'
                 WHEN outcome = 'mediated' THEN CASE WHEN r_stat < 0.7 THEN 'closed' ELSE 'resolved' END
                 WHEN outcome IS NOT NULL THEN CASE WHEN r_stat < 0.5 THEN 'closed' ELSE 'unresolved' END
                 WHEN r_stat < 0.35 THEN 'assigned' WHEN r_stat < 0.6 THEN 'accepted' ELSE 'mediating' END,
            CASE WHEN unplaced AND r_cat < 0.5 THEN NULL ELSE category END,
            CASE WHEN major THEN 'major' ELSE 'normal' END,
            CASE WHEN unplaced THEN NULL ELSE '350800' END,
            CASE WHEN unplaced THEN NULL ELSE county END,
            CASE WHEN unplaced THEN NULL ELSE town END,
            CASE WHEN unplaced THEN NULL ELSE village_code END,
            CASE WHEN unplaced THEN ARRAY[]::text[]
                 WHEN village_code IS NULL THEN ARRAY['龙岩市', county_name, town_name]
                 ELSE ARRAY['龙岩市', county_name, town_name, village_name] END,
            CASE WHEN unplaced THEN 'unresolved' ELSE 'exact' END,
            CASE WHEN r_channel < 0.62 THEN 'hotline_12345' WHEN r_channel < 0.92 THEN 'wechat' ELSE 'court' END,
            title,
            CASE WHEN unplaced THEN NULL ELSE lane END,
            CASE WHEN unplaced THEN '350800' END,
            CASE WHEN unplaced THEN 0 ELSE 1 END,
            CASE WHEN unplaced THEN NULL ELSE created_at + (CASE WHEN major THEN 5 ELSE 10 END) * interval '1 day' END,
            repeats,
            CASE WHEN merged THEN gen_random_uuid() END,
            CASE WHEN lane IS NOT NULL AND NOT unplaced THEN created_at + interval '2 hours' END,
            0,
            CASE WHEN NOT unplaced AND (ended OR r_stat >= 0.35) THEN created_at + interval '6 hours' END,
            outcome,
            CASE WHEN outcome = 'mediated' THEN '双方达成调解协议' END,
            CASE WHEN outcome = 'mediated' AND category IN ('labor', 'damages', 'contract', 'consumer', 'traffic')
                 THEN round((500 + r_amount * 50000)::numeric, -2) END,
            CASE WHEN outcome = 'not_mediated' THEN CASE WHEN r_amount < 0.8 THEN 'litigation' ELSE 'arbitration' END END,
            CASE WHEN ended THEN ends_at END,
            CASE WHEN ended AND ((outcome = 'mediated' AND r_stat < 0.7) OR (outcome <> 'mediated' AND r_stat < 0.5))
                 THEN least(ends_at + interval '1 day', now()) END,
            grams,
            created_at,
            CASE WHEN ended THEN ends_at ELSE created_at + interval '1 hour' END
     FROM v`,
    [caseCount],
  );
  log(`  cases inserted: ${seconds(step)} s`);

  // Assignments: the town's judicial office leads; a third of the cases have a co-handler.
  step = performance.now();
  await client.query(
    `INSERT INTO cases.assignments (id, case_id, department_code, department_kind, department_name, division_code,
        role, status, routing_version, due_at, accepted_at, done_at, created_at, updated_at)
     SELECT gen_random_uuid(), c.id, d.code, d.kind, d.name, d.division, a.role,
            CASE WHEN c.outcome_kind IS NOT NULL THEN 'done' WHEN c.status IN ('accepted', 'mediating') THEN 'in_progress'
                 ELSE 'delivered' END,
            1, c.due_at, c.accepted_at, c.resolved_at, c.created_at, c.updated_at
     FROM cases.cases c
     CROSS JOIN LATERAL (
       SELECT c.town_code || '-judicial_office' AS code, 'lead' AS role
       UNION ALL
       SELECT CASE
                WHEN c.category = 'labor' THEN c.county_code || '-labor_inspection'
                WHEN c.category IN ('damages', 'traffic') THEN c.town_code || '-police_station'
                WHEN c.category = 'contract' THEN c.county_code || '-court'
                WHEN c.category IN ('land_forest', 'housing_homestead', 'land_acquisition') THEN c.town_code || '-township_government'
                WHEN c.category = 'marriage_family' THEN c.county_code || '-women_federation'
                ELSE c.town_code || '-governance_office' END, 'co'
       WHERE get_byte(uuid_send(c.id), 15) < 85
     ) a
     JOIN b_depts d ON d.code = a.code
     WHERE c.town_code IS NOT NULL`,
  );
  log(`  assignments inserted: ${seconds(step)} s`);

  step = performance.now();
  for (const { def } of indexDefs) await client.query(def);
  log(`  ${indexDefs.length} indexes built: ${seconds(step)} s`);
  log(`seeded in ${seconds(started)} s`);
}

// ── timing ──────────────────────────────────────────────────────────────────────────────────

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

async function main() {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = reuse ?? `huijie_bench_${Date.now().toString(36)}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const { rows: version } = await admin.query<{ v: string }>('SELECT version() AS v');

  if (!reuse) {
    await admin.query(`CREATE DATABASE ${name}`);
    log(`database ${name}: seeding ${caseCount.toLocaleString('en-US')} cases…`);
    const sql = postgresClient(databaseUrl, { max: 1 });
    await migrateCases(sql);
    await sql.close();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await seed(client);
    const db = casesDb({ kind: 'postgres', url: databaseUrl });
    let step = performance.now();
    // As for the cases: the read models' secondary indexes are built once, after the count.
    const { rows: statIndexes } = await client.query<{ name: string; def: string }>(
      `SELECT indexname AS name, indexdef AS def FROM pg_indexes
       WHERE schemaname = 'cases' AND tablename IN ('case_stats', 'department_cases') AND indexname NOT LIKE '%_pkey'`,
    );
    for (const { name } of statIndexes) await client.query(`DROP INDEX cases."${name}"`);
    await rebuildCaseStats(db);
    for (const { def } of statIndexes) await client.query(def);
    log(
      `statistics table and department index built (the write side keeps them up to date from here): ${seconds(step)} s`,
    );
    await db.$disconnect();
    step = performance.now();
    await client.query('VACUUM ANALYZE');
    log(`VACUUM ANALYZE: ${seconds(step)} s`);
    await client.end();
  } else {
    // A kept database gets the migrations written since it was seeded (an index being tried).
    const sql = postgresClient(databaseUrl, { max: 1 });
    const applied = await migrateCases(sql);
    await sql.close();
    if (applied.length > 0) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query('VACUUM ANALYZE');
      await client.end();
      log(`database ${name}: applied ${applied.join(', ')}, then VACUUM ANALYZE`);
    }
  }

  const db = casesDb({ kind: 'postgres', url: databaseUrl });
  const sql = postgresClient(databaseUrl, { max: 2 });
  const jwtSecret = 'bench-secret-0123456789abcdef0123456789';
  const app = buildCasesApp(
    { jwtSecret },
    {
      db,
      // The embedded log on the same database, polled rarely: the consumers idle during the run.
      bus: createEventBus(createEmbeddedEngine(sql, { pollIntervalMs: 60_000 }), { source: '/bench' }),
      logger: createLogger({ service: 'bench', level: 'silent' }),
      metrics: createMetrics('bench'),
    },
  );
  // The baseline: the same Fastify + route() + auth + Prisma path with the cheapest query there is.
  route(
    app,
    {
      method: 'GET',
      url: '/bench/select-1',
      summary: 'baseline',
      security: 'operator',
      authenticate: (request) => operatorOf(request, { db, jwtSecret }),
    },
    async () => db.$queryRaw`SELECT 1 AS one`,
  );
  await startConsuming(app);
  // A token is good while its operator is as it was issued to: the reader of each scope is one.
  const token = (scope: string) =>
    `Bearer ${signToken({ sub: `bench-${scope}`, role: 'leader', scope }, jwtSecret)}`;

  const facts = await db.$queryRaw<
    { cases: number; open: number; overdue: number; size: string; stats_rows: number; stats_size: string }[]
  >`
    SELECT (SELECT count(*)::int FROM cases.cases) AS cases,
           (SELECT count(*)::int FROM cases.cases WHERE merged_into_id IS NULL AND status IN ('received','triage','assigned','accepted','mediating')) AS open,
           (SELECT count(*)::int FROM cases.cases WHERE merged_into_id IS NULL AND status IN ('received','triage','assigned','accepted','mediating') AND due_at < now()) AS overdue,
           pg_size_pretty(pg_total_relation_size('cases.cases')) AS size,
           (SELECT count(*)::int FROM cases.case_stats) AS stats_rows,
           pg_size_pretty(pg_total_relation_size('cases.case_stats')) AS stats_size`;
  const busiest = await db.$queryRaw<{ town: string; department: string }[]>`
    SELECT town_code AS town, town_code || '-judicial_office' AS department FROM cases.cases
    WHERE town_code IS NOT NULL GROUP BY town_code ORDER BY count(*) DESC LIMIT 1`;
  const town = busiest[0]!.town;
  const department = busiest[0]!.department;
  await db.operator.createMany({
    data: ['350800', '350802', town].map((scope) => ({
      username: `bench-${scope}`,
      passwordHash: 'no sign-in',
      role: 'leader',
      scopeCode: scope,
    })),
    skipDuplicates: true,
  });

  // A cursor deep into a listing: the 40th page of the city's newest cases.
  let deepCursor = '';
  {
    let cursor: string | null = null;
    for (let i = 0; i < 40; i++) {
      const page: { nextCursor: string | null } = (
        await app.inject({
          method: 'GET',
          url: `/v1/cases?limit=50${cursor ? `&cursor=${cursor}` : ''}`,
          headers: { authorization: token('350800') },
        })
      ).json();
      cursor = page.nextCursor;
    }
    deepCursor = cursor!;
  }
  const q = (text: string) => encodeURIComponent(text);
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const yearAgo = new Date(Date.now() + 8 * 3600_000 - 364 * 86_400_000).toISOString().slice(0, 10);
  const lastMonthStart =
    new Date(Date.now() + 8 * 3600_000 - 45 * 86_400_000).toISOString().slice(0, 8) + '01';
  const lastMonthEnd = (() => {
    const d = new Date(`${lastMonthStart}T00:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() + 1);
    d.setUTCDate(0);
    return d.toISOString().slice(0, 10);
  })();

  const scenarios: { group: string; name: string; scope: string; url: string }[] = [
    {
      group: 'baseline',
      name: 'SELECT 1 through Fastify + auth + Prisma',
      scope: '350800',
      url: '/bench/select-1',
    },
    { group: 'search', name: 'city, newest 50', scope: '350800', url: '/v1/cases' },
    { group: 'search', name: 'city, newest 200', scope: '350800', url: '/v1/cases?limit=200' },
    {
      group: 'search',
      name: 'city, page 41 (cursor)',
      scope: '350800',
      url: `/v1/cases?limit=50&cursor=${deepCursor}`,
    },
    { group: 'search', name: 'county operator (新罗区), newest', scope: '350802', url: '/v1/cases' },
    { group: 'search', name: 'town operator, mediating', scope: town, url: '/v1/cases?status=mediating' },
    {
      group: 'search',
      name: 'city, overdue, by due date',
      scope: '350800',
      url: '/v1/cases?overdue=true&sort=due',
    },
    {
      group: 'search',
      name: 'city, express lane county+city',
      scope: '350800',
      url: '/v1/cases?expressLevel=county,city',
    },
    { group: 'search', name: 'city, ≥ 3 repeats', scope: '350800', url: '/v1/cases?minRepeats=3' },
    {
      group: 'search',
      name: 'county, labor, last month',
      scope: '350800',
      url: `/v1/cases?place=350803&category=labor&createdFrom=${lastMonthStart}&createdTo=${lastMonthEnd}`,
    },
    {
      group: 'search',
      name: 'department (busiest judicial office)',
      scope: '350800',
      url: `/v1/cases?department=${department}`,
    },
    {
      group: 'search',
      name: 'wechat + court, open, oldest first',
      scope: '350800',
      url: '/v1/cases?channel=wechat,court&status=assigned,accepted,mediating&sort=oldest',
    },
    {
      group: 'search',
      name: 'text 拖欠工资 (common), city',
      scope: '350800',
      url: `/v1/cases?q=${q('拖欠工资')}`,
    },
    {
      group: 'search',
      name: 'text 水库大坝 (rarer), county',
      scope: '350802',
      url: `/v1/cases?q=${q('水库大坝')}`,
    },
    {
      group: 'search',
      name: 'text 宅基地 + town + resolved',
      scope: '350800',
      url: `/v1/cases?q=${q('宅基地')}&place=${town}&status=resolved,closed`,
    },
    {
      group: 'search',
      name: 'text 电梯 物业费, oldest',
      scope: '350800',
      url: `/v1/cases?q=${q('电梯 物业费')}&sort=oldest`,
    },
    { group: 'stats', name: 'overview, city, last 30 days', scope: '350800', url: '/v1/stats/overview' },
    {
      group: 'stats',
      name: 'overview, city, last 365 days, year on year',
      scope: '350800',
      url: `/v1/stats/overview?from=${yearAgo}&to=${today}&compare=year`,
    },
    { group: 'stats', name: 'overview, county, last 30 days', scope: '350802', url: '/v1/stats/overview' },
    {
      group: 'stats',
      name: 'overview, town, last 365 days',
      scope: town,
      url: `/v1/stats/overview?from=${yearAgo}&to=${today}`,
    },
    {
      group: 'stats',
      name: 'by place: city → 7 counties, 365 days',
      scope: '350800',
      url: `/v1/stats/breakdown?by=place&from=${yearAgo}&to=${today}`,
    },
    {
      group: 'stats',
      name: 'by place: city → 133 towns, 365 days',
      scope: '350800',
      url: `/v1/stats/breakdown?by=place&level=town&from=${yearAgo}&to=${today}`,
    },
    {
      group: 'stats',
      name: 'by place: county → towns, 30 days',
      scope: '350800',
      url: '/v1/stats/breakdown?by=place&place=350802',
    },
    {
      group: 'stats',
      name: 'by department: city, 365 days',
      scope: '350800',
      url: `/v1/stats/breakdown?by=department&from=${yearAgo}&to=${today}`,
    },
    {
      group: 'stats',
      name: 'by category: city, 365 days',
      scope: '350800',
      url: `/v1/stats/breakdown?by=category&from=${yearAgo}&to=${today}`,
    },
    {
      group: 'stats',
      name: 'by status: county, 30 days',
      scope: '350802',
      url: '/v1/stats/breakdown?by=status',
    },
    {
      group: 'stats',
      name: 'trend: city by day, 30 days',
      scope: '350800',
      url: '/v1/stats/trend?interval=day',
    },
    {
      group: 'stats',
      name: 'trend: city by week, 12 weeks',
      scope: '350800',
      url: '/v1/stats/trend?interval=week',
    },
    {
      group: 'stats',
      name: 'trend: county by month, 12 months',
      scope: '350802',
      url: '/v1/stats/trend?interval=month',
    },
  ];

  const chosen = scenarios.filter((s) => !only || s.group === 'baseline' || s.name.includes(only));
  const run = async (scenario: (typeof scenarios)[number]) => {
    const start = process.hrtime.bigint();
    const response = await app.inject({
      method: 'GET',
      url: scenario.url,
      headers: { authorization: token(scenario.scope) },
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (response.statusCode !== 200)
      throw new Error(`${scenario.name}: ${response.statusCode} ${response.body.slice(0, 300)}`);
    return { ms, body: response.body };
  };
  // warm-up: JIT, plan caches, buffers
  for (const scenario of chosen) for (let i = 0; i < 20; i++) await run(scenario);
  // Round-robin: request i of every scenario, then request i + 1 of every scenario… On a machine
  // shared with other work, a burst of someone else's load then lands on every scenario, the
  // baseline included, instead of on whichever one happened to be running.
  const loadBefore = loadavg();
  const times = chosen.map(() => [] as number[]);
  const items = chosen.map(() => 0);
  for (let i = 0; i < requests; i++) {
    for (const [k, scenario] of chosen.entries()) {
      const { ms, body } = await run(scenario);
      times[k]!.push(ms);
      if (i === 0) items[k] = scenario.group === 'search' ? (JSON.parse(body).items?.length ?? 0) : 0;
    }
  }
  const results = chosen.map((scenario, k) => {
    const sorted = times[k]!.sort((a, b) => a - b);
    const result = {
      group: scenario.group,
      name: scenario.name,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      mean: sorted.reduce((s, t) => s + t, 0) / sorted.length,
      items: items[k]!,
    };
    process.stderr.write(
      `  ${result.group.padEnd(8)} ${result.name.padEnd(48)} p50 ${result.p50.toFixed(2).padStart(7)} ms  p99 ${result.p99.toFixed(2).padStart(7)} ms\n`,
    );
    return result;
  });

  // The export: a county's cases as CSV, end to end.
  const exportStart = performance.now();
  const exported = await app.inject({
    method: 'GET',
    url: '/v1/cases/export.csv?place=350803',
    headers: { authorization: token('350800') },
  });
  const exportMs = performance.now() - exportStart;
  const exportRows = exported.body.split('\r\n').length - 2;

  await app.close();
  await db.$disconnect();
  await sql.close();

  const cpu = cpus();
  const f = facts[0]!;
  console.log('');
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ` +
      `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before the timed requests, ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} after`,
  );
  console.log(
    `database: ${version[0]!.v.split(',')[0]} (server defaults), ${name}${keep || reuse ? ' (kept)' : ''}`,
  );
  console.log(
    `data: ${f.cases.toLocaleString('en-US')} cases (${f.size} with indexes), ${f.open.toLocaleString('en-US')} open, ` +
      `${f.overdue.toLocaleString('en-US')} overdue; statistics table ${f.stats_rows.toLocaleString('en-US')} rows (${f.stats_size})`,
  );
  console.log(
    `each request: 20 warm-up, then ${requests} timed through app.inject, one at a time, the scenarios taking turns`,
  );
  console.log('');
  console.log(
    `${'request'.padEnd(58)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'mean ms'.padStart(8)}  items`,
  );
  for (const group of ['baseline', 'search', 'stats']) {
    for (const r of results.filter((row) => row.group === group)) {
      console.log(
        `${`${r.group}: ${r.name}`.padEnd(58)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.mean.toFixed(2).padStart(8)}  ${r.group === 'search' ? r.items : ''}`,
      );
    }
  }
  const worst = (group: string) => Math.max(...results.filter((r) => r.group === group).map((r) => r.p99));
  const medianOf = (group: string) => {
    const p50s = results
      .filter((r) => r.group === group)
      .map((r) => r.p50)
      .sort((a, b) => a - b);
    return p50s[Math.floor(p50s.length / 2)]!;
  };
  console.log('');
  console.log(
    `export: ${exportRows.toLocaleString('en-US')} cases of 永定区 as CSV in ${(exportMs / 1000).toFixed(2)} s ` +
      `(${Math.round(exportRows / (exportMs / 1000)).toLocaleString('en-US')} rows/s, ${(exported.rawPayload.length / 1e6).toFixed(1)} MB)`,
  );
  // With --only, a group may have nothing timed.
  if (results.some((r) => r.group === 'search')) {
    console.log(
      `search: median of p50s ${medianOf('search').toFixed(2)} ms, worst p99 ${worst('search').toFixed(2)} ms (target ≤ 20 ms: ${worst('search') <= 20 ? 'met' : 'NOT met'})`,
    );
  }
  if (results.some((r) => r.group === 'stats')) {
    console.log(
      `stats:  median of p50s ${medianOf('stats').toFixed(2)} ms, worst p99 ${worst('stats').toFixed(2)} ms (target < 100 ms: ${worst('stats') < 100 ? 'met' : 'NOT met'})`,
    );
  }
  console.log(
    `baseline p50 ${results[0]!.p50.toFixed(2)} ms: what any request through this stack costs before its own query`,
  );

  if (!keep && !reuse) {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  await admin.end();
}

await main();
