import { isCalendarDay } from '@huijie/contracts/calendar.ts';
import { DivisionCode } from '@huijie/contracts/vocabulary.ts';
import type { OperatorClaims } from '@huijie/service-kit/auth-token.ts';
import { badRequest } from '@huijie/service-kit/errors.ts';
import { route, strictQuery } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CasesDb } from '../db/prisma.ts';
import { periodReversed } from '../search/filters.ts';
import { addDays, daysBetween, localDay } from '../search/local-time.ts';
import { addMonths, bucketStart, bucketsOf, type Interval, type Period } from '../stats/periods.ts';
import {
  breakdown,
  breakdownDimensions,
  Change,
  Figures,
  overview,
  type StatsRequest,
  trend,
} from '../stats/statistics.ts';
import { levelOf, placesUnder } from '../stats/stats-queries.ts';
import { assertPlaceWithin, operatorOf } from './auth.ts';

const day = z.string().refine(isCalendarDay, { message: 'a day: YYYY-MM-DD (China time)' });

const statsQuery = {
  place: DivisionCode.optional().describe(
    'The city, a county or a town within your jurisdiction; your whole jurisdiction by default',
  ),
  from: day.optional().describe('First day of the period (China time); 29 days before `to` by default'),
  to: day.optional().describe('Last day of the period, included; today by default'),
  compare: z
    .enum(['previous', 'year'])
    .default('previous')
    .describe('previous: the period just before, as long (环比); year: the same days a year earlier (同比)'),
};

const maxPeriodDays = 3660;
const maxBuckets = { day: 366, week: 270, month: 120 } as const;

const PlaceOut = z.object({
  code: z.string(),
  level: z.enum(['city', 'county', 'town']),
  name: z.string().nullable(),
});
const PeriodOut = z.object({ from: z.string(), to: z.string(), days: z.number() });
const ComparisonOut = PeriodOut.extend({ kind: z.enum(['previous', 'year']) });

function statsRequest(
  operator: OperatorClaims,
  query: {
    place?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    compare: 'previous' | 'year';
  },
  now: Date,
  defaultFrom: (to: string) => string = (to) => addDays(to, -29),
): StatsRequest {
  const place = query.place ?? operator.scope;
  if (place.length === 12) {
    throw badRequest([
      { field: 'place', reason: 'statistics go down to towns; search a village with GET /v1/cases' },
    ]);
  }
  assertPlaceWithin(operator, place);
  const to = query.to ?? localDay(now);
  const from = query.from ?? defaultFrom(to);
  if (from > to) throw periodReversed('from', 'to');
  const period: Period = { from, to: addDays(to, 1) };
  if (daysBetween(period.from, period.to) > maxPeriodDays) {
    throw badRequest([{ field: 'from', reason: `a period is at most ${maxPeriodDays} days` }]);
  }
  return { scope: operator.scope, place, period, compare: query.compare, now };
}

/**
 * A breakdown whose rows could hold nothing is refused, saying why: `level` with another dimension
 * than places (it was dropped in silence), places below a town (the statistics count down to
 * towns), or a level not below the place (`level=county` under a county). Each was answered 200
 * with no rows and `level: null`, read as "no cases there".
 */
function assertRowsBelow(place: string, by: string, level: 'county' | 'town' | undefined): void {
  if (by !== 'place') {
    if (level) throw badRequest([{ field: 'level', reason: 'only with by=place: the level of its rows' }]);
    return;
  }
  if (placesUnder(place, level)) return;
  const own = levelOf(place);
  if (own === 'town') {
    throw badRequest([
      {
        field: level ? 'level' : 'by',
        reason: `${place} is a town, the lowest level the statistics count: there are no places below it (break it down by status, channel, category, department…; its villages are searched with GET /v1/cases?place=)`,
      },
    ]);
  }
  throw badRequest([
    {
      field: 'level',
      reason: `must be below ${place}, a ${own}: ${own === 'city' ? 'county or town' : 'town'}`,
    },
  ]);
}

const BreakdownRow = z.object({
  key: z.string().describe("The value (status, channel, category, department code…) or the place's code"),
  label: z.string().nullable(),
  received: z.number(),
  receivedPrevious: z.number().describe('Received in the comparison period'),
  change: Change,
  escalated: z.number(),
  repeatReports: z.number(),
  ended: z.number().nullable().describe('Ended in the period (null for status and express level)'),
  mediated: z.number().nullable(),
  successRate: z.number().nullable(),
  averageResolutionDays: z.number().nullable(),
  open: z.number().optional().describe('Open now (by place only)'),
  overdue: z.number().optional().describe('Overdue now (by place only)'),
  drillDown: z.string().optional().describe('The same breakdown one level down'),
});

