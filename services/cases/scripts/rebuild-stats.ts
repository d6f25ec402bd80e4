/**
 * Recounts the statistics table (cases.case_stats) from the cases themselves.
 *
 *   DATABASE_URL=postgres://… npx tsx services/cases/scripts/rebuild-stats.ts [--check]
 *   npx tsx services/cases/scripts/rebuild-stats.ts [--check]     (standalone: DATA_DIR, default ./data;
 *                                                                 stop the platform first)
 *
 * The write side keeps the table in step case by case (applyCaseChanges); this is for after a bulk
 * load that went around it, or to check it: `--check` also reports the rows the recount changed
 * (exit 1 when any did; run it when nothing else writes, or a case changing meanwhile shows up as a
 * difference). Safe while the service runs: writers wait for the table during the recount and
 * apply their change on top of it.
 */
import { commonEnv, parseConfig } from '@huijie/service-kit/config.ts';
import { z } from 'zod';
import { rebuildCaseStats, statisticsSnapshot } from '../src/stats/rollup.ts';
import { openCasesDb } from './open-cases-db.ts';

const config = parseConfig(
  z.object({ DATABASE_URL: commonEnv.DATABASE_URL.optional(), DATA_DIR: z.string().default('data') }),
  Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')),
);
const check = process.argv.includes('--check');

const { db, close } = await openCasesDb(config);

const started = performance.now();
try {
  const before = check ? new Map((await statisticsSnapshot(db)).map((row) => [row.key, row.sums])) : null;
  const rows = await rebuildCaseStats(db);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (!before) {
    console.error(
      `statistics recounted: ${rows.toLocaleString('en-US')} day rows (and their months) in ${seconds}s`,
    );
  } else {
    const after = new Map((await statisticsSnapshot(db)).map((row) => [row.key, row.sums]));
    const differing = [...new Set([...before.keys(), ...after.keys()])].filter(
      (key) => before.get(key) !== after.get(key),
    );
    for (const key of differing.slice(0, 50)) {
      console.error(`${key}: kept ${before.get(key) ?? '(none)'} / recounted ${after.get(key) ?? '(none)'}`);
    }
    console.error(
      differing.length === 0
        ? `statistics agree with the cases (${after.size.toLocaleString('en-US')} rows, ${seconds}s)`
        : `${differing.length} statistics rows differed from the cases; they are recounted now`,
    );
    process.exitCode = differing.length === 0 ? 0 : 1;
  }
} finally {
  await close();
}
