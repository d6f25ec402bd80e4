import type { CasesDb } from '../db/prisma.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { isCityCode, openStatusSql, placeSql, scopeSql } from '../search/filters.ts';
import { localDay, startOfLocalDay } from '../search/local-time.ts';
import { statsPending } from './fold.ts';
import { type Interval, type Period, type Segment, segmentsOf } from './periods.ts';

export type Basis = 'received' | 'ended' | 'open';
export type StatsLevel = 'city' | 'county' | 'town';

/** The sums one statistics row carries (see the CaseStat model). */
export interface Sums {
  cases: number;
  escalated: number;
  repeatReports: number;
  withRepeats: number;
  mediated: number;
  notMediated: number;
  withdrawn: number;
  resolutionSeconds: number;
}

export const zeroSums = (): Sums => ({
  cases: 0,
  escalated: 0,
  repeatReports: 0,
  withRepeats: 0,
  mediated: 0,
  notMediated: 0,
  withdrawn: 0,
  resolutionSeconds: 0,
});

export function addSums(into: Sums, more: Sums): Sums {
  for (const key of Object.keys(into) as (keyof Sums)[]) into[key] += more[key];
  return into;
}

/** Where the statistics look: rows of one level, for some places or for every place under a prefix. */
export type PlaceSelector = { level: StatsLevel; codes: string[] } | { level: StatsLevel; prefix: string };

/** The rows of a place itself: the city also holds the cases not placed yet (place ''). */
export function placeItself(code: string): PlaceSelector {
  if (isCityCode(code)) return { level: 'city', codes: [code, ''] };
  if (code.length === 6) return { level: 'county', codes: [code] };
  return { level: 'town', codes: [code] };
}

export function levelOf(code: string): StatsLevel | null {
  if (isCityCode(code)) return 'city';
  if (code.length === 6) return 'county';
  if (code.length === 9) return 'town';
  return null;
}

/** The places one level down (or at `level`, at most two down): the city's counties, a county's towns. */
export function placesUnder(code: string, level?: StatsLevel): { level: StatsLevel; prefix: string } | null {
  const own = levelOf(code);
  const prefix = own === 'city' ? code.slice(0, 4) : code;
  const target = level ?? (own === 'city' ? 'county' : own === 'county' ? 'town' : null);
  if (!target || !own) return null;
  const rank = { city: 0, county: 1, town: 2 } as const;
  if (rank[target] <= rank[own]) return null;
  return { level: target, prefix };
}

export interface SumRow extends Sums {
  label: string;
  basis: Basis;
  dim: string;
  value: string;
  place: string;
  /** The bucket's first day, when grouped by interval. */
  bucket: string;
}

const measureSql = Prisma.raw(
  [
    'sum(cases)::float8 AS "cases"',
    'sum(escalated)::float8 AS "escalated"',
    'sum(repeat_reports)::float8 AS "repeatReports"',
    'sum(with_repeats)::float8 AS "withRepeats"',
    'sum(mediated)::float8 AS "mediated"',
    'sum(not_mediated)::float8 AS "notMediated"',
    'sum(withdrawn)::float8 AS "withdrawn"',
    'sum(resolution_seconds::float8) AS "resolutionSeconds"',
  ].join(', '),
);

/**
 * Where the statistics are read from: the sums alone when no change is pending (most of the
 * time), else the sums with the changes not folded yet (`case_stats_live`), whose planning alone
 * costs a few milliseconds per part of a query. A change committed between this look and the read
 * is not counted, as if the read had come just before it.
 */
async function statsSource(db: CasesDb): Promise<Prisma.Sql> {
  return Prisma.raw((await statsPending(db)) ? 'cases.case_stats_live' : 'cases.case_stats');
}

/**
 * Sums of the statistics table: for each labelled period (or all time), each (basis, dimension,
 * value), optionally per place and per interval. Each period is read as whole months plus edge
 * days, every part an index range, so the work depends on the periods' length in months, not on
 * how many cases there are.
 */
