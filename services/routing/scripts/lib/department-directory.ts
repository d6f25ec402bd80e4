import type { DepartmentKind } from '@huijie/contracts/vocabulary.ts';
import { countyShort, townForms } from '../../src/domain/division-names.ts';
import type { GazetteerData } from '../../src/domain/gazetteer.ts';

export interface DirectoryEntry {
  code: string;
  kind: DepartmentKind;
  name: string;
  divisionCode: string;
  /** Other names the same body goes by — how a citizen or a report may call it. */
  alsoKnownAs?: string[];
}

export interface DepartmentDirectoryFile {
  cityCode: string;
  source: string;
  departments: DirectoryEntry[];
}

/**
 * County-level bodies: how each is named from its county's name. A table, not per-county prose, because
 * Longyan's seven counties name their bodies the same way; an exception goes in `countyOverrides`.
 */
const countyBodies: {
  kind: DepartmentKind;
  name: (county: string, short: string) => string;
  aka?: (county: string) => string[];
}[] = [
  { kind: 'public_security_bureau', name: (c) => `${c}公安局` },
  { kind: 'court', name: (c) => `${c}人民法院` },
  { kind: 'justice_bureau', name: (c) => `${c}司法局` },
  { kind: 'labor_inspection', name: (c) => `${c}劳动保障监察大队`, aka: (c) => [`${c}人力资源和社会保障局`] },
  {
    kind: 'governance_center',
    name: (c) => `${c}社会治理综合指挥中心`,
    aka: (c) => [`${c}矛盾纠纷多元化解中心`, `${c}综治中心`],
  },
  { kind: 'petition_bureau', name: (c) => `${c}信访局` },
  { kind: 'housing_construction', name: (c) => `${c}住房和城乡建设局` },
  { kind: 'market_regulation', name: (c) => `${c}市场监督管理局` },
  { kind: 'health_commission', name: (c) => `${c}卫生健康局`, aka: (c) => [`${c}医疗纠纷人民调解委员会`] },
  { kind: 'natural_resources', name: (c) => `${c}自然资源局` },
  { kind: 'forestry', name: (c) => `${c}林业局` },
  { kind: 'traffic_police', name: (c) => `${c}公安局交通管理大队`, aka: (c) => [`${c}交警大队`] },
  { kind: 'ecology_environment', name: (_c, s) => `龙岩市${s}生态环境局` },
  { kind: 'women_federation', name: (c) => `${c}妇女联合会` },
];

/** Town bodies. 街道 have an office (办事处), not a government; police stations go by the short name. */
const townBodies: {
  kind: DepartmentKind;
  name: (town: string, short: string) => string;
  aka?: (town: string) => string[];
}[] = [
  { kind: 'judicial_office', name: (t) => `${t}司法所`, aka: (t) => [`${t}人民调解委员会`, '属地调解员'] },
  { kind: 'police_station', name: (_t, s) => `${s}派出所` },
  { kind: 'governance_office', name: (t) => `${t}综治办`, aka: (t) => [`${t}综治中心`] },
  { kind: 'township_government', name: (t) => (t.endsWith('街道') ? `${t}办事处` : `${t}人民政府`) },
];

/** 永定区 → 永定 (生态环境局 names use it); 下洋镇 → 下洋 (派出所 names use it). */
const countyShortName = (name: string) => countyShort(name) ?? name;
const townShortName = (name: string) => townForms(name).short ?? name;

export function buildDirectory(gazetteer: GazetteerData): DepartmentDirectoryFile {
  const departments: DirectoryEntry[] = [];
  const add = (divisionCode: string, kind: DepartmentKind, name: string, aka: string[] | undefined) => {
    const entry: DirectoryEntry = { code: `${divisionCode}-${kind}`, kind, name, divisionCode };
    if (aka && aka.length > 0) entry.alsoKnownAs = aka;
    departments.push(entry);
  };
  for (const [code, name] of gazetteer.counties) {
    for (const body of countyBodies)
      add(code, body.kind, body.name(name, countyShortName(name)), body.aka?.(name));
  }
  for (const [code, name] of gazetteer.towns) {
    for (const body of townBodies)
      add(code, body.kind, body.name(name, townShortName(name)), body.aka?.(name));
  }
  departments.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return {
    cityCode: gazetteer.city.code,
    source: `${gazetteer.source} + scripts/lib/department-directory.ts`,
    departments,
  };
}

export function serializeDirectory(file: DepartmentDirectoryFile): string {
  const rows = file.departments.map((d) => `    ${JSON.stringify(d)}`).join(',\n');
  return `{\n  "cityCode": ${JSON.stringify(file.cityCode)},\n  "source": ${JSON.stringify(file.source)},\n  "departments": [\n${rows}\n  ]\n}\n`;
}
