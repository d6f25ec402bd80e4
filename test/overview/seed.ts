import { randomUUID } from 'node:crypto';
import { actOnCase } from '@huijie/cases/actions/act-on-case.ts';
import { caseIdFor } from '@huijie/cases/consumers/open-case.ts';
import { recordAssignment, recordIntake } from '@huijie/cases/consumers/record-events.ts';
import type { CasesDb } from '@huijie/cases/db/prisma.ts';
import type { Actor } from '@huijie/cases/http/actor.ts';
import { type CaseSpec, insertCases } from '@huijie/cases/search/case-fixtures.ts';
import { rebuildCaseStats } from '@huijie/cases/stats/rollup.ts';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { loadGazetteerData } from '@huijie/routing/domain/gazetteer.ts';

/**
 * A Longyan month or two for the overview page: history written as the read side's fixtures do
 * (then the statistics rebuilt from it), and today's cases written through the cases consumers
 * and actions, as the platform writes them, so the incremental rollup stays in step.
 */

const day = 86_400_000;
const gazetteer = loadGazetteerData();
const countyNames = new Map(gazetteer.counties);
const townNames = new Map(gazetteer.towns);

/** A deterministic random sequence, so every run seeds the same picture. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(random: () => number, choices: [T, number][]): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let pick = random() * total;
  for (const [value, weight] of choices) {
    pick -= weight;
    if (pick <= 0) return value;
  }
  return choices[choices.length - 1]![0];
}

const countyWeights: [string, number][] = [
  ['350802', 30],
  ['350803', 18],
  ['350821', 12],
  ['350823', 14],
  ['350824', 9],
  ['350825', 9],
  ['350881', 8],
];
const categoryWeights: [string, number][] = [
  ['neighborhood', 22],
  ['labor', 18],
  ['marriage_family', 14],
  ['contract', 10],
  ['damages', 9],
  ['housing_homestead', 8],
  ['land_forest', 7],
  ['property_mgmt', 5],
  ['traffic', 4],
  ['consumer', 3],
];
const channelWeights: [string, number][] = [
  ['hotline_12345', 55],
  ['wechat', 35],
  ['court', 10],
];

function townsOf(county: string) {
  return gazetteer.towns.filter(([code]) => code.startsWith(county)).map(([code]) => code);
}

function placeOf(town: string) {
  const county = town.slice(0, 6);
  return { county, town, names: ['龙岩市', countyNames.get(county)!, townNames.get(town)!] };
}

const judicialOffice = (town: string) => ({
  code: `${town}-judicial_office`,
  kind: 'judicial_office',
  name: `${townNames.get(town)}司法所`,
});

/** About 60 days of history before today, most of it mediated. */
export function historicalCases(now: Date, count = 180): CaseSpec[] {
  const random = prng(20240824);
  const specs: CaseSpec[] = [];
  for (let i = 0; i < count; i++) {
    const county = weighted(random, countyWeights);
    const towns = townsOf(county);
    // Most disputes come from a few busy towns of each county.
    const town = towns[Math.floor(random() ** 2 * Math.min(towns.length, 8))]!;
    const ageDays = 1 + Math.floor(random() * 58);
    const createdAt = new Date(now.getTime() - ageDays * day - Math.floor(random() * 10) * 3600_000);
    const dueAt = new Date(createdAt.getTime() + 10 * day);
    const takes = 1 + Math.floor(random() * 14);
    const ended = ageDays > takes && random() < (ageDays > 12 ? 0.93 : 0.6);
    const major = random() < 0.05;
    const spec: CaseSpec = {
      ...placeOf(town),
      channel: weighted(random, channelWeights),
      category: weighted(random, categoryWeights),
      severity: major ? 'major' : 'normal',
      expressLevel: major ? (random() < 0.6 ? 'township' : 'county') : null,
      createdAt,
      dueAt,
      departments: [judicialOffice(town)],
    };
    if (ended) {
      const resolvedAt = new Date(createdAt.getTime() + takes * day);
      const outcome = weighted(random, [
        ['mediated', 92],
        ['not_mediated', 5],
        ['withdrawn', 3],
      ] as [string, number][]);
      Object.assign(spec, {
        status: outcome === 'mediated' ? 'resolved' : 'unresolved',
        outcomeKind: outcome,
        resolvedAt,
      });
    } else {
      spec.status = weighted(random, [
        ['assigned', 3],
        ['accepted', 3],
        ['mediating', 4],
      ] as [string, number][]);
    }
    specs.push(spec);
  }
  return specs;
}

interface TodayCase {
  town: string;
  channel: DisputeReceivedV1['channel'];
  category: DisputeAssignedV1['category'];
  title: string;
  content: string;
  caller: string;
  /** The caller's name, when the caller asked for confidentiality (12345 保密). */
  confidentialCaller?: string;
  respondent?: string;
  major?: { level: 'township' | 'county' | 'city'; reason: string };
  /** Days from now to the due time: negative is overdue. */
  dueInDays: number;
  coHandlers?: { code: string; kind: string; name: string }[];
  progress?: 'mediated' | 'not_mediated' | 'accepted' | 'mediating';
}