export async function sumStats(
  db: CasesDb,
  query: {
    bases: Basis[];
    dims: string[];
    where: PlaceSelector;
    /** Each period, optionally with fewer bases than the query's (a comparison may need less). */
    periods: { label: string; period: Period | 'all'; bases?: Basis[] }[];
    byPlace?: boolean;
    /** Group by interval: day and week read day rows, month reads month rows (and days to adjust). */
    interval?: Interval;
    /** No row of these bases exists from this day on (received and ended are never in the future). */
    dataEnd?: string;
  },
): Promise<SumRow[]> {
  const source = await statsSource(db);
  const placeCondition =
    'codes' in query.where
      ? Prisma.sql`place = ANY(${query.where.codes}::text[])`
      : Prisma.sql`place LIKE ${`${query.where.prefix}%`}`;
  const parts: Prisma.Sql[] = [];
  for (const { label, period, bases } of query.periods) {
    const segments: (Segment | null)[] =
      period === 'all'
        ? [null]
        : query.interval === 'day' || query.interval === 'week'
          ? [{ grain: 'day', ...period, sign: 1 }]
          : segmentsOf(period, query.dataEnd === undefined ? {} : { dataEnd: query.dataEnd });
    for (const segment of segments) {
      const grainCondition =
        segment === null
          ? Prisma.sql`grain = 'month'`
          : Prisma.sql`grain = ${segment.grain} AND day >= ${segment.from}::date AND day < ${segment.to}::date`;
      const sign = Prisma.raw(segment?.sign === -1 ? '-1' : '1');
      parts.push(Prisma.sql`
        SELECT ${label}::text AS label, basis, dim, value, place, day, ${sign} * cases AS cases,
               ${sign} * escalated AS escalated, ${sign} * repeat_reports AS repeat_reports,
               ${sign} * with_repeats AS with_repeats, ${sign} * mediated AS mediated,
               ${sign} * not_mediated AS not_mediated, ${sign} * withdrawn AS withdrawn,
               ${sign} * resolution_seconds AS resolution_seconds
        FROM ${source}
        WHERE basis = ANY(${bases ?? query.bases}::text[]) AND dim = ANY(${query.dims}::text[])
          AND level = ${query.where.level} AND ${placeCondition} AND ${grainCondition}`);
    }
  }
  if (parts.length === 0) return [];
  const place = query.byPlace ? Prisma.raw('place') : Prisma.raw(`''::text`);
  const bucket =
    query.interval === undefined
      ? Prisma.raw(`''::text`)
      : query.interval === 'day'
        ? Prisma.raw(`to_char(day, 'YYYY-MM-DD')`)
        : Prisma.raw(`to_char(date_trunc('${query.interval}', day), 'YYYY-MM-DD')`);
  return db.$queryRaw<SumRow[]>`
    SELECT label, basis, dim, value, ${place} AS place, ${bucket} AS bucket, ${measureSql}
    FROM (${Prisma.join(parts, ' UNION ALL ')}) r
    GROUP BY 1, 2, 3, 4, 5, 6`;
}

export interface OpenNow {
  open: number;
  overdue: number;
  escalatedOpen: number;
  byStatus: Map<string, number>;
}

/**
 * What is open right now in a place (or in each place one level down): open cases, by status, those
 * past their due time, those in the express lane. From the statistics' "open" rows (open cases by
 * due day; every day before today is overdue), plus a live count of the cases due earlier today
 * from the index of open cases by due time.
 */
