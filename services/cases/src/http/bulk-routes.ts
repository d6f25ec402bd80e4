import { Readable } from 'node:stream';
import { route, strictQuery } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { exportCasesCsv } from '../bulk/export-csv.ts';
import type { CasesDb } from '../db/prisma.ts';
import { assertCreatedRange, caseFilterShape } from '../search/filters.ts';
import { gramStatistics } from '../search/gram-stats.ts';
import { localDay } from '../search/local-time.ts';
import { textViaIndex } from '../search/search-cases.ts';
import { assertPlaceWithin, operatorOf } from './auth.ts';

/** Bulk reads: a filtered search as a streamed CSV file for Excel. */
export function bulkRoutes(app: FastifyInstance, deps: { db: CasesDb; jwtSecret: string; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const grams = gramStatistics(deps.db);
  route(
    app,
    {
      method: 'GET',
      url: '/v1/cases/export.csv',
      summary:
        "The cases of a search (same filters) as CSV for Excel: UTF-8 with BOM, streamed, no personal data (no party's name, phone or ID number; in the title, mobiles, ID numbers and confidential parties' names masked as an agency's copy masks them)",
      tags: ['cases', 'bulk'],
      security: 'operator',
      // The operator is verified before the first byte: once streaming starts the status is 200 for good.
      authenticate: (request) => operatorOf(request, deps),
      query: strictQuery(caseFilterShape),
      responses: { 200: z.string().describe('text/csv; charset=utf-8') },
    },
    async ({ query, actor: operator, reply }) => {
      const { sort, ...filter } = query;
      // Before the first byte: once streaming starts the status is 200 for good.
      assertCreatedRange(filter);
      if (filter.place) assertPlaceWithin(operator, filter.place);
      const at = now();
      const filename = `cases-${operator.scope}-${localDay(at)}.csv`;
      const viaIndex = await textViaIndex(grams, filter.q);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(
          Readable.from(
            exportCasesCsv(deps.db, { scope: operator.scope, filter, sort, now: at, textViaIndex: viaIndex }),
          ),
        );
    },
  );
}
