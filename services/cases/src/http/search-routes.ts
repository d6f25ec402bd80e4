import { agencyMasks } from '@huijie/contracts/agency-copies.ts';
import { personalNumberIn } from '@huijie/contracts/personal-numbers.ts';
import { badRequest } from '@huijie/service-kit/errors.ts';
import { route, strictQuery } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CasesDb } from '../db/prisma.ts';
import { assertCreatedRange, caseFilterShape } from '../search/filters.ts';
import { gramStatistics } from '../search/gram-stats.ts';
import {
  CaseSummary,
  decodeCursor,
  encodeCursor,
  findAgencyCasePage,
  findCasePage,
  maskedTitles,
  maxPageSize,
  textViaIndex,
  toSummary,
} from '../search/search-cases.ts';
import { actorOf } from './actor.ts';
import { assertPlaceWithin } from './auth.ts';

export const searchQuery = strictQuery({
  ...caseFilterShape,
  cursor: z
    .string()
    .max(500)
    .optional()
    .describe('nextCursor of the previous page, with the same filters and sort'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxPageSize)
    .default(50)
    .describe(`Page size, at most ${maxPageSize}`),
  titles: z
    .enum(['masked'])
    .optional()
    .describe(
      "`masked`: the titles as an agency's list quotes them (`[身份证号]`, `[手机号]`, `[保密当事人]`), for a screen others see (the overview). An agency's are masked always.",
    ),
});

/** Search: an operator over the cases of their jurisdiction, an agency over its own worklist. */
export function searchRoutes(
  app: FastifyInstance,
  deps: { db: CasesDb; jwtSecret: string; now?: () => Date },
) {
  const now = deps.now ?? (() => new Date());
  const grams = gramStatistics(deps.db);
  route(
    app,
    {
      method: 'GET',
      url: '/v1/cases',
      summary:
        'Search the cases of your jurisdiction (operators) or the cases your department has a live assignment on (agencies): filters, Chinese free text, stable cursor pagination (merged cases are not listed)',
      tags: ['cases'],
      security: 'operator-or-agency',
      authenticate: (request) => actorOf(request, deps),
      query: searchQuery,
      responses: {
        200: z.object({
          items: z.array(CaseSummary),
          nextCursor: z
            .string()
            .nullable()
            .describe('Pass as `cursor` for the next page; null on the last page'),
        }),
      },
    },
    async ({ query, actor }) => {
      const { cursor, limit, sort, titles, ...filter } = query;
      // Dates no case can fall between are the client's mistake, not an empty jurisdiction.
      assertCreatedRange(filter);
      // An agency's place filter narrows its worklist, wherever the work is; it has no jurisdiction.
      if (actor.kind === 'operator' && filter.place) assertPlaceWithin(actor.claims, filter.place);
      if (actor.kind === 'agency') refuseNumbersAgenciesDoNotSee(filter);
      const at = now();
      const request = {
        filter,
        sort,
        limit,
        after: cursor === undefined ? undefined : decodeCursor(cursor, sort),
        now: at,
        textViaIndex: await textViaIndex(grams, filter.q),
      };
      // An agency finds a case only by the words it reads in it (findAgencyCasePage); its list
      // quotes the titles as its copies do: never an ID-card number nor the name of a party who
      // asked for confidentiality (its case's read masks the same names), and no mobile: the
      // case's own read (GET /v1/cases/:id) tells whether it may see them.
      const page =
        actor.kind === 'agency'
          ? await findAgencyCasePage(deps.db, { ...request, reach: { department: actor.departmentCode } })
          : await findCasePage(deps.db, { ...request, reach: { scope: actor.claims.scope } });
      const rows =
        actor.kind === 'operator' && titles === 'masked' ? await maskedTitles(deps.db, page.rows) : page.rows;
      return {
        items: rows.map((row) => toSummary(row, at)),
        nextCursor: page.next ? encodeCursor(sort, page.next.key, page.next.id) : null,
      };
    },
  );
}

/**
 * An agency searching for a mobile or ID-card number would find nothing by it (it finds a case
 * only by the words it reads there, findAgencyCasePage, where every copy shows `[手机号]` or
 * `[身份证号]`), and an empty list would read as "no report holds it": told so instead. Refused
 * for every agency, the lead too: which numbers a department may see depends on the case, and the
 * search runs over all of them. A party's phone (`phone`) likewise: only the lead's copy of a case
 * gives it, and never a confidential party's, so the cases it finds would tell the others what
 * their copies leave out. Operators search numbers and phones as before.
 */
function refuseNumbersAgenciesDoNotSee(filter: { q?: string | undefined; phone?: string | undefined }): void {
  const fields: { field: string; reason: string }[] = [];
  const kind = filter.q === undefined ? null : personalNumberIn(filter.q);
  if (kind !== null) {
    const what = kind === 'mobile' ? 'a mobile number' : 'an ID-card number';
    fields.push({
      field: 'q',
      reason: `an agency cannot search for ${what}: its copies show it as ${agencyMasks[kind]}; search other words of the report`,
    });
  }
  if (filter.phone !== undefined) {
    fields.push({
      field: 'phone',
      reason:
        "an agency cannot search by a party's phone: its copies give it to the lead alone, case by case (never a confidential party's), and its list to none; search the report's number (`ref`) or other words of it (`q`)",
    });
  }
  if (fields.length > 0) throw badRequest(fields);
}
