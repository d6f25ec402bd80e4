import { z } from 'zod';
import type { CasesDb } from '../db/prisma.ts';
import { openStatuses } from '../search/filters.ts';
import { addDays, daysBetween, localDay } from '../search/local-time.ts';
import { categoryLabels, channelLabels, departmentKindLabels, levelLabels, statusLabels } from './labels.ts';
import {
  bucketsOf,
  comparisonPeriod,
  histogramMedianHours,
  type Interval,
  nextBucket,
  type Period,
} from './periods.ts';
import {
  addSums,
  departmentNames,
  levelOf,
  openNow,
  placeItself,
  placeNames,
  placesUnder,
  type StatsLevel,
  type SumRow,
  type Sums,
  sumStats,
  zeroSums,
} from './stats-queries.ts';

const round = (value: number, digits: number) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
const ratio = (part: number, whole: number, digits = 4) => (whole > 0 ? round(part / whole, digits) : null);

export const Figures = z.object({
  received: z
    .number()
    .describe('Cases received in the period (repeated reports folded into them not counted twice)'),
  escalated: z.number().describe('Of those, cases in the secretary express lane'),
  repeatReports: z.number().describe('Repeated reports folded into the cases received in the period'),
  casesWithRepeats: z.number().describe('Cases received in the period that were reported more than once'),
  repeatRate: z
    .number()
    .nullable()
    .describe('Repeated reports / all reports of the cases received in the period (repeat-report rate)'),
  ended: z.number().describe('Cases that ended in the period (outcome recorded), whenever received'),
  mediated: z.number(),
  notMediated: z.number(),
  withdrawn: z.number(),
  successRate: z
    .number()
    .nullable()
    .describe('Mediation success rate: mediated / ended, for cases ended in the period'),
  averageResolutionDays: z
    .number()
    .nullable()
    .describe('Mean days from receipt to end, cases ended in the period'),
  medianResolutionDays: z
    .number()
    .nullable()
    .describe(
      'Median of the same, in days to one decimal (from a histogram of 5 % wide buckets: exact for durations alone in their bucket, else within 5 %)',
    ),
});
export type Figures = z.infer<typeof Figures>;

function figuresOf(
  received: Sums,
  ended: Sums,
  histogram: { bucket: number; count: number; seconds: number }[],
): Figures {
  const median = histogramMedianHours(histogram);
  return {
    received: received.cases,
    escalated: received.escalated,
    repeatReports: received.repeatReports,
    casesWithRepeats: received.withRepeats,
    repeatRate: ratio(received.repeatReports, received.cases + received.repeatReports),
    ended: ended.cases,
    mediated: ended.mediated,
    notMediated: ended.notMediated,
    withdrawn: ended.withdrawn,
    successRate: ratio(ended.mediated, ended.cases),
    averageResolutionDays: ended.cases > 0 ? round(ended.resolutionSeconds / ended.cases / 86_400, 2) : null,
    medianResolutionDays: median === null ? null : round(median / 24, 1),
  };
}

export const Change = z.object({
  delta: z.number().nullable(),
  /** Relative change (0.12 = +12 %), null when the earlier figure is zero or missing. */
  ratio: z.number().nullable(),
});

function change(current: number | null, previous: number | null) {
  if (current === null || previous === null) return { delta: null, ratio: null };
  return {
    delta: round(current - previous, 4),
    ratio: previous !== 0 ? round((current - previous) / previous, 4) : null,
  };
}

const compared = [
  'received',
  'escalated',
  'repeatRate',
  'ended',
  'mediated',
  'successRate',
  'averageResolutionDays',
  'medianResolutionDays',
] as const;

function slot(map: Map<string, Sums>, key: string): Sums {
  const found = map.get(key);
  if (found) return found;
  const sums = zeroSums();
  map.set(key, sums);
  return sums;
}

/** Sums of the rows of one label/basis/dim, by value. */
function pick(rows: SumRow[], label: string, basis: string, dim: string): Map<string, Sums> {
  const out = new Map<string, Sums>();
  for (const row of rows) {
    if (row.label !== label || row.basis !== basis || row.dim !== dim) continue;
    addSums(slot(out, dim === 'all' ? '' : row.value), row);
  }
  return out;
}

