import { catalogue } from '@huijie/contracts/catalogue.ts';
import { disputeIdFor, uuidv5 } from '@huijie/contracts/ids.ts';
import { readAmount } from '@huijie/contracts/numerals.ts';
import { mobileNumber } from '@huijie/contracts/phone.ts';
import { CategoryCode, Channel } from '@huijie/contracts/vocabulary.ts';
import type { OutgoingEvent } from '@huijie/event-bus/bus.ts';
import { parseCaseNumber } from '@huijie/ingest-courts/case-number.ts';
import { AgreedAmount } from '../domain/agreed-amount.ts';
import { categoryLabels, channelLabels } from '../stats/labels.ts';
import { type CsvRecord, readCsv } from './csv.ts';

/**
 * Historical records → `dispute.intake.v1` events, through the same contract as the live
 * channels: each record is validated by the intake schema, its dispute id is the deterministic
 * id of (channel, source reference), and the event id is derived from it, so importing a file
 * twice publishes the same events again and every consumer applies them once.
 *
 * Input: CSV (UTF-8, with or without BOM, header row) or JSONL (one JSON object per line).
 * Columns / keys (snake_case or camelCase):
 *
 *   channel          required  hotline_12345 | wechat | court (also 12345, 热线, 微信, 法院)
 *   source_ref       required  the channel's own id: 12345 work-order number, WeChat application
 *                              number, court case number (kept in the court intake's canonical
 *                              spelling when it parses: （2024）闽0803民诉前调123号)
 *   received_at      required  when the channel received it: RFC 3339 with offset, or in China
 *                              time "YYYY-MM-DD[ HH:mm[:ss]]", "2023/5/6 9:30" (Excel), "2023.5.6",
 *                              "2023年5月6日[ 9时30分]", or an Excel date serial (45052.5)
 *   content          required  the report's text
 *   title                      short title
 *   category                   platform category code (labor…) or its Chinese name (劳动争议纠纷)
 *   source_category            the channel's own classification, kept as it came
 *   division_code              6/9/12-digit division code where it happened
 *   address                    where it happened, as written
 *   applicant_name, applicant_phone, applicant_id_number
 *   respondent_name, respondent_phone, respondent_kind (person | organisation)
 *   amount_claimed             yuan, as typed: 3800, 3，800, 3万, 3.8万元, 叁仟捌佰圆整, 3800元5角
 *   due_at                     a due time the channel set
 *   revision                   1 by default; a later revision of the same record counts up
 *   source_client              the hotline system or court client that pushed it originally
 *   outcome                    how it ended: mediated | not_mediated | withdrawn (also 调解成功,
 *                              调解不成功, 撤回); with ended_at, and only with it
 *   ended_at                   when it ended (办结时间)
 *   outcome_summary            the agreement reached, or why not
 *   outcome_amount             yuan agreed, written as amount_claimed
 *   referred_to                litigation | arbitration | other (also 诉讼, 仲裁, 其他), after a failed mediation
 *
 * Every record is marked `historical`: its case is opened on the day it was received, no deadline
 * runs and nobody is notified; with an outcome, the case ends on ended_at and closes.
 * A JSONL line may instead be a whole `dispute.intake.v1` object (with `location` and `parties`);
 * its `disputeId`, when present, must be the deterministic one; it is marked historical too.
 */
export interface Reject {
  line: number;
  field: string;
  reason: string;
}

export type ImportOutcome =
  | { ok: true; line: number; event: OutgoingEvent<'dispute.intake.v1'> }
  | { ok: false; rejects: Reject[] };

const channelAliases: Record<string, Channel> = {
  hotline_12345: 'hotline_12345',
  '12345': 'hotline_12345',
  热线: 'hotline_12345',
  '12345热线': 'hotline_12345',
  wechat: 'wechat',
  微信: 'wechat',
  court: 'court',
  法院: 'court',
};
for (const [code, label] of Object.entries(channelLabels)) channelAliases[label] = code as Channel;