const today: TodayCase[] = [
  {
    town: '350802107',
    channel: 'wechat',
    category: 'labor',
    title: '江山镇水库大坝维修工资拖欠',
    content: '在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
    caller: '13800001234',
    respondent: '水库工程包工头',
    dueInDays: 10,
    progress: 'mediated',
  },
  {
    town: '350802100',
    channel: 'hotline_12345',
    category: 'neighborhood',
    title: '红坊镇邻居违建挡光',
    content: '邻居加盖三楼挡住采光，多次协商无果。',
    caller: '13800002001',
    dueInDays: -3,
    progress: 'mediating',
  },
  {
    town: '350802100',
    channel: 'hotline_12345',
    category: 'property_mgmt',
    title: '小区物业费争议',
    content: '物业服务不到位，业主拒交物业费，物业公司停水。',
    caller: '13800002002',
    major: { level: 'township', reason: '涉及两百余户业主，有群体性风险' },
    dueInDays: -1,
  },
  {
    town: '350802002',
    channel: 'wechat',
    category: 'marriage_family',
    title: '离婚后子女抚养费纠纷',
    content: '前夫已半年未付抚养费。',
    caller: '13800002003',
    dueInDays: 7,
    progress: 'mediated',
  },
  {
    town: '350802001',
    channel: 'court',
    category: 'contract',
    title: '装修合同尾款诉前调解',
    content: '装修完工后业主拒付尾款两万元，法院委派诉前调解。',
    caller: '13800002004',
    dueInDays: 20,
    progress: 'accepted',
  },
  {
    town: '350803101',
    channel: 'hotline_12345',
    category: 'land_forest',
    title: '坎市镇山林界址争议',
    content: '两村对山林界址有争议，双方多次冲突。',
    caller: '13800003001',
    major: { level: 'county', reason: '两村村民多次冲突' },
    dueInDays: -2,
    coHandlers: [{ code: '350803-forestry', kind: 'forestry', name: '永定区林业局' }],
  },
  {
    town: '350803001',
    channel: 'wechat',
    category: 'consumer',
    title: '预付卡退费纠纷',
    content: '健身房关门，预付卡余额无法退还。',
    caller: '13800003002',
    dueInDays: 5,
    progress: 'not_mediated',
  },
  {
    town: '350821100',
    channel: 'hotline_12345',
    category: 'neighborhood',
    title: '汀州镇噪音扰民',
    content: '楼下商铺夜间噪音扰民。',
    caller: '13800004001',
    dueInDays: -4,
    progress: 'mediating',
  },
  {
    town: '350821100',
    channel: 'court',
    category: 'damages',
    title: '交通事故赔偿诉前调解',
    content: '电动车与行人相撞，赔偿金额有争议。',
    caller: '13800004002',
    dueInDays: 12,
  },
  {
    town: '350823100',
    channel: 'hotline_12345',
    category: 'labor',
    title: '建筑工地农民工工资',
    content: '工地二十余名农民工工资被拖欠。',
    caller: '13800005001',
    major: { level: 'county', reason: '农民工群体欠薪' },
    dueInDays: 3,
    coHandlers: [
      { code: '350823-labor_inspection', kind: 'labor_inspection', name: '上杭县劳动保障监察大队' },
    ],
  },
  {
    town: '350823101',
    channel: 'wechat',
    category: 'housing_homestead',
    title: '宅基地边界纠纷',
    content: '兄弟分家宅基地边界不清。',
    caller: '13800005002',
    dueInDays: 9,
    progress: 'mediated',
  },
  {
    town: '350824001',
    channel: 'hotline_12345',
    category: 'marriage_family',
    title: '赡养老人纠纷',
    content: '三个子女互相推诿赡养责任。',
    caller: '13800006001',
    dueInDays: -6,
  },
  {
    town: '350825100',
    channel: 'wechat',
    category: 'contract',
    title: '土地流转合同租金',
    content: '承包方拖欠土地流转租金。',
    caller: '13800007001',
    dueInDays: 15,
    progress: 'mediated',
  },
  {
    town: '350881001',
    channel: 'hotline_12345',
    category: 'neighborhood',
    title: '漳平菁城街道楼道堆物',
    content: '邻居长期在楼道堆放杂物，存在消防隐患。',
    caller: '13800008001',
    dueInDays: 6,
  },
];

/** Yang's matter, reported three times on the hotline: the case reaches the express lane by repeats. */
const yang = {
  town: '350803102',
  caller: '13900000001',
  respondent: '胡某',
  content: [
    '胡某拒不支付民事赔偿，法院判决后仍不履行，请求协调。',
    '再次反映：胡某仍拒不赔偿。',
    '第三次反映：胡某至今不赔偿，要求尽快处理。',
  ],
};

