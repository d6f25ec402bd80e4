import { describe, expect, it } from 'vitest';
import { decodeChunks, detectEncoding } from './encoding.ts';

/** 劳动争议,欠薪 in GBK, then in UTF-8 with a BOM. */
const gbk = Buffer.from('c0cdb6afd5f9d2e92cc7b7d0bd0d0a', 'hex');
const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('劳动争议,欠薪\r\n')]);

async function* oneByteAtATime(bytes: Buffer) {
  for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
}
async function text(chunks: AsyncIterable<string>) {
  let all = '';
  for await (const chunk of chunks) all += chunk;
  return all;
}

describe('the encoding of an import file', () => {
  it('GBK from Excel on a Chinese Windows is read as GB18030, UTF-8 (with BOM) as UTF-8', async () => {
    expect(await detectEncoding(oneByteAtATime(gbk))).toBe('gb18030');
    expect(await detectEncoding(oneByteAtATime(utf8))).toBe('utf-8');
    expect(await detectEncoding(oneByteAtATime(Buffer.from('channel,source_ref\n')))).toBe('utf-8');
  });

  it('decodes characters split across chunks whole', async () => {
    expect(await text(decodeChunks(oneByteAtATime(gbk), 'gb18030'))).toBe('劳动争议,欠薪\r\n');
    expect(await text(decodeChunks(oneByteAtATime(utf8), 'utf-8'))).toBe('劳动争议,欠薪\r\n');
  });
});
