import { readFileSync } from 'node:fs';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import type { CategoryCode, Channel, DepartmentKind } from '@huijie/contracts/vocabulary.ts';
import type { Router } from '../../src/domain/router.ts';

/** One hand-written report of data/labelled-reports.jsonl with what a careful dispatcher would decide. */
export interface LabelledReport {
  id: string;
  channel: Channel;
  /** How the place is given: code, full, partial, county, town, village, text, ambiguous, none. */
  style: string;
  content: string;
  address?: string;
  divisionCode?: string;
  sourceCategory?: { scheme: string; name?: string };
  revision?: number;
  amountClaimed?: number;
  expect: {
    place: string;
    county: string | null;
    town: string | null;
    category: CategoryCode;
    /** null: the dispute should wait in triage. */
    lead: DepartmentKind | null;
  };
}

export const labelledReportsFile = new URL('../../data/labelled-reports.jsonl', import.meta.url);

export function loadLabelledReports(file: URL = labelledReportsFile): LabelledReport[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledReport);
}

export function toDispute(report: LabelledReport, index: number): DisputeReceivedV1 {
  const dispute: DisputeReceivedV1 = {
    disputeId: `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
    channel: report.channel,
    sourceRef: report.id,
    revision: report.revision ?? 1,
    receivedAt: '2024-08-24T09:00:00+08:00',
    content: report.content,
    location: {},
    parties: [],
    attachments: [],
  };
  if (report.address) dispute.location.address = report.address;
  if (report.divisionCode) dispute.location.divisionCode = report.divisionCode;
  if (report.sourceCategory) dispute.sourceCategory = report.sourceCategory;
  if (report.amountClaimed !== undefined) dispute.amountClaimed = report.amountClaimed;
  return dispute;
}

export const fields = ['county', 'town', 'category', 'lead'] as const;
export type Field = (typeof fields)[number];

export interface Miss {
  id: string;
  field: Field;
  expected: string | null;
  got: string | null;
}

export interface AccuracyReport {
  total: number;
  correct: Record<Field, number>;
  accuracy: Record<Field, number>;
  /** All four fields right. */
  allRight: number;
  byStyle: Map<string, { total: number; allRight: number }>;
  /** expected category → decided category → count. */
  confusion: Map<CategoryCode, Map<CategoryCode, number>>;
  misses: Miss[];
}

export function measureAccuracy(router: Router, reports: LabelledReport[]): AccuracyReport {
  const now = new Date('2024-08-24T01:00:00Z');
  const correct: Record<Field, number> = { county: 0, town: 0, category: 0, lead: 0 };
  const confusion = new Map<CategoryCode, Map<CategoryCode, number>>();
  const byStyle = new Map<string, { total: number; allRight: number }>();
  const misses: Miss[] = [];
  let allRight = 0;
  reports.forEach((report, index) => {
    const decision = router.decide(toDispute(report, index), now);
    const got: Record<Field, string | null> = {
      county: decision.jurisdiction.countyCode ?? null,
      town: decision.jurisdiction.townCode ?? null,
      category: decision.category,
      lead: decision.lead?.kind ?? null,
    };
    let right = true;
    for (const field of fields) {
      if (got[field] === report.expect[field]) correct[field]++;
      else {
        right = false;
        misses.push({ id: report.id, field, expected: report.expect[field], got: got[field] });
      }
    }
    if (right) allRight++;
    const style = byStyle.get(report.style) ?? { total: 0, allRight: 0 };
    style.total++;
    if (right) style.allRight++;
    byStyle.set(report.style, style);
    const row = confusion.get(report.expect.category) ?? new Map<CategoryCode, number>();
    row.set(decision.category, (row.get(decision.category) ?? 0) + 1);
    confusion.set(report.expect.category, row);
  });
  const total = reports.length;
  const accuracy = Object.fromEntries(fields.map((f) => [f, total === 0 ? 0 : correct[f] / total])) as Record<
    Field,
    number
  >;
  return { total, correct, accuracy, allRight, byStyle, confusion, misses };
}