function intakeOf(input: {
  channel: DisputeReceivedV1['channel'];
  title?: string;
  content: string;
  town: string;
  caller: string;
  confidentialCaller?: string | undefined;
  respondent?: string | undefined;
  at: Date;
}): DisputeReceivedV1 {
  return {
    disputeId: randomUUID(),
    channel: input.channel,
    sourceRef: `SEED-${randomUUID().slice(0, 8)}`,
    revision: 1,
    receivedAt: input.at.toISOString(),
    ...(input.title && { title: input.title }),
    content: input.content,
    location: { divisionCode: input.town, address: placeOf(input.town).names.join('') },
    parties: [
      {
        role: input.channel === 'hotline_12345' ? 'caller' : 'applicant',
        kind: 'person',
        phone: input.caller,
        ...(input.confidentialCaller && { name: input.confidentialCaller, confidential: true }),
      },
      ...(input.respondent
        ? [{ role: 'respondent' as const, kind: 'person' as const, name: input.respondent }]
        : []),
    ],
    attachments: [],
  };
}

function decisionOf(
  dispute: DisputeReceivedV1,
  input: {
    town: string;
    category: DisputeAssignedV1['category'];
    dueAt: Date;
    major?: { level: 'township' | 'county' | 'city'; reason: string } | undefined;
    coHandlers?: { code: string; kind: string; name: string }[] | undefined;
  },
): DisputeAssignedV1 {
  const place = placeOf(input.town);
  const lead = judicialOffice(input.town);
  return {
    disputeId: dispute.disputeId,
    version: 1,
    decidedAt: new Date().toISOString(),
    jurisdiction: {
      cityCode: '350800',
      countyCode: place.county,
      townCode: place.town,
      names: place.names,
      resolution: 'exact',
    },
    category: input.category,
    severity: input.major ? 'major' : 'normal',
    lead: { ...lead, kind: lead.kind as never, divisionCode: input.town },
    coHandlers: (input.coHandlers ?? []).map((department) => ({
      ...department,
      kind: department.kind as never,
      divisionCode: place.county,
    })),
    dueAt: input.dueAt.toISOString(),
    expressLane: input.major ?? null,
    triage: null,
    trace: {
      rulesVersion: 'seed',
      rules: [],
      place: { how: 'exact', evidence: 'division code', candidates: [] },
      category: { source: 'text', confidence: 0.9 },
    },
    dispute,
  } as DisputeAssignedV1;
}

const leader: Actor = {
  kind: 'operator',
  claims: { sub: 'seed-leader', role: 'leader', scope: '350800', exp: Math.floor(Date.now() / 1000) + 3600 },
};

export interface Seeded {
  historical: number;
  today: number;
  yangCaseId: string;
}

/** Writes one case through the consumers (intake, then routing's decision), as the platform does. */
export async function writeCase(db: CasesDb, item: TodayCase, at = new Date()): Promise<string> {
  const dispute = intakeOf({ ...item, at });
  await recordIntake(db, dispute);
  await recordAssignment(
    db,
    decisionOf(dispute, { ...item, dueAt: new Date(at.getTime() + item.dueInDays * day) }),
  );
  return caseIdFor(dispute.disputeId);
}

export async function seedOverview(db: CasesDb, now = new Date()): Promise<Seeded> {
  const history = historicalCases(now);
  await insertCases(db, history);
  await rebuildCaseStats(db);

  for (const item of today) {
    const caseId = await writeCase(db, item, now);
    const by = 'seed';
    if (item.progress) await actOnCase(db, caseId, leader, { type: 'accept', by });
    if (item.progress && item.progress !== 'accepted') {
      await actOnCase(db, caseId, leader, {
        type: 'record_progress',
        by,
        note: '已联系双方当事人，组织调解',
      });
    }
    if (item.progress === 'mediated') {
      await actOnCase(db, caseId, leader, {
        type: 'record_outcome',
        by,
        outcome: {
          kind: 'mediated',
          summary: '双方达成调解协议',
          ...(item.category === 'labor' && { amount: 3800 }),
        },
      });
    }
    if (item.progress === 'not_mediated') {
      await actOnCase(db, caseId, leader, {
        type: 'record_outcome',
        by,
        outcome: { kind: 'not_mediated', summary: '调解不成，引导诉讼', referredTo: 'litigation' },
      });
    }
  }

  // Yang: three reports of one matter fold into one case and put it in the express lane; the
  // county takes it straight to the city secretary.
  let yangCaseId = '';
  for (const [i, content] of yang.content.entries()) {
    const caseId = await writeCase(
      db,
      {
        town: yang.town,
        channel: 'hotline_12345',
        category: 'damages',
        title: '杨某民事赔偿多次反映',
        content,
        caller: yang.caller,
        respondent: yang.respondent,
        dueInDays: 5,
        coHandlers: [
          { code: '350803-public_security_bureau', kind: 'public_security_bureau', name: '永定区公安局' },
          { code: '350803-court', kind: 'court', name: '永定区人民法院' },
        ],
      },
      new Date(now.getTime() + i * 60_000),
    );
    if (i === 0) yangCaseId = caseId;
  }
  await actOnCase(db, yangCaseId, leader, {
    type: 'escalate',
    by: 'seed',
    level: 'city',
    reason: 'repeated',
    detail: '多次反映未果，法院判决未履行，请求上级协调公安、法院联合处置',
  });
  return { historical: history.length, today: today.length + 1, yangCaseId };
}
