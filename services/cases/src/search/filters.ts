import { isCalendarDay } from '@huijie/contracts/calendar.ts';
import { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import { mobileNumber } from '@huijie/contracts/phone.ts';
import { CategoryCode, Channel, DivisionCode, Level, Severity } from '@huijie/contracts/vocabulary.ts';
import { parseCaseNumber } from '@huijie/ingest-courts/case-number.ts';
import { badRequest } from '@huijie/service-kit/errors.ts';
import { z } from 'zod';
import { isCaseId, isCaseNumber } from '../domain/case-number.ts';
import { openStatuses } from '../domain/lifecycle.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { queryGramsOf } from './bigrams.ts';
import { addDays, startOfLocalDay } from './local-time.ts';

export { openStatuses };
export const endedStatuses = ['resolved', 'unresolved', 'closed'] as const;

/**
 * SQL literal lists (not parameters) on purpose: the partial indexes on open cases are declared
 * with the same literal predicate, and PostgreSQL can only prove a query matches such an index
 * from constants it sees in the query text.
 */
export const openStatusSql = Prisma.raw(`(${openStatuses.map((s) => `'${s}'`).join(', ')})`);
export const endedStatusSql = Prisma.raw(`(${endedStatuses.map((s) => `'${s}'`).join(', ')})`);

/**
 * A query-string list: `?status=a&status=b` or `?status=a,b`. A wrong value is a problem of the
 * parameter the client sent (`status`), its reason quoting the value: the position in the list
 * (`status.0`) names nothing the client wrote, once commas and repeats are folded together.
 */
function list<T extends z.ZodType>(item: T, max = 20) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value, context) => {
      const parts = (Array.isArray(value) ? value : [value])
        .flatMap((part) => part.split(','))
        .map((part) => part.trim())
        .filter((part) => part.length > 0);
      if (parts.length === 0 || parts.length > max) {
        context.addIssue({
          code: 'custom',
          message: parts.length === 0 ? 'give a value' : `at most ${max} values`,
          input: value,
        });
        return z.NEVER;
      }
      const values: z.output<T>[] = [];
      for (const part of parts) {
        const parsed = item.safeParse(part);
        if (parsed.success) values.push(parsed.data);
        else {
          for (const issue of parsed.error.issues) {
            context.addIssue({
              code: 'custom',
              message: `${JSON.stringify(part)}: ${issue.message}`,
              input: part,
            });
          }
        }
      }
      return values;
    })
    .optional();
}

const flag = z
  .enum(['true', 'false'])
  .transform((value) => value === 'true')
  .optional();

/**
 * A day (YYYY-MM-DD, a whole day in China time) or an instant with its offset. As the lower bound
 * a day starts at its midnight; as the upper bound it includes the whole day.
 */
const dayOrInstant = z
  .string()
  .refine((value) => isCalendarDay(value) || z.iso.datetime({ offset: true }).safeParse(value).success, {
    message: 'a day (YYYY-MM-DD, China time) or a date-time with offset (RFC 3339)',
  });

