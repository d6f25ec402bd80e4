/**
 * Writes data/departments-<cityCode>.json from the committed gazetteer and the body table.
 * Usage: npx tsx services/routing/scripts/build-departments.ts 350800
 */
import { writeFileSync } from 'node:fs';
import { loadGazetteerData } from '../src/domain/gazetteer.ts';
import { buildDirectory, serializeDirectory } from './lib/department-directory.ts';

const cityCode = process.argv[2];
if (!cityCode) {
  console.error('usage: build-departments.ts <cityCode>   (e.g. 350800 for 龙岩市)');
  process.exit(2);
}
const directory = buildDirectory(loadGazetteerData(cityCode));
const target = new URL(`../data/departments-${cityCode}.json`, import.meta.url);
writeFileSync(target, serializeDirectory(directory));
console.log(`${directory.departments.length} departments → ${target.pathname}`);
