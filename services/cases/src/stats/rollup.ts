import { insertRows } from '../db/insert-rows.ts';
import type { CasesDb } from '../db/prisma.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { Tx } from '../outbox/outbox.ts';

/**
 * The read models — the statistics table (`cases.case_stats`) and the department index of the
 * search (`cases.department_cases`) — are kept in step with the cases inside the very
 * transaction that changes a case: the write side reads the case's facts before its change and
 * after it, and `applyCaseChanges` adds (after − before) to the sums. What one case contributes is
 * defined once, in SQL (`cases.case_stat_facts` / `case_stat_rows`, migration 20261129032000),
 * and the full rebuild uses the same function, so the two can never disagree. The write side
 * does this in `db/case-transaction.ts`: `touchCases` before a change, and at the end of the
 * transaction the facts of every case it touched are read again and all the differences are
 * appended, to be folded into the sums within a second (`stats/fold.ts`):
 *
 *     const before = await readCaseFacts(tx, caseIds);   // a case that does not exist yet is missing
 *     … create / update the cases and their assignments …
 *     const after = await readCaseFacts(tx, caseIds);
 *     await applyCaseChanges(tx, caseIds.map((id) => ({ before: before.get(id) ?? null, after: after.get(id) ?? null })));
 *
 * `readCaseFacts` locks the case rows (FOR UPDATE), so two transactions changing one case take
 * turns and each diff starts from what the other committed.
 */
export interface CaseFacts {
  id: string;
  createdAt: Date;
  status: string;
  channel: string;
  category: string | null;
  cityCode: string | null;
  countyCode: string | null;
  townCode: string | null;
  expressLevel: string | null;
  repeatCount: number;
  merged: boolean;
  outcomeKind: string | null;
  /** When the case ended: resolvedAt, else closedAt. */
  endedAt: Date | null;
  /** When it is due (open cases count towards "overdue" from then). */
  dueAt: Date | null;
  /** Departments with a live (not withdrawn) assignment, sorted. */
  departments: string[];
  /** Their kinds (judicial_office, police_station…), distinct and sorted. */
  departmentKinds: string[];
}

interface FactsRow {
  id: string;
  created_at: Date;
  status: string;
  channel: string;
  category: string | null;
  city_code: string | null;
  county_code: string | null;
  town_code: string | null;
  express_level: string | null;
  repeat_count: number;
  merged: boolean;
  outcome_kind: string | null;
  ended_at: Date | null;
  due_at: Date | null;
  departments: string[];
  department_kinds: string[];
}

/**
 * What each case counts for in the statistics now, locking their rows (in id order, so two
 * transactions touching the same cases take turns instead of deadlocking) for the rest of the
 * transaction. A case that does not exist is missing from the map.
 */
export async function readCaseFacts(tx: Tx, caseIds: string[]): Promise<Map<string, CaseFacts>> {
  if (caseIds.length === 0) return new Map();
  // Locked first, read after, in two statements: a statement that waited for a lock sees the
  // locked row as its holder committed it, but the rest (the assignments) as they were when it
  // began — facts half old and half new, counted wrong.
  await tx.$executeRaw`SELECT id FROM cases.cases WHERE id = ANY(${caseIds}::uuid[]) ORDER BY id FOR UPDATE`;
  const rows = await tx.$queryRaw<FactsRow[]>`
    SELECT c.id::text, c.created_at, c.status, c.channel, c.category, c.city_code, c.county_code, c.town_code,
           c.express_level, c.repeat_count, c.merged_into_id IS NOT NULL AS merged, c.outcome_kind,
           coalesce(c.resolved_at, c.closed_at) AS ended_at, c.due_at,
           coalesce(a.departments, '{}') AS departments, coalesce(a.department_kinds, '{}') AS department_kinds
    FROM cases.cases c
    LEFT JOIN LATERAL (
      SELECT array_agg(DISTINCT department_code ORDER BY department_code) AS departments,
             array_agg(DISTINCT department_kind ORDER BY department_kind) AS department_kinds
      FROM cases.assignments WHERE case_id = c.id AND status <> 'withdrawn'
    ) a ON TRUE
    WHERE c.id = ANY(${caseIds}::uuid[])`;
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        createdAt: row.created_at,
        status: row.status,
        channel: row.channel,
        category: row.category,
        cityCode: row.city_code,
        countyCode: row.county_code,
        townCode: row.town_code,
        expressLevel: row.express_level,
        repeatCount: row.repeat_count,
        merged: row.merged,
        outcomeKind: row.outcome_kind,
        endedAt: row.ended_at,
        dueAt: row.due_at,
        departments: row.departments,
        departmentKinds: row.department_kinds,
      },
    ]),
  );
}

