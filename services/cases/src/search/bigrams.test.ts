import { describe, expect, it } from 'vitest';
import { queryGramsOf, searchGramsOf } from './bigrams.ts';

describe('search grams', () => {
  it("a report's text gives its character bigrams, never across punctuation", () => {
    expect(searchGramsOf(['老板拖欠工资，3800元'])).toEqual(
      ['00', '38', '80', '0元', '工资', '拖欠', '板拖', '欠工', '老板'].sort(),
    );
  });

  it('full-width letters and digits are folded, Latin is lower-cased', () => {
    expect(searchGramsOf(['ＧＤ２０２４'])).toEqual(searchGramsOf(['gd2024']));
  });

  it('a number with thousands separators or full-width digits is the plain number, both ways', () => {
    const finds = (text: string, query: string) =>
      queryGramsOf(query).every((gram) => new Set(searchGramsOf([text])).has(gram));
    for (const text of [
      '欠工资3,800元',
      '欠工资3，800元',
      '欠工资３８００元',
      '欠工资３，８００元',
      '欠工资3800元',
    ]) {
      for (const query of ['3800', '3,800', '3，800', '３８００', '3800元']) {
        expect(finds(text, query), `${query} in ${text}`).toBe(true);
      }
    }
    expect(searchGramsOf(['1,234,567'])).toEqual(searchGramsOf(['1234567']));
    // Not a thousands group: the commas still separate (a list, a decimal comma).
    expect(searchGramsOf(['1,2,3'])).toEqual(['1', '2', '3']);
    expect(finds('3,80元', '380')).toBe(false);
    // A phone number then an amount is not one number (as routing reads amounts).
    expect(finds('13812345678，500元', '8500')).toBe(false);
    expect(finds('13812345678，500元', '500元')).toBe(true);
  });

  it('a lone character between punctuation is kept as itself', () => {
    expect(searchGramsOf(['钱、房'])).toEqual(['房', '钱']);
  });

  it('a query matches the report it came from, word by word', () => {
    const stored = new Set(searchGramsOf(['杨某反映：其起诉胡某要求赔偿损失，法院判决后胡某拒不赔偿']));
    for (const query of ['赔偿损失', '胡某 拒不赔偿', '法院判决']) {
      expect(queryGramsOf(query).every((gram) => stored.has(gram))).toBe(true);
    }
    expect(queryGramsOf('拖欠工资').every((gram) => stored.has(gram))).toBe(false);
  });

  it('a query of single characters has no grams (refused by the API)', () => {
    expect(queryGramsOf('钱')).toEqual([]);
    expect(queryGramsOf('钱 房')).toEqual([]);
  });

  it('characters outside the basic plane count as one character', () => {
    expect(searchGramsOf(['𠀋村'])).toEqual(['𠀋村']);
  });
});
