/**
 * Imports historical dispute records (e.g. the 218,000 the platform gathered before it existed)
 * as `dispute.intake.v1` events, through the same contract as the live channels: routing places
 * and assigns them, cases opens their cases, exactly as for a new report.
 *
 *   npx tsx services/cases/scripts/import.ts <file.csv|file.jsonl> [--dry-run] [--batch=500] [--encoding=utf-8|gb18030]
 *
 * Where the events go:
 *   KAFKA_BROKERS=host:port[,…]   the Kafka cluster (distributed mode; KAFKA_NAMESPACE as the services')
 *   otherwise                      the standalone platform's embedded log in DATA_DIR (default
 *                                  ./data); stop the platform first (its database is one process's:
 *                                  the import takes the platform's lock on DATA_DIR and refuses to run
 *                                  while it is held), the events are consumed when it starts again.
 *
 * Columns: see services/cases/src/bulk/import-records.ts (channel, source_ref, received_at,
 * content required). Each dispute's id is the deterministic id of (channel, source_ref), so running
 * the same file again duplicates nothing. `--dry-run` validates and reports without publishing.
 * The file may be UTF-8 (with or without BOM) or GBK/GB18030, as Excel on a Chinese Windows saves
 * CSV: a file that is not valid UTF-8 is read as GB18030, unless `--encoding` says otherwise.
 *
 * Progress goes to stderr; at the end, a summary of rejects (line, field, reason), all of them
 * written to <file>.rejects.csv. Exit code 0: everything imported; 2: some records rejected (the
 * others were imported); 1: the import could not run.
 */
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { topics } from '@huijie/contracts/topics.ts';
import { openToolEventLog } from '@huijie/service-kit/tool-event-log.ts';
import { csvLine, utf8Bom } from '../src/bulk/csv.ts';
import { decodeChunks, detectEncoding, type TextEncoding } from '../src/bulk/encoding.ts';
import { csvRecords, type ImportSummary, importRecords, jsonlRecords } from '../src/bulk/import-records.ts';

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--'));
const dryRun = args.includes('--dry-run');
const batchSize = Number(args.find((arg) => arg.startsWith('--batch='))?.slice('--batch='.length) ?? 500);
const encodingArg = args.find((arg) => arg.startsWith('--encoding='))?.slice('--encoding='.length);
const encodings: Record<string, TextEncoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  gbk: 'gb18030',
  gb18030: 'gb18030',
};
if (
  !file ||
  !/\.(csv|jsonl|ndjson)$/i.test(file) ||
  !(batchSize >= 1) ||
  (encodingArg !== undefined && !Object.hasOwn(encodings, encodingArg.toLowerCase()))
) {
  console.error(
    'usage: npx tsx services/cases/scripts/import.ts <file.csv|file.jsonl> [--dry-run] [--batch=500] [--encoding=utf-8|gb18030]',
  );
  process.exit(1);
}

const size = statSync(file).size;
const encoding =
  encodingArg !== undefined
    ? encodings[encodingArg.toLowerCase()]!
    : await detectEncoding(createReadStream(file));
const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
const text = decodeChunks(stream, encoding);
const records = /\.csv$/i.test(file) ? csvRecords(text) : jsonlRecords(text);

// ── progress on stderr: a bar on a terminal, a line every few seconds in a log ───────────────
let started = Date.now();
const tty = process.stderr.isTTY === true;
let lastDrawn = 0;
function drawProgress(summary: ImportSummary, final = false) {
  const now = Date.now();
  if (!final && now - lastDrawn < (tty ? 100 : 5000)) return;
  lastDrawn = now;
  const done = Math.min(1, stream.bytesRead / Math.max(1, size));
  const seconds = (now - started) / 1000;
  const rate = summary.records / Math.max(seconds, 0.001);
  const eta = done > 0 && done < 1 ? Math.round(seconds / done - seconds) : 0;
  const width = 30;
  const bar = '█'.repeat(Math.round(done * width)).padEnd(width, '░');
  const text =
    `${bar} ${(done * 100).toFixed(1).padStart(5)}%  ${summary.records.toLocaleString('en-US')} records, ` +
    `${summary.published.toLocaleString('en-US')} ${dryRun ? 'valid' : 'published'}, ${summary.rejected} rejected, ` +
    `${Math.round(rate).toLocaleString('en-US')}/s${eta > 0 ? `, ~${eta}s left` : ''}`;
  process.stderr.write(tty ? `\r${text}\u001b[K${final ? '\n' : ''}` : `${text}\n`);
}

let close: (() => Promise<void>) | undefined;
try {
  const target = dryRun
    ? { bus: undefined, where: 'nowhere (dry run)', close: undefined }
    : await openToolEventLog({ service: 'cases-import', holder: 'the historical import' });
  const bus = target.bus;
  close = target.close;
  await bus?.ensureTopics([topics.intake]);
  console.error(`importing ${file} (${(size / 1e6).toFixed(1)} MB, ${encoding}) → ${target.where}`);
  started = Date.now();
  const summary = await importRecords(records, {
    batchSize,
    publish: async (events) => {
      if (bus) await bus.publish(events);
    },
    onProgress: (progress) => drawProgress(progress),
  });
  drawProgress(summary, true);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.error(
    `${summary.records.toLocaleString('en-US')} records in ${seconds}s: ${summary.published.toLocaleString('en-US')} ` +
      `${dryRun ? 'valid (not published: dry run)' : 'published as dispute.intake.v1'}, ${summary.rejected} rejected`,
  );
  if (summary.rejects.length > 0) {
    const byField = new Map<string, number>();
    for (const reject of summary.rejects) byField.set(reject.field, (byField.get(reject.field) ?? 0) + 1);
    console.error(
      `rejects by field: ${[...byField]
        .sort((a, b) => b[1] - a[1])
        .map(([field, n]) => `${field} ${n}`)
        .join(', ')}`,
    );
    console.error('line\tfield\treason');
    for (const reject of summary.rejects.slice(0, 50)) {
      console.error(`${reject.line}\t${reject.field}\t${reject.reason}`);
    }
    if (summary.rejects.length > 50) console.error(`… and ${summary.rejects.length - 50} more`);
    const rejectsFile = `${file}.rejects.csv`;
    writeFileSync(
      rejectsFile,
      // With a BOM, as every CSV the platform writes: the reasons quote Chinese cells, which Excel
      // on a Chinese Windows would otherwise read as GBK (乱码).
      utf8Bom +
        csvLine(['line', 'field', 'reason']) +
        summary.rejects.map((reject) => csvLine([reject.line, reject.field, reject.reason])).join(''),
    );
    console.error(`all rejects: ${rejectsFile}`);
  }
  await close?.();
  process.exit(summary.rejected > 0 ? 2 : 0);
} catch (error) {
  console.error(`\nimport failed: ${(error as Error).message}`);
  await close?.().catch(() => {});
  process.exit(1);
}
