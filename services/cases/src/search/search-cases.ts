import { agencyText } from '@huijie/contracts/agency-copies.ts';
import { badRequest } from '@huijie/service-kit/errors.ts';
import { z } from 'zod';
import type { CasesDb } from '../db/prisma.ts';
import {
  confidentialNamesOfCase,
  type PartyRow,
  type ReportParties,
} from '../domain/confidential-parties.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { queryGramsOf, searchGramsOf } from './bigrams.ts';
import {
  type CaseFilter,
  caseConditions,
  openStatuses,
  type Reach,
  type SortOrder,
  withinReach,
} from './filters.ts';
import { commonTextThreshold, type GramStatistics } from './gram-stats.ts';

export const maxPageSize = 200;

/**
 * A position in one sort order: the sort key of the last case returned and its id (the tie-break).
 * Opaque to clients (base64url JSON); bound to its sort order so it cannot be replayed on another.
 */
interface Cursor {
  v: 1;
  s: SortOrder;
  /** created_at (newest/oldest) or due_at (due, null for "no due time") of the last case, ISO. */
  k: string | null;
  i: string;
}

export function encodeCursor(sort: SortOrder, key: Date | null, id: string): string {
  const cursor: Cursor = { v: 1, s: sort, k: key ? key.toISOString() : null, i: id };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(value: string, sort: SortOrder): { key: Date | null; id: string } {
  let cursor: Cursor;
  try {
    cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw badRequest([{ field: 'cursor', reason: 'not a cursor this API returned' }]);
  }
  const uuid = z.uuid();
  if (
    cursor?.v !== 1 ||
    !uuid.safeParse(cursor.i).success ||
    (cursor.k !== null && Number.isNaN(Date.parse(String(cursor.k)))) ||
    (cursor.k === null && cursor.s !== 'due')
  ) {
    throw badRequest([{ field: 'cursor', reason: 'not a cursor this API returned' }]);
  }
  if (cursor.s !== sort) {
    throw badRequest([
      { field: 'cursor', reason: `this cursor continues a sort=${cursor.s} listing, not sort=${sort}` },
    ]);
  }
  return { key: cursor.k === null ? null : new Date(cursor.k), id: cursor.i };
}

function orderSql(sort: SortOrder, alias = 'c.'): Prisma.Sql {
  const a = Prisma.raw(alias);
  switch (sort) {
    case 'newest':
      return Prisma.sql`${a}created_at DESC, ${a}id DESC`;
    case 'oldest':
      return Prisma.sql`${a}created_at ASC, ${a}id ASC`;
    case 'due':
      return Prisma.sql`${a}due_at ASC NULLS LAST, ${a}id ASC`;
    default: {
      const unreachable: never = sort;
      throw new Error(`unknown sort ${unreachable}`);
    }
  }
}

/** Strictly after the cursor in the sort order: keyset pagination, stable under inserts. */
function afterSql(sort: SortOrder, cursor: { key: Date | null; id: string }): Prisma.Sql {
  switch (sort) {
    case 'newest':
      return Prisma.sql`(c.created_at, c.id) < (${cursor.key}::timestamptz, ${cursor.id}::uuid)`;
    case 'oldest':
      return Prisma.sql`(c.created_at, c.id) > (${cursor.key}::timestamptz, ${cursor.id}::uuid)`;
    case 'due':
      return cursor.key === null
        ? Prisma.sql`(c.due_at IS NULL AND c.id > ${cursor.id}::uuid)`
        : Prisma.sql`((c.due_at, c.id) > (${cursor.key}::timestamptz, ${cursor.id}::uuid) OR c.due_at IS NULL)`;
    default: {
      const unreachable: never = sort;
      throw new Error(`unknown sort ${unreachable}`);
    }
  }
}

export interface CaseRow {
  id: string;
  status: string;
  category: string | null;
  severity: string;
  channel: string;
  title: string | null;
  city_code: string | null;
  county_code: string | null;
  town_code: string | null;
  village_code: string | null;
  place_names: string[] | null;
  express_level: string | null;
  triage_code: string | null;
  due_at: Date | null;
  repeat_count: number;
  outcome_kind: string | null;
  outcome_amount: Prisma.Decimal | string | null;
  referred_to: string | null;
  escalated_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** Its live assignments, lead first. */
  departments: DepartmentRow[];
}

export interface DepartmentRow {
  code: string;
  name: string;
  role: string;
  status: string;
}

const columns = Prisma.raw(
  `c.id, c.status, c.category, c.severity, c.channel, c.title, c.city_code, c.county_code, c.town_code,
   c.village_code, c.place_names, c.express_level, c.triage_code, c.due_at, c.repeat_count, c.outcome_kind,
   c.outcome_amount::text AS outcome_amount, c.referred_to, c.escalated_at, c.resolved_at, c.closed_at,
   c.created_at, c.updated_at`,
);

export interface Page {
  rows: CaseRow[];
  /** The key of the last row, when there are more rows after it. */
  next: { key: Date | null; id: string } | null;
}

/** What a search asks for: whose cases, which of them, in which order, from where. */
export interface PageRequest {
  reach: Reach;
  filter: Omit<CaseFilter, 'sort'>;
  sort: SortOrder;
  limit: number;
  after?: { key: Date | null; id: string } | undefined;
  now: Date;
  /** False when the search words are common: see gram-stats.ts. */
  textViaIndex?: boolean;
}

/** The position of a row in the sort order: what a cursor after it holds. */
const positionOf = (row: CaseRow, sort: SortOrder) => ({
  key: sort === 'due' ? row.due_at : row.created_at,
  id: row.id,
});

/**
 * One page of the cases within reach (an operator's jurisdiction, an agency's worklist) matching
 * the filter, in the given order, strictly after `after`. Reads `limit + 1` rows to know whether
 * another page exists.
 */
export async function findCasePage(db: CasesDb, input: PageRequest): Promise<Page> {
  // One department, by receipt: walk that department's cases in order (an agency's worklist)
  // rather than every case testing whether the department is on it.
  const filter = withinReach(input.filter, input.reach);
  const department = filter.department?.length === 1 && input.sort !== 'due' ? filter.department[0]! : null;
  const conditions = caseConditions(
    'scope' in input.reach ? input.reach.scope : null,
    filter,
    input.now,
    'c',
    {
      textViaIndex: input.textViaIndex ?? true,
      departmentDriven: department !== null,
    },
  );
  let page: Prisma.Sql;
  let order: Prisma.Sql;
  if (department !== null) {
    const descending = input.sort === 'newest';
    if (input.after) {
      conditions.push(
        descending
          ? Prisma.sql`(dc.created_at, dc.case_id) < (${input.after.key}::timestamptz, ${input.after.id}::uuid)`
          : Prisma.sql`(dc.created_at, dc.case_id) > (${input.after.key}::timestamptz, ${input.after.id}::uuid)`,
      );
    }
    order = Prisma.raw(descending ? 'created_at DESC, id DESC' : 'created_at ASC, id ASC');
    page = Prisma.sql`
      SELECT ${columns} FROM cases.department_cases dc JOIN cases.cases c ON c.id = dc.case_id
      WHERE dc.department_code = ${department} AND ${Prisma.join(conditions, ' AND ')}
      ORDER BY ${Prisma.raw(descending ? 'dc.created_at DESC, dc.case_id DESC' : 'dc.created_at ASC, dc.case_id ASC')}
      LIMIT ${input.limit + 1}`;
  } else {
    if (input.after) conditions.push(afterSql(input.sort, input.after));
    order = orderSql(input.sort, '');
    page = Prisma.sql`
      SELECT ${columns} FROM cases.cases c
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY ${orderSql(input.sort)}
      LIMIT ${input.limit + 1}`;
  }
  // The page's departments in the same round trip, looked up for the page's rows only.
  const rows = await db.$queryRaw<CaseRow[]>`
    SELECT p.*, coalesce((
      SELECT json_agg(json_build_object('code', a.department_code, 'name', a.department_name, 'role', a.role,
                                        'status', a.status) ORDER BY (a.role = 'lead') DESC, a.department_code)
      FROM cases.assignments a WHERE a.case_id = p.id AND a.status <> 'withdrawn'), '[]'::json) AS departments
    FROM (${page}) p
    ORDER BY ${order}`;
  const more = rows.length > input.limit;
  if (more) rows.length = input.limit;
  const last = rows.at(-1);
  return { rows, next: more && last ? positionOf(last, input.sort) : null };
}

/** The largest batch of candidates an agency's search re-checks at once (`findAgencyCasePage`). */
const widestBatch = 5 * maxPageSize;

/**
 * One page of an agency's worklist (`findCasePage`), its titles masked (`maskedTitles`). With
 * search words (`q`), only the cases whose text as the agency reads it holds them
 * (`agencyReadable`): `search_grams` holds the words of the unmasked text, so the SQL page is only
 * the candidates.
 *
 * No short pages: the candidates the agency cannot find are left out and the page is filled from
 * the next ones (in batches that double, up to `widestBatch`) until it holds `limit` cases and one
 * more is known to follow, or none is left; `next` is the position of the last case listed. A
 * short page would tell what it hides: a cursor after the last case the agency can find (a page
 * that came back short, or empty, with a cursor) says that one it cannot find matched the name or
 * the digits, and with limit=1 and createdFrom/createdTo narrowed it pins that case down; a cursor
 * placed on a hidden candidate would even carry its id and date (a cursor is base64url JSON). So an
 * agency's pages are those it would get if its masked text were what is indexed, and a client walks
 * every case it can find by following `nextCursor` as before. The price is on this read, never on
 * the writes (nothing is stored): a search the masked text refutes for many candidates (a
 * confidential name, digits of numbers) reads those candidates' texts, a batch at a time, where it
 * read one page.
 */
export async function findAgencyCasePage(
  db: CasesDb,
  input: PageRequest & { reach: { department: string } },
): Promise<Page> {
  const q = input.filter.q;
  if (!q) {
    const page = await findCasePage(db, input);
    return { ...page, rows: await maskedTitles(db, page.rows) };
  }
  const found: CaseRow[] = [];
  const names = new Map<string, string[]>();
  let after = input.after;
  // limit + 1: when the masked text refutes none of them, the first batch is the whole page and
  // the sign of the next, read at once as an operator's search reads it.
  let batch = input.limit + 1;
  for (;;) {
    const candidates = await findCasePage(db, { ...input, limit: batch, after });
    const namesOfBatch = await confidentialNamesOf(
      db,
      candidates.rows.map((row) => row.id),
    );
    for (const row of await agencyReadable(db, candidates.rows, q, namesOfBatch)) {
      found.push(row);
      const ofRow = namesOfBatch.get(row.id);
      if (ofRow) names.set(row.id, ofRow);
    }
    if (found.length > input.limit || !candidates.next) break;
    after = candidates.next;
    batch = Math.min(batch * 2, widestBatch);
  }
  const more = found.length > input.limit;
  const rows = found.slice(0, input.limit);
  const last = rows.at(-1);
  return {
    rows: await maskedTitles(db, rows, names),
    next: more && last ? positionOf(last, input.sort) : null,
  };
}

/**
 * `rows` with their titles as an agency's list quotes them (`agencyText`): their cases'
 * confidential names (`names`, else `confidentialNamesOf` for all the rows in one query) and every
 * mobile masked, the lead's too: which numbers a department reads depends on the case. For the
 * titles that leave the platform or are on show: an agency's list, the CSV export, the overview.
 */
export async function maskedTitles<Row extends { id: string; title: string | null }>(
  db: CasesDb,
  rows: readonly Row[],
  names?: ReadonlyMap<string, readonly string[]>,
): Promise<Row[]> {
  const titled = rows.flatMap((row) => (row.title ? [row.id] : []));
  const of = names ?? (await confidentialNamesOf(db, titled));
  return rows.map((row) =>
    row.title ? { ...row, title: agencyText(row.title, 'masked', of.get(row.id) ?? []) } : row,
  );
}

/**
 * The cases of `rows` whose text, as an agency reads it, holds every word of `q`: the grams
 * (`searchGramsOf`, as `search_grams` is written) of their title and their reports' titles and
 * content, each masked as `agencyText` masks them (`names`: the cases' confidential names,
 * `confidentialNamesOf`), so neither a confidential party's name nor a mobile or ID-card number,
 * nor any part of them, finds a case for an agency, and the other words of the same report still
 * do. Every mobile is masked, the lead's too, as the list's titles and the refusal of a full
 * number are (search-routes.ts): which numbers a department reads depends on the case. The
 * reports' words as they read now, as the agency reads them (a former revision's are the
 * operators'). Read for the given cases in one query; nothing is stored, so the consumers that
 * write cases pay nothing for it.
 */
async function agencyReadable(
  db: CasesDb,
  rows: readonly CaseRow[],
  q: string,
  names: ReadonlyMap<string, readonly string[]>,
): Promise<CaseRow[]> {
  if (rows.length === 0) return [];
  const reports = await db.$queryRaw<{ case_id: string; title: string | null; content: string }[]>`
    SELECT r.case_id, r.intake->>'title' AS title, r.content
    FROM cases.reports r WHERE r.case_id = ANY(${rows.map((row) => row.id)}::uuid[])`;
  const texts = new Map<string, (string | null)[]>(rows.map((row) => [row.id, [row.title]]));
  for (const report of reports) texts.get(report.case_id)?.push(report.title, report.content);
  const wanted = queryGramsOf(q);
  return rows.filter((row) => {
    const ofCase = names.get(row.id) ?? [];
    const readable = new Set(
      searchGramsOf(texts.get(row.id)!.map((text) => text && agencyText(text, 'masked', ofCase))),
    );
    return wanted.every((gram) => readable.has(gram));
  });
}

/**
 * The names an agency may not read in the titles and reports of a page of cases
 * (`confidentialNamesOfCase`), by case id; a case with none is left out. A case's title stays
 * with it when its reports leave, so a case's reports are those it holds and those that left it:
 * when merged, the reports of the case it went into (following `merged_into_id` on, which masks
 * that case's confidential names too: confidential anyway); and each report an operator detached
 * from it (its `detached` history entries), wherever that report is now. Read for the given cases
 * alone, in one query, and only what the rule reads: the confidential parties of the reports whose
 * intake names one (most name none), and the party rows of those reports.
 */
export async function confidentialNamesOf(
  db: Pick<CasesDb, '$queryRaw'>,
  caseIds: readonly string[],
): Promise<Map<string, string[]>> {
  if (caseIds.length === 0) return new Map();
  const reports = await db.$queryRaw<
    { case_id: string; dispute_id: string; parties: ReportParties['parties']; party_rows: PartyRow[] }[]
  >`
    WITH RECURSIVE chain (case_id, at_id) AS (
      SELECT c.id, c.id FROM cases.cases c WHERE c.id = ANY(${caseIds}::uuid[])
      UNION
      SELECT chain.case_id, c.merged_into_id FROM chain JOIN cases.cases c ON c.id = chain.at_id
      WHERE c.merged_into_id IS NOT NULL
    ), held (case_id, dispute_id) AS (
      SELECT chain.case_id, r.dispute_id FROM chain JOIN cases.reports r ON r.case_id = chain.at_id
      UNION
      SELECT chain.case_id, (h.detail->>'disputeId')::uuid
      FROM chain JOIN cases.history h ON h.case_id = chain.at_id
      WHERE h.type = 'detached'
    )
    SELECT held.case_id, r.dispute_id,
           jsonb_path_query_array(r.intake->'parties', '$[*] ? (@.confidential == true)') AS parties,
           coalesce((
             SELECT json_agg(json_build_object('disputeId', p.dispute_id, 'role', p.role, 'name', p.name))
             FROM cases.parties p WHERE p.case_id = r.case_id AND p.dispute_id = r.dispute_id), '[]'::json) AS party_rows
    FROM held JOIN cases.reports r ON r.dispute_id = held.dispute_id
    WHERE r.intake->'parties' @> '[{"confidential": true}]'`;
  const byCase = new Map<string, typeof reports>();
  for (const report of reports) byCase.set(report.case_id, [...(byCase.get(report.case_id) ?? []), report]);
  const names = new Map<string, string[]>();
  for (const [caseId, ofCase] of byCase) {
    const found = confidentialNamesOfCase(
      ofCase.map((report) => ({ disputeId: report.dispute_id, parties: report.parties })),
      ofCase.flatMap((report) => report.party_rows),
    );
    if (found.length > 0) names.set(caseId, found);
  }
  return names;
}

/** Whether a search's text should go through the GIN index (rare words) or not (common ones). */
export async function textViaIndex(grams: GramStatistics, q: string | undefined): Promise<boolean> {
  if (!q) return true;
  const matches = await grams.estimateMatches(queryGramsOf(q));
  return matches === null || matches <= commonTextThreshold;
}

export const isOverdue = (row: Pick<CaseRow, 'due_at' | 'status'>, now: Date) =>
  row.due_at !== null &&
  row.due_at.getTime() < now.getTime() &&
  (openStatuses as readonly string[]).includes(row.status);

export const CaseSummary = z.object({
  caseId: z.uuid(),
  status: z.string(),
  category: z.string().nullable(),
  severity: z.string(),
  channel: z.string(),
  title: z.string().nullable(),
  place: z.object({
    cityCode: z.string().nullable(),
    countyCode: z.string().nullable(),
    townCode: z.string().nullable(),
    villageCode: z.string().nullable(),
    names: z.array(z.string()),
  }),
  expressLevel: z.string().nullable(),
  triageCode: z.string().nullable(),
  dueAt: z.iso.datetime().nullable(),
  overdue: z.boolean(),
  repeatCount: z.number().int(),
  outcome: z
    .object({ kind: z.string(), amount: z.number().nullable(), referredTo: z.string().nullable() })
    .nullable(),
  departments: z.array(
    z.object({ code: z.string(), name: z.string(), role: z.string(), status: z.string() }),
  ),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  escalatedAt: z.iso.datetime().nullable(),
  resolvedAt: z.iso.datetime().nullable(),
  closedAt: z.iso.datetime().nullable(),
});
export type CaseSummary = z.infer<typeof CaseSummary>;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toSummary(row: CaseRow, now: Date): CaseSummary {
  return {
    caseId: row.id,
    status: row.status,
    category: row.category,
    severity: row.severity,
    channel: row.channel,
    title: row.title,
    place: {
      cityCode: row.city_code,
      countyCode: row.county_code,
      townCode: row.town_code,
      villageCode: row.village_code,
      names: row.place_names ?? [],
    },
    expressLevel: row.express_level,
    triageCode: row.triage_code,
    dueAt: iso(row.due_at),
    overdue: isOverdue(row, now),
    repeatCount: row.repeat_count,
    outcome: row.outcome_kind
      ? {
          kind: row.outcome_kind,
          amount: row.outcome_amount === null ? null : Number(row.outcome_amount),
          referredTo: row.referred_to,
        }
      : null,
    departments: row.departments.map((department) => ({
      code: department.code,
      name: department.name,
      role: department.role,
      status: department.status,
    })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    escalatedAt: iso(row.escalated_at),
    resolvedAt: iso(row.resolved_at),
    closedAt: iso(row.closed_at),
  };
}