/** The one-screen statistics (一屏统览), each answered from the precomputed table. */
export function statsRoutes(
  app: FastifyInstance,
  deps: { db: CasesDb; jwtSecret: string; now?: () => Date },
) {
  const now = deps.now ?? (() => new Date());

  route(
    app,
    {
      method: 'GET',
      url: '/v1/stats/overview',
      summary:
        'One-screen overview of a place: received, ended, mediation success rate, resolution time, repeats, express lane, against the comparison period; open and overdue now',
      tags: ['statistics'],
      security: 'operator',
      authenticate: (request) => operatorOf(request, deps),
      query: strictQuery(statsQuery),
      responses: {
        200: z.object({
          place: PlaceOut,
          period: PeriodOut,
          comparison: ComparisonOut,
          current: Figures,
          previous: Figures,
          change: z.record(z.string(), Change),
          expressLane: z.array(z.object({ level: z.string(), label: z.string(), cases: z.number() })),
          now: z.object({
            asOf: z.string(),
            open: z.number(),
            overdue: z.number(),
            escalatedOpen: z.number(),
            openByStatus: z.array(z.object({ status: z.string(), label: z.string(), cases: z.number() })),
          }),
        }),
      },
    },
    async ({ query, actor }) => overview(deps.db, statsRequest(actor, query, now())),
  );

  route(
    app,
    {
      method: 'GET',
      url: '/v1/stats/breakdown',
      summary:
        'Counts of a place by status, channel, category, department, department kind, express-lane level, or by the places one level down (drill-down city → county → town)',
      tags: ['statistics'],
      security: 'operator',
      authenticate: (request) => operatorOf(request, deps),
      query: strictQuery({
        ...statsQuery,
        by: z.enum(breakdownDimensions).describe('The dimension to break the figures down by'),
        level: z
          .enum(['county', 'town'])
          .optional()
          .describe(
            'by=place: the level of the rows (one level below `place` by default; town from the city)',
          ),
      }),
      responses: {
        200: z.object({
          place: PlaceOut,
          by: z.string(),
          level: z.string().nullable(),
          period: PeriodOut,
          comparison: ComparisonOut,
          total: BreakdownRow,
          rows: z.array(BreakdownRow),
        }),
      },
    },
    async ({ query, actor, request }) => {
      const input = statsRequest(actor, query, now());
      assertRowsBelow(input.place, query.by, query.level);
      const raw = Object.fromEntries(
        Object.entries(request.query as Record<string, unknown>).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      return breakdown(deps.db, { ...input, by: query.by, level: query.level, query: raw });
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/v1/stats/trend',
      summary:
        'Received, ended and mediated per day, week (Monday first) or month, beside the comparison period',
      tags: ['statistics'],
      security: 'operator',
      authenticate: (request) => operatorOf(request, deps),
      query: strictQuery({ ...statsQuery, interval: z.enum(['day', 'week', 'month']).default('day') }),
      responses: {
        200: z.object({
          place: PlaceOut,
          interval: z.string(),
          period: PeriodOut,
          comparison: ComparisonOut,
          series: z.array(
            z.object({
              start: z.string(),
              from: z.string(),
              to: z.string(),
              partial: z.boolean(),
              received: z.number(),
              escalated: z.number(),
              ended: z.number(),
              mediated: z.number(),
              successRate: z.number().nullable(),
            }),
          ),
          previous: z.array(z.unknown()).describe('The comparison period, interval by interval'),
        }),
      },
    },
    async ({ query, actor }) => {
      const interval: Interval = query.interval;
      // By default the last 30 days, 12 weeks or 12 months, whole weeks and months.
      const input = statsRequest(actor, query, now(), (to) =>
        interval === 'day'
          ? addDays(to, -29)
          : interval === 'week'
            ? addDays(bucketStart(to, 'week'), -77)
            : addMonths(bucketStart(to, 'month'), -11),
      );
      if (bucketsOf(input.period, interval).length > maxBuckets[interval]) {
        throw badRequest([
          {
            field: 'interval',
            reason: `at most ${maxBuckets[interval]} ${interval}s: choose a longer interval`,
          },
        ]);
      }
      return trend(deps.db, { ...input, interval });
    },
  );
}