export async function openNow(
  db: CasesDb,
  input: { scope: string; place: string; now: Date; groupBy?: StatsLevel; withStatus?: boolean },
): Promise<Map<string, OpenNow>> {
  const today = localDay(input.now);
  const monthStart = `${today.slice(0, 7)}-01`;
  const where = input.groupBy ? placesUnder(input.place, input.groupBy) : placeItself(input.place);
  if (!where) return new Map();
  const source = await statsSource(db);
  const placeCondition =
    'codes' in where
      ? Prisma.sql`place = ANY(${where.codes}::text[])`
      : Prisma.sql`place LIKE ${`${where.prefix}%`}`;
  const key =
    input.groupBy === 'county'
      ? Prisma.raw(`coalesce(c.county_code, '')`)
      : input.groupBy === 'town'
        ? Prisma.raw(`coalesce(c.town_code, '')`)
        : Prisma.raw(`''::text`);
  const dims = input.withStatus ? ['all', 'status'] : ['all'];
  const [rows, dueToday] = await Promise.all([
    // Month rows hold every open case once; days of this month before today add the rest of what
    // is overdue to the earlier months.
    db.$queryRaw<
      { place: string; dim: string; value: string; open: number; escalated: number; overdue: number }[]
    >`
      SELECT place, dim, value,
             coalesce(sum(cases) FILTER (WHERE grain = 'month'), 0)::float8 AS open,
             coalesce(sum(escalated) FILTER (WHERE grain = 'month'), 0)::float8 AS escalated,
             coalesce(sum(cases) FILTER (WHERE (grain = 'month' AND day < ${monthStart}::date) OR grain = 'day'), 0)::float8 AS overdue
      FROM ${source}
      WHERE basis = 'open' AND dim = ANY(${dims}::text[]) AND level = ${where.level} AND ${placeCondition}
        AND (grain = 'month' OR (grain = 'day' AND day >= ${monthStart}::date AND day < ${today}::date))
      GROUP BY place, dim, value`,
    db.$queryRaw<{ key: string; overdue: number }[]>`
      SELECT ${key} AS key, count(*)::int AS overdue
      FROM cases.cases c
      WHERE c.merged_into_id IS NULL AND c.status IN ${openStatusSql}
        AND c.due_at >= ${startOfLocalDay(today)} AND c.due_at < ${input.now}
        AND ${scopeSql(input.scope)} AND ${isCityCode(input.place) ? Prisma.sql`TRUE` : placeSql(input.place)}
      GROUP BY 1`,
  ]);
  const out = new Map<string, OpenNow>();
  const slot = (place: string) => {
    let found = out.get(place);
    if (!found) {
      found = { open: 0, overdue: 0, escalatedOpen: 0, byStatus: new Map() };
      out.set(place, found);
    }
    return found;
  };
  for (const row of rows) {
    const at = slot(input.groupBy ? row.place : '');
    if (row.dim === 'all') {
      at.open += row.open;
      at.escalatedOpen += row.escalated;
      at.overdue += row.overdue;
    } else {
      at.byStatus.set(row.value, (at.byStatus.get(row.value) ?? 0) + row.open);
    }
  }
  for (const row of dueToday) slot(row.key).overdue += row.overdue;
  return out;
}

/**
 * Names for division codes, as routing recorded them on the cases (names most general first:
 * 龙岩市 / 新罗区 / 江山镇): one indexed lookup per code.
 */
export async function placeNames(db: CasesDb, codes: string[]): Promise<Map<string, string>> {
  const wanted = codes.filter((code) => code.length > 0);
  if (wanted.length === 0) return new Map();
  const rows = await db.$queryRaw<{ code: string; names: string[] | null }[]>`
    SELECT k.code,
      CASE WHEN length(k.code) = 9 THEN
             (SELECT c.place_names FROM cases.cases c WHERE c.county_code = left(k.code, 6) AND c.town_code = k.code
              AND c.place_names IS NOT NULL LIMIT 1)
           WHEN right(k.code, 2) = '00' THEN
             (SELECT c.place_names FROM cases.cases c WHERE c.city_code = k.code AND c.place_names IS NOT NULL LIMIT 1)
           ELSE
             (SELECT c.place_names FROM cases.cases c WHERE c.county_code = k.code AND c.place_names IS NOT NULL LIMIT 1)
      END AS names
    FROM unnest(${wanted}::text[]) k(code)`;
  const names = new Map<string, string>();
  for (const row of rows) {
    const index = row.code.length === 9 ? 2 : isCityCode(row.code) ? 0 : 1;
    const name = row.names?.[index];
    if (name) names.set(row.code, name);
  }
  return names;
}

/** Department names as the assignments recorded them. */
export async function departmentNames(db: CasesDb, codes: string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = await db.$queryRaw<{ code: string; name: string | null }[]>`
    SELECT k.code, (SELECT a.department_name FROM cases.assignments a WHERE a.department_code = k.code LIMIT 1) AS name
    FROM unnest(${codes}::text[]) k(code)`;
  return new Map(rows.filter((row) => row.name !== null).map((row) => [row.code, row.name!]));
}