/** Filters shared by the search, the export and (for the place) the statistics. */
export const caseFilterShape = {
  status: list(CaseStatus).describe('Case status; several allowed (`status=assigned,accepted`)'),
  channel: list(Channel).describe('Channel of the case: hotline_12345, wechat, court'),
  category: list(CategoryCode).describe("People's-mediation category code"),
  severity: list(Severity).describe('normal or major'),
  place: DivisionCode.optional().describe(
    "Division code at any level (county 350802, town 350802107, village); a county includes its towns. An operator's must be within their jurisdiction (403 otherwise, as for the statistics).",
  ),
  department: list(z.string().min(1).max(80)).describe(
    'Department code of an assignment (lead or co-handler), e.g. 350802107-judicial_office',
  ),
  createdFrom: dayOrInstant.optional().describe('Received on or after: a day (China time) or a date-time'),
  createdTo: dayOrInstant
    .optional()
    .describe('Received before: a day is included whole (createdTo=2024-08-31 includes the 31st)'),
  overdue: flag.describe('true: past its due time and not ended; false: the others'),
  escalated: flag.describe('true: in the secretary express lane (any level); false: not in it'),
  expressLevel: list(Level).describe('Express-lane level: township, county, city'),
  minRepeats: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .describe('At least this many repeated reports folded into the case'),
  ref: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe(
      "A number someone quotes: a report's own (the 12345 work-order number, the WeChat tracking number, the court case number; found in the case it is in now, after a merge the case it joined), the platform's case number (案件编号, the case id's first 8 characters, as the express-lane SMS and the overview name it) or the whole case id (as the CSV export's 案件编号 column gives it); a case number or id of a case merged since finds the case it joined.",
    ),
  phone: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .refine((value) => (value.normalize('NFKC').match(/\d/g)?.length ?? 0) >= 7, {
      message:
        'a phone number (at least 7 digits): a mobile however it is written (138 0000 0000, +86 138-0000-0000), or a landline as the report gave it',
    })
    .optional()
    .describe(
      "A party's phone number (the caller's, an applicant's, any party's): the cases whose reports give a party that number, after a merge the case the report joined — what else this caller has reported. A mobile is found however either side wrote it (`13912345678`, `139 1234 5678`, `139-1234-5678`, `+86 139 1234 5678`, `0086…`, full-width digits): every channel keeps it as its 11 digits; a landline as the hotline or the court wrote it (`0597-2345678` finds that and the WeChat form's `05972345678`, which keeps it without spaces, dashes and brackets; `05972345678` finds only the latter). Operators only, within their jurisdiction; an agency's is a 400: its copies show a party's phone to the lead alone, case by case, never in its list",
    ),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine((value) => queryGramsOf(value).length > 0, {
      message: 'search text needs at least two consecutive characters (Chinese words are two or more)',
    })
    .optional()
    .describe(
      "Free text in Chinese (or any script): cases whose reports contain every word of it. An agency's finds a case only by words its copies show (not a confidential party's name, nor any digits of a masked number) and may not hold a mobile or ID-card number (400): its copies mask them",
    ),
  sort: z
    .enum(['newest', 'oldest', 'due'])
    .default('newest')
    .describe('newest / oldest received first, or due: earliest due time first (no due time last)'),
};

export const caseFilterSchema = z.object(caseFilterShape);
export type CaseFilter = z.infer<typeof caseFilterSchema>;
export type SortOrder = CaseFilter['sort'];

const digits = /^\d+$/;

/** The city itself (6 digits ending in 00) as opposed to a county. */
export const isCityCode = (code: string) => code.length === 6 && code.endsWith('00');

/**
 * SQL that keeps exactly the cases a jurisdiction scope covers — the same rule as
 * `scopeCovers(scope, mostSpecificDivision(case))`: a city covers its counties and the
 * cases not yet placed, a county its towns, a town itself. The redundant equality on the
 * county/town column is there for the indexes; the prefix test is the rule.
 */
export function scopeSql(scope: string, alias = 'c'): Prisma.Sql {
  if (!digits.test(scope)) return Prisma.sql`FALSE`;
  const division = Prisma.raw(`coalesce(${alias}.town_code, ${alias}.county_code, ${alias}.city_code)`);
  if (isCityCode(scope)) {
    const prefix = `${scope.slice(0, 4)}%`;
    return Prisma.sql`(${division} IS NULL OR ${division} LIKE ${prefix})`;
  }
  const prefix = `${scope}%`;
  if (scope.length === 6) {
    return Prisma.sql`(${Prisma.raw(alias)}.county_code = ${scope} AND ${division} LIKE ${prefix})`;
  }
  if (scope.length === 9) {
    return Prisma.sql`(${Prisma.raw(alias)}.town_code = ${scope} AND ${division} LIKE ${prefix})`;
  }
  return Prisma.sql`${division} LIKE ${prefix}`;
}

/** SQL for "placed within this division": a city its counties, a county its towns, a town, a village. */
export function placeSql(place: string, alias = 'c'): Prisma.Sql {
  const a = Prisma.raw(alias);
  if (isCityCode(place)) {
    return Prisma.sql`coalesce(${a}.town_code, ${a}.county_code, ${a}.city_code) LIKE ${`${place.slice(0, 4)}%`}`;
  }
  if (place.length === 6) return Prisma.sql`${a}.county_code = ${place}`;
  if (place.length === 9) return Prisma.sql`${a}.town_code = ${place}`;
  return Prisma.sql`${a}.village_code = ${place}`;
}

/** The instant range a day-or-instant bound stands for. */
export function lowerBound(value: string): Date {
  return isCalendarDay(value) ? startOfLocalDay(value) : new Date(value);
}
export function upperBound(value: string): Date {
  return isCalendarDay(value) ? startOfLocalDay(addDays(value, 1)) : new Date(value);
}