const categoryByLabel = new Map(Object.entries(categoryLabels).map(([code, label]) => [label, code]));

/** `receivedAt` → received_at: both spellings are accepted. */
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).toLowerCase();

/**
 * A date with an optional time, without an offset, as China's spreadsheets write it: 2023-05-06,
 * 2023/5/6 9:30 (what Excel on a Chinese Windows writes into a CSV), 2023.5.6, 2023年5月6日,
 * 2023年5月6日 9时30分.
 */
const localDateTime =
  /^(?:(\d{4})([-/.])(\d{1,2})\2(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日?)(?:(?:\s+|T|(?<=日))(\d{1,2})[:时](\d{1,2})分?(?::(\d{1,2})秒?)?)?$/u;
/** An Excel date serial (days since 1899-12-30, the fraction the time of day): 45052.5 is 2023-05-06 12:00. */
const excelSerial = /^\d{5}(?:\.\d+)?$/;
const excelEpoch = Date.UTC(1899, 11, 30);

const two = (digits: string | undefined) => (digits ?? '0').padStart(2, '0');

/** An instant with its offset, as the contract wants it; a time without an offset is China time. */
function instant(value: string): string | null {
  const trimmed = value.normalize('NFKC').trim();
  if (excelSerial.test(trimmed)) {
    // The serial counts China's calendar days and clock: read as UTC, then say +08:00.
    const local = new Date(excelEpoch + Math.round(Number(trimmed) * 86_400) * 1000);
    return `${local.toISOString().slice(0, 19)}+08:00`;
  }
  const local = localDateTime.exec(trimmed);
  const [year, month, day] = local ? [local[1] ?? local[5], local[3] ?? local[6], local[4] ?? local[7]] : [];
  const candidate = local
    ? `${year}-${two(month)}-${two(day)}T${two(local[8])}:${two(local[9])}:${two(local[10])}+08:00`
    : trimmed;
  return Number.isNaN(Date.parse(candidate)) ? null : candidate;
}

const outcomeAliases: Record<string, string> = {
  调解成功: 'mediated',
  成功: 'mediated',
  调解不成功: 'not_mediated',
  调解失败: 'not_mediated',
  不成功: 'not_mediated',
  撤回: 'withdrawn',
  撤诉: 'withdrawn',
};
const historicalColumns: Record<string, string> = {
  endedAt: 'ended_at',
  kind: 'outcome',
  summary: 'outcome_summary',
  amount: 'outcome_amount',
  referredTo: 'referred_to',
};
const referredToAliases: Record<string, string> = { 诉讼: 'litigation', 仲裁: 'arbitration', 其他: 'other' };

/**
 * An amount column in yuan, as the operator typed it: 3800, 3，800, 3万, 叁仟捌佰元 (read as routing reads the
 * amounts in a report); anything else is the record's error, noted against the column.
 */
function amountOf(
  get: (key: string) => string | undefined,
  column: string,
  rejects: Reject[],
  line: number,
): number | undefined {
  const text = get(column);
  if (text === undefined) return undefined;
  const yuan = readAmount(text);
  if (yuan === undefined) {
    rejects.push({
      line,
      field: column,
      reason: `not an amount of yuan: "${text}" (3800, 3,800, 3.8万, 叁仟捌佰元)`,
    });
  }
  return yuan;
}

/** The record's `historical` mark, with how it ended when the record says. */
function historicalOf(
  get: (key: string) => string | undefined,
  rejects: Reject[],
  line: number,
  receivedAt: unknown,
): Record<string, unknown> {
  const kind = get('outcome');
  const endedText = get('ended_at');
  if (kind === undefined && endedText === undefined) return {};
  const historical: Record<string, unknown> = {};
  if (endedText !== undefined) {
    const at = instant(endedText);
    if (at === null) rejects.push({ line, field: 'ended_at', reason: `not a date-time: "${endedText}"` });
    else if (typeof receivedAt === 'string' && Date.parse(at) < Date.parse(receivedAt)) {
      rejects.push({ line, field: 'ended_at', reason: `before received_at (${receivedAt})` });
    } else historical.endedAt = at;
  }
  const amount = amountOf(get, 'outcome_amount', rejects, line);
  const kept = amount === undefined ? undefined : AgreedAmount.safeParse(amount);
  if (kept?.success === false) {
    rejects.push({ line, field: 'outcome_amount', reason: kept.error.issues[0]?.message ?? 'not kept' });
  }
  const referredTo = get('referred_to');
  historical.outcome = {
    kind: kind === undefined ? undefined : (outcomeAliases[kind] ?? kind),
    ...(get('outcome_summary') !== undefined && { summary: get('outcome_summary') }),
    ...(amount !== undefined && { amount }),
    ...(referredTo !== undefined && { referredTo: referredToAliases[referredTo] ?? referredTo }),
  };
  return historical;
}

/** Turns one flat record (CSV row or flat JSON) into the intake shape, noting which column each field came from. */
function fromFlat(
  raw: Record<string, unknown>,
  rejects: Reject[],
  line: number,
): { dispute: Record<string, unknown>; columnOf: (path: PropertyKey[]) => string } {
  const get = (key: string): string | undefined => {
    const value = raw[key];
    if (value === undefined || value === null) return undefined;
    const text = String(value).trim();
    return text.length > 0 ? text : undefined;
  };
  const dispute: Record<string, unknown> = {};
  const channelText = get('channel');
  const channel = channelText
    ? (channelAliases[channelText.toLowerCase()] ?? channelAliases[channelText])
    : undefined;
  if (channelText && !channel) {
    rejects.push({
      line,
      field: 'channel',
      reason: `unknown channel "${channelText}" (hotline_12345, wechat, court)`,
    });
  }
  dispute.channel = channel ?? channelText;
  dispute.sourceRef = get('source_ref');
  const receivedText = get('received_at');
  if (receivedText !== undefined) {
    const at = instant(receivedText);
    if (at === null)
      rejects.push({ line, field: 'received_at', reason: `not a date-time: "${receivedText}"` });
    dispute.receivedAt = at ?? receivedText;
  }
  const dueText = get('due_at');
  if (dueText !== undefined) {
    const at = instant(dueText);
    if (at === null) rejects.push({ line, field: 'due_at', reason: `not a date-time: "${dueText}"` });
    else dispute.dueAt = at;
  }
  dispute.content = get('content');
  if (get('title') !== undefined) dispute.title = get('title');
  const category = get('category');
  if (category !== undefined) dispute.category = categoryByLabel.get(category) ?? category;
  const sourceCategory = get('source_category');
  if (sourceCategory !== undefined) {
    dispute.sourceCategory = { scheme: String(dispute.channel ?? 'import'), name: sourceCategory };
  }
  dispute.location = {
    ...(get('division_code') !== undefined && { divisionCode: get('division_code') }),
    ...(get('address') !== undefined && { address: get('address') }),
  };
  const parties: Record<string, unknown>[] = [];
  const partyColumns: string[] = [];
  for (const role of ['applicant', 'respondent'] as const) {
    const name = get(`${role}_name`);
    const phone = get(`${role}_phone`);
    const idNumber = get(`${role}_id_number`);
    const kind = get(`${role}_kind`);
    if (name === undefined && phone === undefined && idNumber === undefined) continue;
    parties.push({
      role,
      kind: kind ?? 'person',
      ...(name !== undefined && { name }),
      // A mobile as its 11 digits, as the intakes write it: an open case of the same caller is
      // found by it (repeats), however the spreadsheet spelled the number.
      ...(phone !== undefined && { phone: mobileNumber(phone) ?? phone }),
      ...(idNumber !== undefined && { idNumber }),
    });
    partyColumns.push(role);
  }
  dispute.parties = parties;
  const amountClaimed = amountOf(get, 'amount_claimed', rejects, line);
  if (amountClaimed !== undefined) dispute.amountClaimed = amountClaimed;
  dispute.historical = historicalOf(get, rejects, line, dispute.receivedAt);
  const revision = get('revision');
  if (revision !== undefined) dispute.revision = Number(revision);
  if (get('source_client') !== undefined) dispute.sourceClient = get('source_client');

  const columnOf = (path: PropertyKey[]): string => {
    const [head, index, leaf] = path.map(String);
    if (head === 'location') return index === 'divisionCode' ? 'division_code' : (index ?? 'division_code');
    if (head === 'parties' && index !== undefined) {
      const role = partyColumns[Number(index)] ?? 'party';
      return leaf === 'idNumber' ? `${role}_id_number` : `${role}_${snake(leaf ?? 'name')}`;
    }
    if (head === 'sourceCategory') return 'source_category';
    if (head === 'historical') return historicalColumns[leaf ?? index ?? 'outcome'] ?? 'outcome';
    return snake(head ?? '(record)');
  };
  return { dispute, columnOf };
}

/** Validates one record against the intake contract; on success, the event to publish. */
export function recordToEvent(raw: Record<string, unknown>, line: number): ImportOutcome {
  const rejects: Reject[] = [];
  const normalised: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) normalised[snake(key.trim())] = value;
  const contractShaped =
    typeof raw.location === 'object' && raw.location !== null && Array.isArray(raw.parties);
  let dispute: Record<string, unknown>;
  let columnOf: (path: PropertyKey[]) => string;
  if (contractShaped) {
    dispute = { ...raw, historical: raw.historical ?? {} };
    columnOf = (path) => path.map(String).join('.');
  } else {
    ({ dispute, columnOf } = fromFlat(normalised, rejects, line));
  }
  const channel = Channel.safeParse(dispute.channel);
  if (channel.data === 'court' && typeof dispute.sourceRef === 'string') {
    // A case number in any spelling ((2024)…, 〔2024〕…, spaces, 0123) is the one the court intake
    // keeps, so the record and a referral the court pushes (again) are one dispute.
    const caseNumber = parseCaseNumber(dispute.sourceRef);
    if (caseNumber.ok) dispute.sourceRef = caseNumber.value.canonical;
  }
  const sourceRef = typeof dispute.sourceRef === 'string' ? dispute.sourceRef : undefined;
  const expectedId = channel.success && sourceRef ? disputeIdFor(channel.data, sourceRef) : undefined;
  if (contractShaped && dispute.disputeId !== undefined && expectedId && dispute.disputeId !== expectedId) {
    rejects.push({
      line,
      field: 'disputeId',
      reason: `must be the deterministic id of channel + sourceRef (${expectedId}), so that a re-import duplicates nothing`,
    });
  }
  if (dispute.category !== undefined && !CategoryCode.safeParse(dispute.category).success) {
    rejects.push({
      line,
      field: columnOf(['category']),
      reason: `unknown category "${String(dispute.category)}"`,
    });
    delete dispute.category;
  }
  // The contract as the bus checks it (text PostgreSQL can store included): a record it would refuse
  // is reported here, not published in a batch the bus refuses whole.
  const parsed = catalogue['dispute.intake.v1'].schema.safeParse({
    ...dispute,
    disputeId: expectedId ?? dispute.disputeId,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // Without a valid channel and source reference there is no id: those two say why.
      if (issue.path[0] === 'disputeId' && expectedId === undefined) continue;
      const field = columnOf(issue.path);
      // Problems already explained in the record's own terms are not repeated in the contract's.
      if (rejects.some((reject) => reject.field === field)) continue;
      const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
      rejects.push({ line, field, reason: missing ? 'required' : issue.message });
    }
  }
  if (rejects.length > 0 || !parsed.success) return { ok: false, rejects };
  const data = parsed.data;
  return {
    ok: true,
    line,
    event: {
      name: 'dispute.intake.v1',
      key: data.disputeId,
      data,
      // The same record always makes the same event: consumers that deduplicate by event id can.
      id: uuidv5(`import:${data.disputeId}:r${data.revision}`),
    },
  };
}

