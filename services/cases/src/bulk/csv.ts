/**
 * CSV as Excel on a Chinese Windows desktop reads it: UTF-8 with a byte-order mark (without it
 * Excel guesses GBK and shows 乱码), CRLF line ends, RFC 4180 quoting.
 */
export const utf8Bom = '\uFEFF';

/**
 * One CSV field. Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start:
 * "CSV injection") is prefixed with an apostrophe, since report titles come from the public.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly (string | number | boolean | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** One parsed CSV record and the line it starts on (1-based), for reject reports. */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Why the record cannot be trusted (a quoted field never closed), when it cannot. */
  error?: string;
}

/**
 * A streaming RFC 4180 reader: quoted fields may hold commas, quotes ("") and line breaks; CRLF or
 * LF line ends; a leading BOM is skipped. Yields records as chunks arrive, never the whole file.
 */
export async function* readCsv(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  /** The last character was the closing-or-escaping quote of a quoted field. */
  let quotePending = false;
  let line = 1;
  let recordLine = 1;
  let first = true;
  let lastWasCr = false;
  let started = false;

  const endRecord = (): CsvRecord | null => {
    fields.push(field);
    const record = { line: recordLine, fields };
    field = '';
    fields = [];
    started = false;
    // A blank line is no record.
    if (record.fields.length === 1 && record.fields[0] === '') return null;
    return record;
  };

  for await (let chunk of chunks) {
    if (first) {
      if (chunk.startsWith(utf8Bom)) chunk = chunk.slice(1);
      first = false;
    }
    for (const char of chunk) {
      if (lastWasCr) {
        lastWasCr = false;
        if (char === '\n' && !inQuotes) continue;
      }
      if (!started) {
        recordLine = line;
        started = true;
      }
      if (inQuotes) {
        if (quotePending) {
          quotePending = false;
          if (char === '"') {
            field += '"';
            continue;
          }
          inQuotes = false;
          // fall through: the character after a closing quote is handled as outside quotes
        } else if (char === '"') {
          quotePending = true;
          continue;
        } else {
          if (char === '\n') line++;
          field += char;
          continue;
        }
      }
      if (char === '"' && field === '') {
        inQuotes = true;
      } else if (char === ',') {
        fields.push(field);
        field = '';
      } else if (char === '\n' || char === '\r') {
        line++;
        if (char === '\r') lastWasCr = true;
        const record = endRecord();
        if (record) yield record;
      } else {
        field += char;
      }
    }
  }
  if (quotePending) {
    quotePending = false;
    inQuotes = false;
  }
  // A quote opened and never closed has taken every line after it into one field: the rows there
  // are not in the file as read, so the record says so rather than passing for a good one.
  const unterminated = inQuotes;
  if (started) {
    const record = endRecord();
    if (record && unterminated) {
      record.error = 'a quoted field of this record is never closed: the rest of the file was read into it';
    }
    if (record) yield record;
  }
}
