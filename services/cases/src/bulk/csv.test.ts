import { describe, expect, it } from 'vitest';
import { csvField, csvLine, readCsv } from './csv.ts';

async function* chunks(...parts: string[]) {
  yield* parts;
}

async function all(...parts: string[]) {
  const out = [];
  for await (const record of readCsv(chunks(...parts))) out.push(record);
  return out;
}

describe('CSV', () => {
  it('quotes fields with commas, quotes and line breaks', () => {
    expect(csvLine(['a,b', 'say "hi"', 'two\nlines', 3, null])).toBe(
      '"a,b","say ""hi""","two\nlines",3,\r\n',
    );
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvField(-5)).toBe('-5');
  });

  it('reads what it writes, across chunk boundaries, with the line each record starts on', async () => {
    const text = `\uFEFFa,b\r\n${csvLine(['x,1', 'y "q"\r\nz'])}${csvLine(['plain', ''])}\nlast,row`;
    const cut = [text.slice(0, 7), text.slice(7, 15), text.slice(15)];
    expect(await all(...cut)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'y "q"\r\nz'] },
      { line: 4, fields: ['plain', ''] },
      { line: 6, fields: ['last', 'row'] },
    ]);
  });

  it('takes LF line ends and a quoted empty field', async () => {
    expect(await all('a,"",c\n1,2,3')).toEqual([
      { line: 1, fields: ['a', '', 'c'] },
      { line: 2, fields: ['1', '2', '3'] },
    ]);
  });
});