/** Records of a CSV file: the header row names the columns. */
export async function* csvRecords(
  chunks: AsyncIterable<string>,
): AsyncGenerator<{ line: number; raw: Record<string, unknown> } | { line: number; error: string }> {
  let header: string[] | null = null;
  for await (const record of readCsv(chunks) as AsyncIterable<CsvRecord>) {
    if (record.error) {
      yield { line: record.line, error: record.error };
      continue;
    }
    if (!header) {
      header = record.fields.map((name) => snake(name.trim()));
      continue;
    }
    if (record.fields.length > header.length) {
      yield { line: record.line, error: `${record.fields.length} fields, the header has ${header.length}` };
      continue;
    }
    const raw: Record<string, unknown> = {};
    header.forEach((name, i) => {
      raw[name] = record.fields[i] ?? '';
    });
    yield { line: record.line, raw };
  }
}

/** Records of a JSONL file: one object per line, blank lines skipped. */
export async function* jsonlRecords(
  chunks: AsyncIterable<string>,
): AsyncGenerator<{ line: number; raw: Record<string, unknown> } | { line: number; error: string }> {
  let buffer = '';
  let line = 0;
  const parse = (text: string, at: number) => {
    const trimmed = text.replace(/^\uFEFF/, '').trim();
    if (trimmed.length === 0) return null;
    try {
      const value = JSON.parse(trimmed);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { line: at, error: 'not a JSON object' };
      }
      return { line: at, raw: value as Record<string, unknown> };
    } catch (error) {
      return { line: at, error: `not valid JSON: ${(error as Error).message}` };
    }
  };
  for await (const chunk of chunks) {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      line++;
      const parsed = parse(buffer.slice(0, newline), line);
      buffer = buffer.slice(newline + 1);
      if (parsed) yield parsed;
      newline = buffer.indexOf('\n');
    }
  }
  if (buffer.length > 0) {
    const parsed = parse(buffer, line + 1);
    if (parsed) yield parsed;
  }
}

