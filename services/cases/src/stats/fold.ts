import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop } from '@huijie/service-kit/work-loop.ts';
import type { CasesDb } from '../db/prisma.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { measures } from './rollup.ts';

/** Pending changes folded by one statement, at most: its aggregation stays in memory. */
const maxFacts = 4_000;

/** Whether any change to the statistics waits to be folded: a look far cheaper to plan than a fold or a read of the view. */
export async function statsPending(db: CasesDb): Promise<boolean> {
  const [row] = await db.$queryRaw<{ pending: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM cases.case_stats_pending) AS pending`;
  return row?.pending ?? false;
}

/**
 * Moves pending statistics changes (`case_stats_pending`, appended by `applyCaseChanges`) into
 * the sums (`case_stats`), in one statement: the changes it deletes are the ones it adds, summed
 * per row first, so the rows many cases share are written once per fold instead of once per
 * transaction. Readers see each change exactly once throughout: pending until this commits,
 * summed after. Two folders at once never fold a change twice (the second skips what the first
 * deleted), and rows are written in key order, so they do not deadlock. Returns how many pending
 * changes it folded.
 */
export async function foldPendingStats(db: CasesDb): Promise<number> {
  // Idle, the folder only looks (standalone runs it on embedded PostgreSQL, where planning the fold is not free).
  if (!(await statsPending(db))) return 0;
  const columns = Prisma.raw(measures.join(', '));
  const sums = Prisma.raw(measures.map((m) => `sum(${m})`).join(', '));
  const nonZero = Prisma.raw(measures.map((m) => `sum(${m}) <> 0`).join(' OR '));
  const updates = Prisma.raw(measures.map((m) => `${m} = s.${m} + excluded.${m}`).join(', '));
  // Every part of the statement reads one snapshot: the view still shows the rows the DELETE removes.
  const [result] = await db.$queryRaw<{ folded: number }[]>`
    WITH moved AS (
      DELETE FROM cases.case_stats_pending
      WHERE id IN (SELECT id FROM cases.case_stats_pending ORDER BY id LIMIT ${maxFacts})
      RETURNING id
    ), summed AS (
      -- Runs whether or not the statement reads it, as every data-modifying WITH does.
      INSERT INTO cases.case_stats AS s (basis, dim, level, place, grain, day, value, ${columns})
      SELECT basis, dim, level, place, grain, day, value, ${sums}
      FROM cases.case_stats_pending_rows
      WHERE pending_id IN (SELECT id FROM moved)
      GROUP BY 1, 2, 3, 4, 5, 6, 7
      HAVING ${nonZero}
      ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT (basis, dim, level, place, grain, day, value) DO UPDATE SET ${updates}
    )
    SELECT count(*)::int AS folded FROM moved`;
  return result?.folded ?? 0;
}

/**
 * Folds pending statistics changes every `intervalMs`: the longer the interval, the more
 * transactions' changes share each write of a sum, and the more a reader adds up from the pending
 * rows. Under a backlog it folds again at once.
 */
export function startStatsFolder(deps: { db: CasesDb; logger: Logger; intervalMs?: number }) {
  // What a stop leaves pending is still counted by readers, and folded by the next folder to run.
  return startWorkLoop({
    name: 'statistics fold',
    logger: deps.logger,
    intervalMs: deps.intervalMs ?? 1_000,
    work: async () => (await foldPendingStats(deps.db)) >= maxFacts,
  });
}