const histogramOf = (rows: SumRow[], label: string) =>
  rows
    .filter((row) => row.label === label && row.basis === 'ended' && row.dim === 'resolution')
    .map((row) => ({ bucket: Number(row.value), count: row.cases, seconds: row.resolutionSeconds }));

export interface StatsRequest {
  scope: string;
  place: string;
  period: Period;
  compare: 'previous' | 'year';
  now: Date;
}

/** Nothing is received or ended after today: statistics rows stop at tomorrow. */
const dataEndOf = (now: Date) => addDays(localDay(now), 1);

const periodOut = (period: Period) => ({
  from: period.from,
  to: addDays(period.to, -1),
  days: daysBetween(period.from, period.to),
});

async function placeOut(db: CasesDb, code: string) {
  const names = await placeNames(db, [code]);
  return { code, level: levelOf(code)!, name: names.get(code) ?? null };
}

/** The one-screen overview of a place: the period's figures, the comparison period's, and what is open now. */
export async function overview(db: CasesDb, input: StatsRequest) {
  const previous = comparisonPeriod(input.period, input.compare);
  const where = placeItself(input.place);
  const [rows, open, place] = await Promise.all([
    sumStats(db, {
      dataEnd: dataEndOf(input.now),
      bases: ['received', 'ended'],
      dims: ['all', 'resolution', 'express'],
      where,
      periods: [
        { label: 'current', period: input.period },
        { label: 'previous', period: previous },
      ],
    }),
    openNow(db, { scope: input.scope, place: input.place, now: input.now, withStatus: true }),
    placeOut(db, input.place),
  ]);
  const figures = (label: string) =>
    figuresOf(
      pick(rows, label, 'received', 'all').get('') ?? zeroSums(),
      pick(rows, label, 'ended', 'all').get('') ?? zeroSums(),
      histogramOf(rows, label),
    );
  const current = figures('current');
  const before = figures('previous');
  const lane = pick(rows, 'current', 'received', 'express');
  const live = open.get('') ?? { open: 0, overdue: 0, escalatedOpen: 0, byStatus: new Map<string, number>() };
  return {
    place,
    period: periodOut(input.period),
    comparison: { kind: input.compare, ...periodOut(previous) },
    current,
    previous: before,
    change: Object.fromEntries(compared.map((key) => [key, change(current[key], before[key])])),
    expressLane: (['township', 'county', 'city'] as const).map((level) => ({
      level,
      label: levelLabels[level]!,
      cases: lane.get(level)?.cases ?? 0,
    })),
    now: {
      asOf: input.now.toISOString(),
      open: live.open,
      overdue: live.overdue,
      escalatedOpen: live.escalatedOpen,
      openByStatus: openStatuses.map((status) => ({
        status,
        label: statusLabels[status]!,
        cases: live.byStatus.get(status) ?? 0,
      })),
    },
  };
}

export const breakdownDimensions = [
  'status',
  'channel',
  'category',
  'department',
  'department_kind',
  'express',
  'place',
] as const;
export type BreakdownDimension = (typeof breakdownDimensions)[number];

/** Dimensions that only exist for received cases (an ended case's status says nothing more). */
const receivedOnly = new Set<BreakdownDimension>(['status', 'express']);

const labelsFor: Partial<Record<BreakdownDimension, Record<string, string>>> = {
  status: statusLabels,
  channel: channelLabels,
  category: categoryLabels,
  department_kind: departmentKindLabels,
  express: levelLabels,
};

interface BreakdownRow {
  key: string;
  label: string | null;
  received: number;
  receivedPrevious: number;
  change: { delta: number | null; ratio: number | null };
  escalated: number;
  repeatReports: number;
  ended: number | null;
  mediated: number | null;
  successRate: number | null;
  averageResolutionDays: number | null;
  open?: number;
  overdue?: number;
  drillDown?: string;
}