export interface ImportSummary {
  records: number;
  published: number;
  rejected: number;
  rejects: Reject[];
}

/**
 * Validates every record and publishes the good ones in batches; a record that fails is reported
 * (line, field, reason) and skipped, the others go on. The same (channel, source_ref) twice in a
 * file is refused the second time: it would be the same dispute.
 */
export async function importRecords(
  records: AsyncIterable<{ line: number; raw: Record<string, unknown> } | { line: number; error: string }>,
  options: {
    publish: (events: OutgoingEvent[]) => Promise<void>;
    batchSize?: number;
    onProgress?: (summary: ImportSummary) => void;
  },
): Promise<ImportSummary> {
  const summary: ImportSummary = { records: 0, published: 0, rejected: 0, rejects: [] };
  const seen = new Map<string, number>();
  let batch: OutgoingEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await options.publish(batch);
    summary.published += batch.length;
    batch = [];
  };
  for await (const record of records) {
    summary.records++;
    if ('error' in record) {
      summary.rejected++;
      summary.rejects.push({ line: record.line, field: '(record)', reason: record.error });
    } else {
      const outcome = recordToEvent(record.raw, record.line);
      if (!outcome.ok) {
        summary.rejected++;
        summary.rejects.push(...outcome.rejects);
      } else {
        const earlier = seen.get(outcome.event.key);
        if (earlier !== undefined) {
          summary.rejected++;
          summary.rejects.push({
            line: record.line,
            field: 'source_ref',
            reason: `the same channel and source_ref as line ${earlier}`,
          });
        } else {
          seen.set(outcome.event.key, record.line);
          batch.push(outcome.event);
          if (batch.length >= (options.batchSize ?? 500)) await flush();
        }
      }
    }
    options.onProgress?.(summary);
  }
  await flush();
  options.onProgress?.(summary);
  return summary;
}