/**
 * A period that starts after it ends: a 400 on its start, worded as the statistics and the search
 * both word it, instead of an answer that is empty (or all zeros) whatever the data.
 */
export const periodReversed = (fromField: string, toField: string) =>
  badRequest([{ field: fromField, reason: `\`${fromField}\` is after \`${toField}\`` }]);

/**
 * Refuses received dates no case can fall between: `createdFrom` after `createdTo`, or on the
 * instant a date-time `createdTo` names (which it excludes). A day `createdTo` includes the whole
 * day, so `createdFrom=createdTo=` one day is that day.
 */
export function assertCreatedRange(filter: {
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
}) {
  const { createdFrom, createdTo } = filter;
  if (createdFrom === undefined || createdTo === undefined) return;
  const from = lowerBound(createdFrom);
  if (from < upperBound(createdTo)) return;
  if (from > lowerBound(createdTo)) throw periodReversed('createdFrom', 'createdTo');
  throw badRequest([
    {
      field: 'createdFrom',
      reason:
        '`createdFrom` is the instant `createdTo` names, which a date-time `createdTo` excludes: no case can match',
    },
  ]);
}

/**
 * Whose cases a search may read: an operator's jurisdiction (a city, county or town code), or a
 * partner agency's worklist — the cases one of its department's live assignments is on, wherever.
 */
export type Reach = { scope: string } | { department: string };

/** The filter an agency's search runs with: its own department, or nothing if it asked for others. */
export function withinReach<F extends { department?: string[] | undefined }>(filter: F, reach: Reach): F {
  if (!('department' in reach)) return filter;
  const own = reach.department;
  return {
    ...filter,
    department: filter.department ? filter.department.filter((code) => code === own) : [own],
  };
}

/**
 * `column = value` for one value, `column = ANY(values)` for several. Not the same to the planner
 * (PostgreSQL 15): an index (town_code, status, created_at, …) yields its rows in created_at order
 * under `status = 'mediating'`, but not under `status = ANY('{mediating}')`, so a town's or county's
 * cases of one status were collected and sorted, or the place walked testing every case.
 */
function oneOf(column: Prisma.Sql, values: readonly string[]): Prisma.Sql {
  return values.length === 1
    ? Prisma.sql`${column} = ${values[0]}`
    : Prisma.sql`${column} = ANY(${values}::text[])`;
}

/**
 * The WHERE conditions of a search: never merged cases, always within the operator's scope (none
 * for an agency: `withinReach` has bound its department filter), then each filter given. `now`
 * decides what is overdue (passed in, so tests control the clock).
 */