function breakdownRow(
  key: string,
  label: string | null,
  received: Sums,
  receivedBefore: Sums,
  ended: Sums | null,
): BreakdownRow {
  return {
    key,
    label,
    received: received.cases,
    receivedPrevious: receivedBefore.cases,
    change: change(received.cases, receivedBefore.cases),
    escalated: received.escalated,
    repeatReports: received.repeatReports,
    ended: ended ? ended.cases : null,
    mediated: ended ? ended.mediated : null,
    successRate: ended ? ratio(ended.mediated, ended.cases) : null,
    averageResolutionDays:
      ended && ended.cases > 0 ? round(ended.resolutionSeconds / ended.cases / 86_400, 2) : null,
  };
}

/**
 * Counts of a place by one dimension (status, channel, category, department, department kind,
 * express-lane level) or by the places one level down (drill-down: city → counties → towns), for
 * the period and its comparison period. Received figures count cases received in the period;
 * ended figures cases that ended in it. A case handled by two departments counts for each.
 */
export async function breakdown(
  db: CasesDb,
  input: StatsRequest & { by: BreakdownDimension; level?: StatsLevel; query: Record<string, string> },
) {
  const previous = comparisonPeriod(input.period, input.compare);
  // The comparison period only shows how many were received then.
  const periods = [
    { label: 'current', period: input.period },
    { label: 'previous', period: previous, bases: ['received' as const] },
  ];
  const itself = placeItself(input.place);
  const place = await placeOut(db, input.place);
  const totalRows = await sumStats(db, {
    dataEnd: dataEndOf(input.now),
    bases: ['received', 'ended'],
    dims: ['all'],
    where: itself,
    periods,
  });
  const totalOf = (label: string, basis: string) =>
    pick(totalRows, label, basis, 'all').get('') ?? zeroSums();
  const total = breakdownRow(
    '',
    null,
    totalOf('current', 'received'),
    totalOf('previous', 'received'),
    totalOf('current', 'ended'),
  );

  let rows: BreakdownRow[];
  let childLevel: StatsLevel | null = null;
  if (input.by === 'place') {
    const under = placesUnder(input.place, input.level);
    if (!under)
      return {
        place,
        by: input.by,
        level: null,
        period: periodOut(input.period),
        comparison: { kind: input.compare, ...periodOut(previous) },
        total,
        rows: [],
      };
    childLevel = under.level;
    const [found, open, openHere] = await Promise.all([
      sumStats(db, {
        dataEnd: dataEndOf(input.now),
        bases: ['received', 'ended'],
        dims: ['all'],
        where: under,
        periods,
        byPlace: true,
      }),
      openNow(db, { scope: input.scope, place: input.place, now: input.now, groupBy: under.level }),
      openNow(db, { scope: input.scope, place: input.place, now: input.now }),
    ]);
    const byPlace = (label: string, basis: string) => {
      const out = new Map<string, Sums>();
      for (const row of found) {
        if (row.label !== label || row.basis !== basis) continue;
        addSums(slot(out, row.place), row);
      }
      return out;
    };
    const received = byPlace('current', 'received');
    const receivedBefore = byPlace('previous', 'received');
    const ended = byPlace('current', 'ended');
    const codes = [
      ...new Set([
        ...received.keys(),
        ...receivedBefore.keys(),
        ...ended.keys(),
        ...[...open.keys()].filter((k) => k !== ''),
      ]),
    ]
      .filter((code) => code.startsWith(under.prefix))
      .sort();
    const names = await placeNames(db, codes);
    rows = codes.map((code) => {
      const row = breakdownRow(
        code,
        names.get(code) ?? null,
        received.get(code) ?? zeroSums(),
        receivedBefore.get(code) ?? zeroSums(),
        ended.get(code) ?? zeroSums(),
      );
      const live = open.get(code);
      row.open = live?.open ?? 0;
      row.overdue = live?.overdue ?? 0;
      if (under.level !== 'town') {
        const params = new URLSearchParams({ ...input.query, place: code });
        params.delete('level');
        row.drillDown = `/v1/stats/breakdown?${params.toString()}`;
      }
      return row;
    });
    // What the children do not hold: cases of this place not placed further down (not yet routed,
    // or placed at a level above the children). Shown so the rows add up to the total.
    const rest = (label: string, basis: string, map: Map<string, Sums>) => {
      const sum = zeroSums();
      for (const sums of map.values()) addSums(sum, sums);
      const whole = totalOf(label, basis);
      const left = zeroSums();
      for (const key of Object.keys(left) as (keyof Sums)[]) left[key] = whole[key] - sum[key];
      return left;
    };
    const unplaced = breakdownRow(
      '',
      '未落到下一级',
      rest('current', 'received', received),
      rest('previous', 'received', receivedBefore),
      rest('current', 'ended', ended),
    );
    const here = openHere.get('');
    unplaced.open = (here?.open ?? 0) - rows.reduce((sum, row) => sum + (row.open ?? 0), 0);
    unplaced.overdue = (here?.overdue ?? 0) - rows.reduce((sum, row) => sum + (row.overdue ?? 0), 0);
    if (
      unplaced.received !== 0 ||
      unplaced.receivedPrevious !== 0 ||
      (unplaced.ended ?? 0) !== 0 ||
      unplaced.open !== 0
    ) {
      rows.push(unplaced);
    }
  } else {
    const dim = input.by;
    const found = await sumStats(db, {
      dataEnd: dataEndOf(input.now),
      bases: receivedOnly.has(dim) ? ['received'] : ['received', 'ended'],
      dims: [dim],
      where: itself,
      periods,
    });
    const received = pick(found, 'current', 'received', dim);
    const receivedBefore = pick(found, 'previous', 'received', dim);
    const ended = pick(found, 'current', 'ended', dim);
    const keys = [...new Set([...received.keys(), ...receivedBefore.keys(), ...ended.keys()])];
    const labels = labelsFor[dim];
    const names = dim === 'department' ? await departmentNames(db, keys) : new Map<string, string>();
    rows = keys.map((key) =>
      breakdownRow(
        key,
        labels ? (key === '' ? '未分类' : (labels[key] ?? key)) : (names.get(key) ?? null),
        received.get(key) ?? zeroSums(),
        receivedBefore.get(key) ?? zeroSums(),
        receivedOnly.has(dim) ? null : (ended.get(key) ?? zeroSums()),
      ),
    );
  }
  rows.sort(
    (a, b) => b.received - a.received || (b.ended ?? 0) - (a.ended ?? 0) || a.key.localeCompare(b.key),
  );
  return {
    place,
    by: input.by,
    level: childLevel,
    period: periodOut(input.period),
    comparison: { kind: input.compare, ...periodOut(previous) },
    total,
    rows,
  };
}