function sameFacts(a: CaseFacts, b: CaseFacts): boolean {
  return (
    a.id === b.id &&
    a.createdAt.getTime() === b.createdAt.getTime() &&
    a.status === b.status &&
    a.channel === b.channel &&
    a.category === b.category &&
    a.cityCode === b.cityCode &&
    a.countyCode === b.countyCode &&
    a.townCode === b.townCode &&
    a.expressLevel === b.expressLevel &&
    a.repeatCount === b.repeatCount &&
    a.merged === b.merged &&
    a.outcomeKind === b.outcomeKind &&
    (a.endedAt?.getTime() ?? null) === (b.endedAt?.getTime() ?? null) &&
    (a.dueAt?.getTime() ?? null) === (b.dueAt?.getTime() ?? null) &&
    a.departments.join('\u0000') === b.departments.join('\u0000') &&
    a.departmentKinds.join('\u0000') === b.departmentKinds.join('\u0000')
  );
}

/** The sums each statistics row keeps. */
export const measures = [
  'cases',
  'escalated',
  'repeat_reports',
  'with_repeats',
  'mediated',
  'not_mediated',
  'withdrawn',
  'resolution_seconds',
] as const;

export interface CaseChange {
  /** null: the case did not exist before. */
  before: CaseFacts | null;
  /** null: the case no longer exists. */
  after: CaseFacts | null;
}

/** A side of a change as a row of `case_stats_pending`. */
const pendingRow = ({ sign, ...f }: { sign: number } & CaseFacts) => ({
  sign,
  created_at: f.createdAt,
  status: f.status,
  channel: f.channel,
  category: f.category,
  city_code: f.cityCode,
  county_code: f.countyCode,
  town_code: f.townCode,
  express_level: f.expressLevel,
  repeat_count: f.repeatCount,
  merged: f.merged,
  outcome_kind: f.outcomeKind,
  ended_at: f.endedAt,
  due_at: f.dueAt,
  departments: f.departments,
  department_kinds: f.departmentKinds,
});
const pendingColumns = {
  sign: 'int',
  created_at: 'timestamptz',
  status: 'text',
  channel: 'text',
  category: 'text',
  city_code: 'text',
  county_code: 'text',
  town_code: 'text',
  express_level: 'text',
  repeat_count: 'int',
  merged: 'boolean',
  outcome_kind: 'text',
  ended_at: 'timestamptz',
  due_at: 'timestamptz',
  departments: 'text[]',
  department_kinds: 'text[]',
} as const;

/**
 * Adds the cases' changes to the statistics: what each counts for `after` minus what it counted
 * for `before`. Call it in the transaction that made the changes, after them, with the facts
 * `readCaseFacts` read before and after. The department index changes at once; the statistics
 * take the two sides as pending rows (`case_stats_pending`), counted by readers from the commit
 * on and summed into `case_stats` by the folder (`stats/fold.ts`).
 */
export async function applyCaseChanges(tx: Tx, changes: CaseChange[]): Promise<void> {
  const real = changes.filter(
    ({ before, after }) => before !== after && !(before && after && sameFacts(before, after)),
  );
  if (real.length === 0) return;
  await applyDepartmentChanges(tx, real);
  const sides = real.flatMap(({ before, after }) => [
    ...(before ? [pendingRow({ sign: -1, ...before })] : []),
    ...(after ? [pendingRow({ sign: 1, ...after })] : []),
  ]);
  await insertRows(tx, 'case_stats_pending', pendingColumns, sides);
}

/** The cases' rows in department_cases follow their live assignments (and their receipt time). */
async function applyDepartmentChanges(tx: Tx, changes: CaseChange[]): Promise<void> {
  const removed: { department_code: string; created_at: Date; case_id: string }[] = [];
  const added: typeof removed = [];
  for (const { before, after } of changes) {
    const moved = before && after && before.createdAt.getTime() !== after.createdAt.getTime();
    for (const code of before?.departments ?? []) {
      if (moved || !after || !after.departments.includes(code))
        removed.push({ department_code: code, created_at: before!.createdAt, case_id: before!.id });
    }
    for (const code of after?.departments ?? []) {
      if (moved || !before || !before.departments.includes(code))
        added.push({ department_code: code, created_at: after!.createdAt, case_id: after!.id });
    }
  }
  const rows = Prisma.raw('department_code text, created_at timestamptz, case_id uuid');
  if (removed.length > 0) {
    await tx.$executeRaw`
      DELETE FROM cases.department_cases d
      USING jsonb_to_recordset(${JSON.stringify(removed)}::jsonb) AS r(${rows})
      WHERE d.department_code = r.department_code AND d.created_at = r.created_at AND d.case_id = r.case_id`;
  }
  if (added.length > 0) {
    await tx.$executeRaw`
      INSERT INTO cases.department_cases (department_code, created_at, case_id)
      SELECT department_code, created_at, case_id FROM jsonb_to_recordset(${JSON.stringify(added)}::jsonb) AS r(${rows})
      ORDER BY 1, 2, 3
      ON CONFLICT DO NOTHING`;
  }
}

/**
 * Recomputes the statistics table and the department index from the cases, in one transaction: for the benchmark's
 * seeding, after a bulk load that bypassed the write side, or as a check (run
 * `scripts/rebuild-stats.ts`). Writers wait on the table lock meanwhile and then apply their
 * change on top of the rebuilt sums, so nothing is lost or counted twice.
 */
