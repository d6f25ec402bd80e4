import { describe, expect, it } from 'vitest';
import { largestAmount, largestHeadcount, parseNumber } from './signals.ts';
import { normalizeWriting } from './written-forms.ts';

describe('amounts of money named in a text', () => {
  it.each([
    ['老板不给工钱，共3800元', 3800],
    ['欠货款3,800元', 3800],
    ['尚欠货款3.6万元未付', 36000],
    ['对方拖欠工程款680万元', 6_800_000],
    // 十几 is read as its least plausible value above ten, as for people: 十几万 → 120,000.
    ['投入了十几万元和5万块', 120000],
    ['借了我20万开砂场', 200000],
    ['拖欠工程款共计６０万元', 600000],
    ['尚欠货款３．６万元', 36000],
    ['老板拖欠工资八十万元，一直拖着不给', 800_000],
    ['对方欠我们工程款两百万，多次催讨无果', 2_000_000],
    ['一个月工资一千二百元都没发', 1200],
    ['工程款八十余万元至今未结', 800_000],
    ['项目总投资一点二亿，拖欠材料款', 120_000_000],
    ['装修款共三万八千元，对方只付了定金', 38000],
    ['拖欠我工资一万二，说下个月再给', 12000],
    ['给了五块钱就走了', 5],
  ])('given "%s", then the largest amount is %d yuan', (text, amount) => {
    expect(largestAmount(normalizeWriting(text))).toBe(amount);
  });

  it('ignores numbers that are not money: days, dates, people', () => {
    expect(largestAmount('2024年8月24日干了19天')).toBeUndefined();
    expect(largestAmount('有5万人参加')).toBeUndefined();
  });

  it.each([
    '在工地干了三天，一个月前就说好的',
    '十一月份第一次去要，一家三口都被赶了出来',
    '我住万安镇，在十八洞村口的百货店门口被打',
    '有一万多名群众围观',
    '千万别让他跑了，快一点处理',
    '两万多平方米的厂房被占了，情况十万火急',
    '田地少了一块，两块菜地也被占了',
  ])('given "%s", then no amount is read', (text) => {
    expect(largestAmount(text)).toBeUndefined();
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
    ['我们三十多名工人被拖欠工资', 30],
    ['讨薪的一共十五名，都是外地来的', 15],
    ['两百多户居民的房子漏水', 200],
  ])('given "%s", then at least %d people', (text, count) => {
    expect(largestHeadcount(normalizeWriting(text))).toBe(count);
  });

  it('does not count days or money', () => {
    expect(largestHeadcount('干了19天，3800元')).toBeUndefined();
  });

  it.each([
    '干了三天，一个月工资八千元',
    '十一月第一次反映，一家三口住在万安镇',
    '比赛得了第十五名，奖金没发',
  ])('given "%s", then no number of people is read', (text) => {
    expect(largestHeadcount(text)).toBeUndefined();
  });

  it('reads the Chinese numerals people write', () => {
    expect(parseNumber('二十')).toBe(20);
    expect(parseNumber('十五')).toBe(15);
    expect(parseNumber('三百')).toBe(300);
    expect(parseNumber('一百零五')).toBe(105);
    expect(parseNumber('三万八千')).toBe(38000);
    expect(parseNumber('一点二亿')).toBe(120_000_000);
    expect(parseNumber('三千五')).toBe(3500);
    expect(parseNumber('一万零二')).toBe(10002);
    expect(parseNumber('3,800')).toBe(3800);
  });
});