/** Received, ended and mediated per day, week or month of the period, beside the comparison period's. */
export async function trend(db: CasesDb, input: StatsRequest & { interval: Interval }) {
  const previous = comparisonPeriod(input.period, input.compare);
  const [rows, place] = await Promise.all([
    sumStats(db, {
      dataEnd: dataEndOf(input.now),
      bases: ['received', 'ended'],
      dims: ['all'],
      where: placeItself(input.place),
      periods: [
        { label: 'current', period: input.period },
        { label: 'previous', period: previous },
      ],
      interval: input.interval,
    }),
    placeOut(db, input.place),
  ]);
  const byKey = new Map(rows.map((row) => [`${row.label}/${row.basis}/${row.bucket}`, row]));
  const series = (label: string, period: Period) => {
    const at = (basis: string, bucket: string) => byKey.get(`${label}/${basis}/${bucket}`);
    return bucketsOf(period, input.interval).map((bucket) => {
      const received = at('received', bucket.start);
      const ended = at('ended', bucket.start);
      return {
        start: bucket.start,
        from: bucket.from,
        to: addDays(bucket.to, -1),
        /** The interval reaches outside the period: its figures cover only the days inside. */
        partial: bucket.from !== bucket.start || bucket.to !== nextBucket(bucket.start, input.interval),
        received: received?.cases ?? 0,
        escalated: received?.escalated ?? 0,
        ended: ended?.cases ?? 0,
        mediated: ended?.mediated ?? 0,
        successRate: ended ? ratio(ended.mediated, ended.cases) : null,
      };
    });
  };
  return {
    place,
    interval: input.interval,
    period: periodOut(input.period),
    comparison: { kind: input.compare, ...periodOut(previous) },
    series: series('current', input.period),
    previous: series('previous', previous),
  };
}
