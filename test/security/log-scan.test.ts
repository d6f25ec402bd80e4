import { describe, expect, it } from 'vitest';
import { logScan } from '../e2e/infrastructure.ts';

/** The e2e tests' log scan must catch what it is for, and only that. */
describe('logScan (used after every e2e test)', () => {
  const scanned = (...lines: string[]) => {
    const scan = logScan();
    for (const line of lines) scan.destination.write(`${line}\n`);
    return scan;
  };
  const ids =
    '{"level":30,"time":1795929830110,"service":"ingest-12345","orderNo":"X-1795929830023",' +
    '"disputeId":"64b26f0c-67b6-5e25-a6d9-09db5f47272a","msg":"work order accepted"}';

  it('passes ids, times and order numbers', () => {
    expect(() => scanned(ids).assertClean(['郭某'])).not.toThrow();
  });

  it.each([
    ['a mobile number', '{"msg":"x","to":"13800000000"}'],
    ['a mobile number inside text', '{"msg":"caller 联系电话13912345678 said"}'],
    ['an ID-card number', '{"id":"35080219800101123X"}'],
    ['a pushed name', '{"err":"party 郭某 not valid"}'],
  ])('fails on %s', (_label, line) => {
    expect(() => scanned(ids, line).assertClean(['郭某'])).toThrow(/personal|phone|name/i);
  });

  it('fails when nothing was captured, so a broken capture cannot pass', () => {
    expect(() => scanned().assertClean([])).toThrow(/no log line/);
  });
});
