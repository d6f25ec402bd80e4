import { describe, expect, it } from 'vitest';
import { chinaYear, formatCaseNumber, parseCaseNumber } from './case-number.ts';
import { courtCodes } from './courts.ts';

const now = new Date('2024-09-01T02:00:00Z');
const parse = (input: unknown) => parseCaseNumber(input, now);
const canonicalOf = (input: unknown) => {
  const result = parse(input);
  if (!result.ok) throw new Error(`expected ${String(input)} to parse: ${result.reason}`);
  return result.value.canonical;
};
const reasonOf = (input: unknown) => {
  const result = parse(input);
  if (result.ok) throw new Error(`expected ${String(input)} to be rejected, got ${result.value.canonical}`);
  return result.reason;
};

describe('parseCaseNumber: the accepted spellings of one case number', () => {
  const canonical = '（2024）闽0803民诉前调123号';

  it.each([
    ['full-width brackets (the official form)', '（2024）闽0803民诉前调123号'],
    ['half-width brackets', '(2024)闽0803民诉前调123号'],
    ['mixed brackets: full then half', '（2024)闽0803民诉前调123号'],
    ['mixed brackets: half then full', '(2024）闽0803民诉前调123号'],
    ['tortoise-shell brackets 〔〕 as in document numbers', '〔2024〕闽0803民诉前调123号'],
    ['square brackets', '[2024]闽0803民诉前调123号'],
    ['full-width digits', '（２０２４）闽０８０３民诉前调１２３号'],
    ['spaces between the parts', '(2024) 闽0803 民诉前调 123 号'],
    ['an ideographic space U+3000', '（2024）\u3000闽0803民诉前调123号'],
    ['leading and trailing whitespace, a newline', '  （2024）闽0803民诉前调123号\n'],
    ['a zero-width space from a copy-paste', '（2024）闽0803\u200b民诉前调123号'],
    ['a byte-order mark in front', '\ufeff(2024)闽0803民诉前调123号'],
    ['leading zeros in the sequence', '（2024）闽0803民诉前调0123号'],
  ])('%s', (_label, input) => {
    expect(canonicalOf(input)).toBe(canonical);
  });

  it('returns the parts', () => {
    expect(parse('(2024)闽0803民诉前调123号')).toEqual({
      ok: true,
      value: { canonical, year: 2024, court: '闽0803', type: '民诉前调', sequence: 123 },
    });
  });

  it('accepts every court of Longyan', () => {
    for (const court of courtCodes) {
      expect(canonicalOf(`(2023)${court}民诉前调7号`)).toBe(`（2023）${court}民诉前调7号`);
    }
  });

  it('accepts the civil first- and second-instance type codes, second instance only at the intermediate court', () => {
    expect(canonicalOf('(2024)闽0802民初4567号')).toBe('（2024）闽0802民初4567号');
    expect(canonicalOf('(2024)闽08民初12号')).toBe('（2024）闽08民初12号');
    expect(canonicalOf('(2024)闽08民终890号')).toBe('（2024）闽08民终890号');
    expect(canonicalOf('(2024)闽08民诉前调5号')).toBe('（2024）闽08民诉前调5号');
    expect(reasonOf('(2024)闽0803民终890号')).toMatch(/only issued by the intermediate court 闽08/);
  });

  it('accepts every year from 2016 to this year in China, including on 1 January before UTC catches up', () => {
    expect(canonicalOf('(2016)闽0803民初1号')).toBe('（2016）闽0803民初1号');
    expect(canonicalOf('(2024)闽0803民初1号')).toBe('（2024）闽0803民初1号');
    const newYearsMorningInChina = new Date('2024-12-31T17:00:00Z');
    expect(chinaYear(newYearsMorningInChina)).toBe(2025);
    expect(parseCaseNumber('(2025)闽0803民诉前调1号', newYearsMorningInChina).ok).toBe(true);
  });

  it('accepts the largest sequence of seven digits', () => {
    expect(canonicalOf('(2024)闽0802民初9999999号')).toBe('（2024）闽0802民初9999999号');
  });

  it('formats what it parses', () => {
    const result = parse('(2024)闽0824民初88号');
    expect(result.ok && formatCaseNumber(result.value)).toBe('（2024）闽0824民初88号');
  });
});

describe('parseCaseNumber: what it rejects, and says why', () => {
  it.each([
    ['not a string', 20240803, /must be a string/],
    ['null', null, /must be a string/],
    ['empty', '', /must not be empty/],
    ['only whitespace', ' \u3000\t', /must not be empty/],
    ['too long', `（2024）闽0803民诉前调${'1'.repeat(80)}号`, /longer than 64/],
    ['no year', '闽0803民诉前调123号', /must start with the year in brackets/],
    ['year without brackets', '2024闽0803民诉前调123号', /must start with the year in brackets/],
    ['unclosed bracket', '（2024闽0803民诉前调123号', /must start with the year in brackets/],
    ['two-digit year', '(24)闽0803民诉前调123号', /"24" must have four digits/],
    ['five-digit year', '(20245)闽0803民诉前调123号', /must have four digits/],
    ['year before the 2016 numbering', '(2015)闽0803民初123号', /before 2016/],
    ['year in the future', '(2025)闽0803民诉前调123号', /2025 is in the future/],
    ['old-style number', '（2014）龙民初字第123号', /old-style/],
    ['no court code', '(2024)民诉前调123号', /followed by a court code/],
    ['court code without province', '(2024)0803民诉前调123号', /followed by a court code/],
    ['a Beijing court', '(2024)京0105民初123号', /京0105 is not a court of Longyan/],
    ['another Fujian city', '(2024)闽0102民初123号', /闽0102 is not a court of Longyan/],
    ['an unknown county of Longyan', '(2024)闽0899民初123号', /闽0899 is not a court/],
    ['the provincial high court', '(2024)闽民终123号', /followed by a court code/],
    ['the old 永定县 code', '(2024)闽0822民初123号', /永定区 is 闽0803/],
    ['a three-digit court code', '(2024)闽080民初123号', /闽080 is not a court/],
    ['no type code', '(2024)闽0803123号', /followed by a type code/],
    ['enforcement', '(2024)闽0803执123号', /type code 执 is not referred/],
    ['criminal', '(2024)闽0803刑初123号', /type code 刑初 is not referred/],
    ['administrative', '(2024)闽0803行初123号', /type code 行初 is not referred/],
    ['special procedure', '(2024)闽0803民特123号', /type code 民特 is not referred/],
    ['unknown type code', '(2024)闽0803调123号', /type code 调 is not referred.*民诉前调, 民初, 民终/],
    ['Latin letters instead of a type code', '(2024)闽0803MC123号', /followed by a type code/],
    ['Chinese numerals as the sequence', '(2024)闽0803民初一二三号', /民初一二三 is not referred/],
    ['no sequence', '(2024)闽0803民诉前调号', /followed by the sequence number/],
    ['no 号', '(2024)闽0803民诉前调123', /must end with 号/],
    ['something after 号', '(2024)闽0803民诉前调123号之一', /nothing after/],
    ['two numbers', '(2024)闽0803民诉前调123号(2024)闽0803民诉前调124号', /nothing after/],
    ['a sequence of zero', '(2024)闽0803民诉前调0号', /1 or more/],
    ['a sequence of eight digits', '(2024)闽0803民诉前调12345678号', /more than seven digits/],
    ['letters in the sequence', '(2024)闽0803民诉前调12a号', /nothing after/],
  ])('%s', (_label, input, reason) => {
    expect(reasonOf(input)).toMatch(reason);
  });
});