export function caseConditions(
  scope: string | null,
  filter: Omit<CaseFilter, 'sort'>,
  now: Date,
  alias = 'c',
  options: { textViaIndex?: boolean; departmentDriven?: boolean } = {},
): Prisma.Sql[] {
  const a = Prisma.raw(alias);
  const conditions: Prisma.Sql[] = [Prisma.sql`${a}.merged_into_id IS NULL`];
  if (scope !== null) conditions.push(scopeSql(scope, alias));
  if (filter.place) conditions.push(placeSql(filter.place, alias));
  if (filter.status) conditions.push(oneOf(Prisma.sql`${a}.status`, filter.status));
  if (filter.channel) conditions.push(oneOf(Prisma.sql`${a}.channel`, filter.channel));
  if (filter.category) conditions.push(oneOf(Prisma.sql`${a}.category`, filter.category));
  if (filter.severity) conditions.push(oneOf(Prisma.sql`${a}.severity`, filter.severity));
  if (filter.department && !options.departmentDriven) {
    // department_cases holds (department, received, case) for every live assignment: a key lookup.
    conditions.push(
      Prisma.sql`EXISTS (SELECT 1 FROM cases.department_cases dc WHERE dc.department_code = ANY(${filter.department}::text[])
        AND dc.created_at = ${a}.created_at AND dc.case_id = ${a}.id)`,
    );
  }
  if (filter.createdFrom) conditions.push(Prisma.sql`${a}.created_at >= ${lowerBound(filter.createdFrom)}`);
  if (filter.createdTo) conditions.push(Prisma.sql`${a}.created_at < ${upperBound(filter.createdTo)}`);
  if (filter.overdue === true) {
    conditions.push(Prisma.sql`(${a}.due_at < ${now} AND ${a}.status IN ${openStatusSql})`);
  } else if (filter.overdue === false) {
    conditions.push(
      Prisma.sql`NOT (${a}.due_at IS NOT NULL AND ${a}.due_at < ${now} AND ${a}.status IN ${openStatusSql})`,
    );
  }
  if (filter.escalated === true) conditions.push(Prisma.sql`${a}.express_level IS NOT NULL`);
  if (filter.escalated === false) conditions.push(Prisma.sql`${a}.express_level IS NULL`);
  if (filter.expressLevel) conditions.push(oneOf(Prisma.sql`${a}.express_level`, filter.expressLevel));
  if (filter.minRepeats !== undefined && filter.minRepeats > 0) {
    conditions.push(Prisma.sql`${a}.repeat_count >= ${filter.minRepeats}`);
  }
  if (filter.ref) {
    // Each channel's numbers are unique within it (reports' (channel, source_ref) key): one index
    // probe per channel, whichever channel the number is from. A case number is a range of ids, a
    // case id a range of one; a case merged since its number was sent answers as the case it
    // joined (and that one's, if merged in turn: the unmerged end of the chain is kept), as its
    // reports do.
    const ids = caseIdsQuoted(filter.ref);
    // A court case number as the court intake keeps it, however it was typed ((2024)闽0803…, spaces).
    const court = parseCaseNumber(filter.ref);
    const refs = court.ok ? [filter.ref, court.value.canonical] : [filter.ref];
    conditions.push(
      Prisma.sql`${a}.id IN (SELECT r.case_id FROM cases.reports r
        WHERE r.channel = ANY(${Channel.options}::text[]) AND r.source_ref = ANY(${refs}::text[])
        ${
          ids === null
            ? Prisma.empty
            : Prisma.sql`UNION ALL (WITH RECURSIVE chain (id, into_id) AS (
                  SELECT n.id, n.merged_into_id FROM cases.cases n
                  WHERE n.id BETWEEN ${ids.lowest}::uuid AND ${ids.highest}::uuid
                  UNION
                  SELECT m.id, m.merged_into_id FROM chain JOIN cases.cases m ON m.id = chain.into_id
                ) SELECT chain.id FROM chain)`
        })`,
    );
  }
  if (filter.phone) {
    // parties_phone_idx: one probe per spelling the number may be kept in. A party's row moves with
    // its report (a merge, a detach), so its case is the one the report is in now.
    conditions.push(
      Prisma.sql`${a}.id IN (SELECT p.case_id FROM cases.parties p
        WHERE p.phone = ANY(${storedPhoneSpellings(filter.phone)}::text[]))`,
    );
  }
  if (filter.q) {
    // The same test either way; written so the GIN index cannot serve it when the words are common
    // (see gram-stats.ts): the plan then walks the order asked for instead. arraycontains is the
    // built-in function behind @>: called by name, the planner neither matches it to the index nor
    // trusts its estimate, and it costs half the PL/pgSQL wrapper (cases.grams_contain) that such a
    // walk used to call on every row it tested.
    conditions.push(
      options.textViaIndex === false
        ? Prisma.sql`arraycontains(${a}.search_grams, ${queryGramsOf(filter.q)}::text[])`
        : Prisma.sql`${a}.search_grams @> ${queryGramsOf(filter.q)}::text[]`,
    );
  }
  return conditions;
}

/**
 * The ids a quoted case number (案件编号, the id's first 8 characters) or whole case id stands for,
 * as the lowest and highest of them; null for any other text.
 */
function caseIdsQuoted(ref: string): { lowest: string; highest: string } | null {
  const text = ref.toLowerCase();
  if (isCaseNumber(text)) {
    return { lowest: `${text}-0000-0000-0000-000000000000`, highest: `${text}-ffff-ffff-ffff-ffffffffffff` };
  }
  return isCaseId(text) ? { lowest: text, highest: text } : null;
}

/**
 * The spellings in which a party's phone, written as `phone` is, may be kept (cases.parties.phone).
 * Every channel keeps a mobile as its 11 digits (`mobileNumber`: the hotline, the courts, the
 * imports, and the WeChat form, which reads a 。 typed for a dot as a dot); anything else the
 * hotline, the courts and the imports keep as given, the WeChat form without its spaces, dashes and
 * brackets (ingest-wechat's typedPhone).
 */
function storedPhoneSpellings(phone: string): string[] {
  const ascii = phone.normalize('NFKC').replaceAll('。', '.');
  const mobile = mobileNumber(ascii);
  if (mobile !== undefined) return [mobile];
  return [...new Set([phone, ascii.replace(/[\s\-()]/g, '')])];
}
