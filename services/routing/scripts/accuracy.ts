/**
 * Accuracy of the router on the hand-labelled reports, by field, by address style, and the category confusion.
 * Usage: npm run accuracy -w @huijie/routing
 */
import { CategoryCode } from '@huijie/contracts/vocabulary.ts';
import { createRouter } from '../src/domain/router.ts';
import { fields, loadLabelledReports, measureAccuracy } from './lib/labelled-set.ts';

const verbose = process.argv.includes('--misses');
const router = createRouter();
const reports = loadLabelledReports();
const result = measureAccuracy(router, reports);
const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`;

console.log(`rules ${router.rulesVersion}, ${result.total} labelled reports\n`);
console.log('accuracy by field');
for (const field of fields) {
  console.log(
    `  ${field.padEnd(9)} ${pct(result.correct[field], result.total).padStart(6)}  (${result.correct[field]}/${result.total})`,
  );
}
console.log(
  `  ${'all four'.padEnd(9)} ${pct(result.allRight, result.total).padStart(6)}  (${result.allRight}/${result.total})\n`,
);

console.log('all four right, by address style');
for (const [style, s] of [...result.byStyle].sort()) {
  console.log(`  ${style.padEnd(10)} ${pct(s.allRight, s.total).padStart(6)}  (${s.allRight}/${s.total})`);
}

const codes = CategoryCode.options;
const short = (code: string) => code.slice(0, 6);
console.log('\ncategory confusion (rows: expected, columns: decided)');
console.log(`  ${''.padEnd(16)}${codes.map((c) => short(c).padStart(7)).join('')}`);
for (const expected of codes) {
  const row = result.confusion.get(expected);
  if (!row) continue;
  console.log(`  ${expected.padEnd(16)}${codes.map((c) => String(row.get(c) ?? '.').padStart(7)).join('')}`);
}

const misses = result.misses.filter((m) => m.field === 'category');
if (misses.length > 0) {
  console.log('\ncategory misses');
  for (const m of misses) console.log(`  ${m.id}: expected ${m.expected}, decided ${m.got}`);
}
if (verbose) {
  console.log('\nall misses');
  for (const m of result.misses) console.log(`  ${m.id} ${m.field}: expected ${m.expected}, got ${m.got}`);
}