export async function rebuildCaseStats(db: CasesDb, options: { timeoutMs?: number } = {}): Promise<number> {
  const cols = Prisma.raw(measures.join(', '));
  const sums = Prisma.raw(measures.map((m) => `sum(r.${m})`).join(', '));
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`LOCK TABLE cases.case_stats, cases.case_stats_pending, cases.department_cases IN EXCLUSIVE MODE`;
      // One big aggregation: let it hash in memory rather than spill (this transaction only).
      await tx.$executeRaw`SET LOCAL work_mem = '256MB'`;
      // What is pending is in the cases already: recounted below with the rest.
      await tx.$executeRaw`DELETE FROM cases.case_stats_pending`;
      await tx.$executeRaw`DELETE FROM cases.case_stats`;
      // What each case counts for (the same function as applyCaseChanges), summed per place at the
      // three levels in one pass over the cases.
      const days = await tx.$executeRaw`
        INSERT INTO cases.case_stats (basis, dim, level, place, grain, day, value, ${cols})
        SELECT r.basis, r.dim,
               CASE WHEN GROUPING(c.town_code) = 0 THEN 'town' WHEN GROUPING(c.county_code) = 0 THEN 'county' ELSE 'city' END,
               CASE WHEN GROUPING(c.town_code) = 0 THEN c.town_code WHEN GROUPING(c.county_code) = 0 THEN c.county_code
                    ELSE c.city_key END,
               'day', r.day, r.value, ${sums}
        FROM (
          SELECT id, created_at, status, channel, category, coalesce(city_code, '') AS city_key, county_code, town_code,
                 express_level, repeat_count, outcome_kind, coalesce(resolved_at, closed_at) AS ended_at, due_at
          FROM cases.cases WHERE merged_into_id IS NULL
        ) c
        LEFT JOIN (
          SELECT case_id,
                 array_agg(DISTINCT department_code ORDER BY department_code) AS departments,
                 array_agg(DISTINCT department_kind ORDER BY department_kind) AS department_kinds
          FROM cases.assignments WHERE status <> 'withdrawn' GROUP BY case_id
        ) a ON a.case_id = c.id
        CROSS JOIN LATERAL cases.case_stat_facts(
          c.created_at, c.status, c.channel, c.category, c.express_level, c.repeat_count, FALSE, c.outcome_kind,
          c.ended_at, c.due_at, coalesce(a.departments, '{}'), coalesce(a.department_kinds, '{}')) r
        GROUP BY GROUPING SETS (
          (r.basis, r.dim, c.city_key, r.day, r.value),
          (r.basis, r.dim, c.county_code, r.day, r.value),
          (r.basis, r.dim, c.town_code, r.day, r.value))
        HAVING CASE WHEN GROUPING(c.town_code) = 0 THEN c.town_code IS NOT NULL
                    WHEN GROUPING(c.county_code) = 0 THEN c.county_code IS NOT NULL
                    ELSE TRUE END
        -- Written in key order, the rows a statistic reads together sit in the same pages.
        ORDER BY 1, 2, 3, 4, 6, 7`;
      await tx.$executeRaw`
        INSERT INTO cases.case_stats (basis, dim, level, place, grain, day, value, ${cols})
        SELECT basis, dim, level, place, 'month', date_trunc('month', day)::date, value,
               ${Prisma.raw(measures.map((m) => `sum(${m})`).join(', '))}
        FROM cases.case_stats WHERE grain = 'day'
        GROUP BY basis, dim, level, place, date_trunc('month', day), value
        ORDER BY basis, dim, level, place, date_trunc('month', day), value`;
      await tx.$executeRaw`DELETE FROM cases.department_cases`;
      await tx.$executeRaw`
        INSERT INTO cases.department_cases (department_code, created_at, case_id)
        SELECT DISTINCT a.department_code, c.created_at, c.id
        FROM cases.assignments a JOIN cases.cases c ON c.id = a.case_id
        WHERE a.status <> 'withdrawn'
        ORDER BY 1, 2, 3`;
      return days;
    },
    { timeout: options.timeoutMs ?? 30 * 60_000, maxWait: 60_000 },
  );
}

/**
 * Every statistics row that counts something, as readers see it (the sums and the changes still
 * pending, added up), in key order: "basis/dim/level/place/grain/day/value" → its sums. To check
 * what the write side kept against `rebuildCaseStats`.
 */
export async function statisticsSnapshot(db: CasesDb): Promise<{ key: string; sums: string }[]> {
  const sums = Prisma.raw(measures.map((m) => `sum(${m})`).join(', '));
  const nonZero = Prisma.raw(measures.map((m) => `sum(${m}) <> 0`).join(' OR '));
  return db.$queryRaw<{ key: string; sums: string }[]>`
    SELECT concat_ws('/', basis, dim, level, place, grain, day, value) AS key, concat_ws(' ', ${sums}) AS sums
    FROM cases.case_stats_live
    GROUP BY basis, dim, level, place, grain, day, value
    HAVING ${nonZero}
    ORDER BY basis, dim, level, place, grain, day, value`;
}
