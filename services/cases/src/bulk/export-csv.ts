import type { CasesDb } from '../db/prisma.ts';
import type { CaseFilter, SortOrder } from '../search/filters.ts';
import { chinaOffsetMs } from '../search/local-time.ts';
import { type CaseRow, findCasePage, isOverdue, maskedTitles } from '../search/search-cases.ts';
import {
  categoryLabels,
  channelLabels,
  labelOf,
  levelLabels,
  outcomeLabels,
  referredToLabels,
  severityLabels,
  statusLabels,
} from '../stats/labels.ts';
import { csvLine, utf8Bom } from './csv.ts';

/**
 * What an export holds: the case (and its number at its source), where, what, who handles it, how it ended. Deliberately no
 * party data — no names, phone numbers or ID numbers leave the platform in a spreadsheet, not even
 * typed into a title (masked as an agency's list masks it); the case number leads back to the case
 * in the platform where access is checked and logged.
 */
export const exportColumns = [
  '案件编号',
  '受理时间',
  '状态',
  '渠道',
  '来源编号',
  '纠纷类别',
  '严重程度',
  '县（市、区）',
  '乡镇（街道）',
  '村（社区）',
  '行政区划代码',
  '标题',
  '牵头单位',
  '协办单位',
  '书记直通车',
  '办理期限',
  '是否超期',
  '重复反映次数',
  '化解结果',
  '协议金额（元）',
  '转入',
  '办结时间',
  '结案时间',
] as const;

/** A China-time timestamp Excel reads as a date: 2024-08-24 09:30:00. */
function localTime(date: Date | null): string {
  if (!date) return '';
  return new Date(date.getTime() + chinaOffsetMs).toISOString().slice(0, 19).replace('T', ' ');
}

function exportRow(row: CaseRow, sourceRef: string, now: Date): string {
  // Names are stored most general first: 龙岩市 / 新罗区 / 江山镇 / 村.
  const names = row.place_names ?? [];
  const nameAt = (index: number, code: string | null) => (code ? (names[index] ?? '') : '');
  const lead = row.departments.filter((d) => d.role === 'lead').map((d) => d.name);
  const co = row.departments.filter((d) => d.role !== 'lead').map((d) => d.name);
  return csvLine([
    row.id,
    localTime(row.created_at),
    labelOf(statusLabels, row.status),
    labelOf(channelLabels, row.channel),
    sourceRef,
    labelOf(categoryLabels, row.category),
    labelOf(severityLabels, row.severity),
    nameAt(1, row.county_code),
    nameAt(2, row.town_code),
    nameAt(3, row.village_code),
    row.village_code ?? row.town_code ?? row.county_code ?? row.city_code ?? '',
    row.title,
    lead.join('、'),
    co.join('、'),
    labelOf(levelLabels, row.express_level),
    localTime(row.due_at),
    isOverdue(row, now) ? '是' : '否',
    row.repeat_count,
    labelOf(outcomeLabels, row.outcome_kind),
    row.outcome_amount === null ? '' : String(row.outcome_amount),
    labelOf(referredToLabels, row.referred_to),
    localTime(row.resolved_at),
    localTime(row.closed_at),
  ]);
}

/**
 * Each case's number at its source (来源编号: the 12345 work-order number, the WeChat tracking
 * number, the court's case number), its first report's, as a clerk quotes it back to the hotline
 * or the court: one query a page.
 */
async function firstReportRefs(db: CasesDb, caseIds: string[]): Promise<Map<string, string>> {
  const rows = await db.$queryRaw<{ case_id: string; source_ref: string }[]>`
    SELECT DISTINCT ON (case_id) case_id::text, source_ref FROM cases.reports
    WHERE case_id = ANY(${caseIds}::uuid[])
    ORDER BY case_id, received_at, dispute_id`;
  return new Map(rows.map((row) => [row.case_id, row.source_ref]));
}

/**
 * The CSV of a search, produced one keyset page at a time: memory stays at one page however many
 * cases match, and a consumer that reads slowly (a slow download) holds back the next query.
 * Keyset pages make it consistent enough for a report: no case appears twice or is skipped
 * because others arrived meanwhile (newest first, cases received after the export started are not
 * in it); a case that changes while it runs appears as it was when its page was read.
 */
export async function* exportCasesCsv(
  db: CasesDb,
  input: {
    scope: string;
    filter: Omit<CaseFilter, 'sort'>;
    sort: SortOrder;
    now: Date;
    pageSize?: number;
    textViaIndex?: boolean;
  },
): AsyncGenerator<string> {
  yield utf8Bom + csvLine(exportColumns);
  let after: { key: Date | null; id: string } | undefined;
  for (;;) {
    const page = await findCasePage(db, {
      reach: { scope: input.scope },
      filter: input.filter,
      sort: input.sort,
      limit: input.pageSize ?? 1000,
      after,
      now: input.now,
      textViaIndex: input.textViaIndex ?? true,
    });
    if (page.rows.length > 0) {
      // The page's confidential names in one query, not one per row.
      const [rows, refs] = await Promise.all([
        maskedTitles(db, page.rows),
        firstReportRefs(
          db,
          page.rows.map((row) => row.id),
        ),
      ]);
      yield rows.map((row) => exportRow(row, refs.get(row.id) ?? '', input.now)).join('');
    }
    if (!page.next) return;
    after = page.next;
  }
}
