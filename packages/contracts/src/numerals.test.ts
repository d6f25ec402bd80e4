import { describe, expect, it } from 'vitest';
import { parseNumber, readAmount } from './numerals.ts';

describe('numerals as people write them', () => {
  it.each([
    ['二十', 20],
    ['十五', 15],
    ['三百', 300],
    ['一百零五', 105],
    ['三万八千', 38000],
    ['一点二亿', 120_000_000],
    ['三千五', 3500],
    ['一万零二', 10002],
    ['3,800', 3800],
    ['3 800', 3800],
    ['1 200 000', 1_200_000],
    ['万', 10000],
  ])('given %s, then %d', (text, value) => {
    expect(parseNumber(text)).toBe(value);
  });
});

describe('an amount column as operators typed it', () => {
  it.each([
    ['3800', 3800],
    ['3,800', 3800],
    ['3，800', 3800],
    ['３８００', 3800],
    ['3 800', 3800],
    ['3800.50', 3800.5],
    ['¥3800', 3800],
    ['￥3,800', 3800],
    ['3800元', 3800],
    ['3万', 30000],
    ['3.8万元', 38000],
    ['3万8千', 38000],
    ['叁仟捌佰', 3800],
    ['叁仟捌佰圆整', 3800],
    ['人民币壹万零伍佰元整', 10500],
    ['3800元5角', 3800.5],
    ['3800元5角6分', 3800.56],
    ['一点二五万', 12500],
    ['壹点贰伍万元', 12500],
    ['0', 0],
    ['0元', 0],
  ])('given "%s", then %d yuan', (field, yuan) => {
    expect(readAmount(field)).toBe(yuan);
  });

  it.each([
    'lots',
    '未知',
    '-3800',
    '3-4万',
    '3800元左右',
    '13812345678 800',
    '1e3',
    '几千元',
    '十几万',
    '三四千',
    '上万元',
    '数万',
    '一点几万',
  ])('given "%s", then it is not an amount', (field) => {
    expect(readAmount(field)).toBeUndefined();
  });
});
