import { describe, expect, it } from 'vitest';
import { largestAmount, largestHeadcount } from './signals.ts';
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

describe('amounts as receipts, contracts and callers write them', () => {
  it.each([
    // 大写, as on receipts and contracts; 零 holds an empty place, 圆 is the receipt's 元
    ['欠工资贰万元', 20000],
    ['收条写明叁仟捌佰元整', 3800],
    ['借条：今借到人民币壹万零伍佰元整', 10500],
    ['合同价款壹拾万圆整', 100000],
    ['玖仟玖佰玖拾玖元', 9999],
    ['工程尾款伍拾万元整未付', 500000],
    // digits and characters mixed, and what is said on the phone
    ['借了3万8千元', 38000],
    ['借给他3万8，一直不还', 38000],
    ['欠我1万5没还', 15000],
    ['欠我1万5000元', 15000],
    ['工资3千8百元', 3800],
    ['一个月3千8，三个月没发', 3800],
    ['工资三千八没给', 3800],
    ['三千八百元', 3800],
    ['2千5一个月', 2500],
    ['工资三千八一个月', 3800],
    ['欠材料款2千万元', 20_000_000],
    ['欠我两万', 20000],
    ['货款3.8万', 38000],
    ['货款1.15万元', 11500],
    ['欠款3，800元', 3800],
    ['欠款￥3,800.50', 3800.5],
    ['欠款¥3800', 3800],
    // vague amounts are read as the least they can mean, ranges as their lower end
    ['欠了几千块', 2000],
    ['欠了十几万', 120000],
    ['涉及金额上百万', 1_000_000],
    ['投资了数十万元', 200000],
    ['每人两三千元', 2000],
    ['欠了一两万', 10000],
    ['工程款四五十万元', 400000],
    // a range written with a dash or a word is read the same way, as its lower end
    ['借了3-4万', 30000],
    ['借了3~4万元', 30000],
    ['借了3～4万元', 30000],
    ['借了3到4万', 30000],
    ['借了3至4万元', 30000],
    ['借了三到四万', 30000],
    ['借了3万-4万元', 30000],
    ['工资3-4千元', 3000],
    ['赔偿3.5-4.5万', 35000],
    ['工程款3千到4万', 3000],
    // a lower end written like the upper end's first part shares its 万 or 亿: 3千-4千万 is 3千万 to 4千万
    ['项目欠款3千-4千万', 30_000_000],
    ['工程款三千到四千万元', 30_000_000],
    ['集资五百至六百万', 5_000_000],
    ['损失3千到4百万', 3000],
    ['2024-08-24借了3-4万', 30000],
    ['电话138-0000-1234，欠款3-4万元', 30000],
    ['座机0597-2233445转801，借了3到4万', 30000],
    // thousands grouped by a space, as some forms and spreadsheets print them
    ['共3 800元，干了19天', 3800],
    ['工程款1 200 000元', 1_200_000],
    ['2024/8/24 800元', 800],
    ['2024-08-24 800元', 800],
    ['电话138 0000 1234 800元押金', 800],
    ['联系电话13812345678 300元押金不退', 300],
    // 角 and 分 after 元 are below what routing weighs; they do not change the yuan read
    ['收条写明3800元5角', 3800],
    ['叁仟捌佰元伍角陆分', 3800],
    // about and nearly: 万把块 is about ten thousand, 近百万 is below a million (nine tenths of it)
    ['欠了万把块', 10000],
    ['欠了千把块钱', 1000],
    ['涉及金额近百万', 900_000],
    ['将近10万元', 90000],
    ['最近3万元的货款没给', 30000],
    // a phone number before a sum is not the sum's thousands
    ['联系电话13812345678，300元押金不退', 300],
  ])('given "%s", then the largest amount is %d yuan', (text, amount) => {
    expect(largestAmount(normalizeWriting(text))).toBe(amount);
  });

  it.each([
    '2024年8月24日在江山镇',
    '联系电话13812345678',
    '座机0597-2233445，分机3800',
    '干了19天',
    '住3号楼2单元',
    '利息涨了30%',
    '只付了百分之三十',
    '工资3800，19天',
    '运了3千克',
    '一万五千字的材料',
    '跑了十万八千里',
    '走了3千8公里',
    '二百五',
  ])('given "%s", then no amount is read', (text) => {
    expect(largestAmount(normalizeWriting(text))).toBeUndefined();
  });
});

/** n in Chinese numerals as a careful writer puts it: 一万零五十, 叁仟捌佰; n < 100,000,000. */
function writtenInChinese(n: number, formal: boolean): string {
  const digits = formal ? '零壹贰叁肆伍陆柒捌玖' : '零一二三四五六七八九';
  const units = formal ? ['', '拾', '佰', '仟'] : ['', '十', '百', '千'];
  const group = (g: number) => {
    let out = '';
    let zero = false;
    for (let p = 3; p >= 0; p--) {
      const d = Math.floor(g / 10 ** p) % 10;
      if (d === 0) zero = out !== '';
      else {
        out += (zero ? '零' : '') + digits[d] + units[p];
        zero = false;
      }
    }
    return out;
  };
  if (n < 1e4) return group(n);
  const low = n % 1e4;
  return `${group(Math.floor(n / 1e4))}万${low === 0 ? '' : (low < 1000 ? '零' : '') + group(low)}`;
}

describe('every whole amount reads back whatever way it is written', () => {
  // All amounts up to 20,000, then every 7,919th up to a hundred million: deterministic, about 33,000 values.
  const amounts: number[] = [];
  for (let n = 1; n <= 20_000; n++) amounts.push(n);
  for (let n = 20_000; n < 1e8; n += 7919) amounts.push(n);

  it.each([
    ['in 大写', (n: number) => `欠款${writtenInChinese(n, true)}元整`],
    ['in Chinese numerals', (n: number) => `拖欠${writtenInChinese(n, false)}元`],
    ['in digits grouped by thousands', (n: number) => `共${n.toLocaleString('en-US')}元，干了19天`],
    ['in digits and 万', (n: number) => `借了${n / 1e4}万元`],
  ])('%s', (_, write) => {
    const misread = amounts.filter((n) => largestAmount(normalizeWriting(write(n))) !== n);
    expect(misread.map(write).slice(0, 5)).toEqual([]);
  });

  it('the spoken 万 and 千 short forms: 3万8, 3万8千, 三千八', () => {
    for (let a = 1; a <= 9; a++) {
      for (let b = 1; b <= 9; b++) {
        expect(largestAmount(`欠我${a}万${b}`)).toBe(a * 10_000 + b * 1000);
        expect(largestAmount(`欠我${a}万${b}千元`)).toBe(a * 10_000 + b * 1000);
        expect(largestAmount(`欠我${writtenInChinese(a * 1000, false)}${writtenInChinese(b, false)}`)).toBe(
          a * 1000 + b * 100,
        );
      }
    }
  });

  it('dates, phone numbers, days and house numbers are never amounts', () => {
    for (let n = 0; n < 2000; n++) {
      const day = `${2000 + (n % 30)}年${1 + (n % 12)}月${1 + (n % 28)}日`;
      const phone = `1${String(3_000_000_000 + n * 3_456_789).padStart(10, '0')}`;
      const text = `${day}，电话${phone}，干了${n}天，住${n}号楼，涨了${n}%`;
      expect(largestAmount(text), text).toBeUndefined();
    }
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
});
