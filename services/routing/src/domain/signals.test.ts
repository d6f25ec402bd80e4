import { describe, expect, it } from 'vitest';
import { largestAmount, largestHeadcount, parseChineseCount } from './signals.ts';

describe('amounts of money named in a text', () => {
  it.each([
    ['老板不给工钱，共3800元', 3800],
    ['欠货款3,800元', 3800],
    ['尚欠货款3.6万元未付', 36000],
    ['对方拖欠工程款680万元', 6_800_000],
    ['投入了十几万元和5万块', 50000],
    ['借了我20万开砂场', 200000],
    ['拖欠工程款共计６０万元', 600000],
    ['尚欠货款３．６万元', 36000],
  ])('given "%s", then the largest amount is %d yuan', (text, amount) => {
    expect(largestAmount(text)).toBe(amount);
  });

  it('ignores numbers that are not money: days, dates, people', () => {
    expect(largestAmount('2024年8月24日干了19天')).toBeUndefined();
    expect(largestAmount('有5万人参加')).toBeUndefined();
  });
});

describe('numbers of people named in a text', () => {
  it.each([
    ['十多名农民工在工地干了半年', 10],
    ['二十多名工人', 20],
    ['一百多户村民', 100],
    ['30名员工', 30],
    ['十几个人，每人两三千元', 12],
    ['３０名员工', 30],
  ])('given "%s", then at least %d people', (text, count) => {
    expect(largestHeadcount(text)).toBe(count);
  });

  it('does not count days or money', () => {
    expect(largestHeadcount('干了19天，3800元')).toBeUndefined();
  });

  it('reads the Chinese numerals people write', () => {
    expect(parseChineseCount('二十')).toBe(20);
    expect(parseChineseCount('十五')).toBe(15);
    expect(parseChineseCount('三百')).toBe(300);
  });
});
