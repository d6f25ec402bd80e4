import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { PhraseTrie } from './phrase-trie.ts';
import type { Signal } from './rules.ts';

export interface FiredSignal {
  name: string;
  /** What in the dispute made it fire: 扬言, revision 3, 600,000 yuan, 20 people. */
  because: string;
}

// Everyday and formal (大写, as on receipts and contracts: 壹万零伍佰圆整) numerals. 几 and 数 count as 2 and
// 上 (上万, 上百万) as 1: a vague amount is read as the least it can mean (十几万 → 120,000, 几千 → 2,000), so
// it does not make a dispute major on its own. 陸 and 萬 reach here as 陆 and 万 (normalizeWriting).
const CHINESE_DIGITS: Record<string, number> = {
  〇: 0,
  零: 0,
  一: 1,
  壹: 1,
  二: 2,
  两: 2,
  贰: 2,
  貳: 2,
  三: 3,
  叁: 3,
  參: 3,
  四: 4,
  肆: 4,
  五: 5,
  伍: 5,
  六: 6,
  陆: 6,
  七: 7,
  柒: 7,
  八: 8,
  捌: 8,
  九: 9,
  玖: 9,
  几: 2,
  数: 2,
  上: 1,
};
const CHINESE_UNITS: Record<string, number> = { 十: 10, 拾: 10, 百: 100, 佰: 100, 千: 1000, 仟: 1000 };
// 3,800 and 3，800 (full-width comma) group thousands only after 1–3 digits: 13812345678，500元 is a phone and 500元.
const ARABIC = String.raw`(?:\d{1,3}(?:[,，]\d{3})+(?!\d)|\d+)(?:\.\d+)?`;
const arabicAt = new RegExp(ARABIC, 'y');

/** 一点二 → 1.2: the whole part and the digits written after 点. */
function withDecimals(whole: number, decimals: string | undefined): number {
  return decimals ? Number(`${whole}.${decimals}`) : whole;
}

/**
 * 3,800 → 3800; 二十 → 20, 三万八千 → 38000, 两百万 → 2000000, 一点二亿 → 120000000, 一百零五 → 105, 叁仟捌佰 →
 * 3800, 壹万零伍佰 → 10500; digits and characters mixed: 3.8万 → 38000, 3万8千 → 38000, 1万5000 → 15000; and the
 * spoken short forms 一万二 / 1万5 → 12000 / 15000, 三千五 / 3千8 → 3500 / 3800. A range reads as its lower end
 * (两三千 → 2000, 四五十万 → 400000), like 几. Reads the numbers of money and people in a complaint, not every numeral.
 */
export function parseNumber(text: string): number | undefined {
  let total = 0; // the 亿 and 万 groups already closed
  let section = 0; // below 万
  let digit = 0;
  let place = 1; // what the pending digit is worth: right after 万 a lone 二 means 2000 (一万二)
  let decimals: string | undefined; // the digits after 点, kept as written
  let afterDigit = false; // the character before was a digit 1–9: 两三千 is a range
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const value = CHINESE_DIGITS[ch];
    const unit = CHINESE_UNITS[ch];
    if (ch >= '0' && ch <= '9' && decimals === undefined) {
      arabicAt.lastIndex = i;
      const run = arabicAt.exec(text)![0];
      digit = Number(run.replace(/[,，]/g, ''));
      // A lone digit after a unit is the spoken short form (3万8 → 8 thousands); 3万5000 means what it says.
      if (run.length > 1) place = 1;
      i += run.length - 1;
      afterDigit = false;
    } else if (value !== undefined) {
      if (decimals !== undefined) decimals += value;
      else digit = afterDigit ? Math.min(digit, value) : value;
      if (value === 0) place = 1; // 一万零二 is 10002
      afterDigit = value !== 0;
    } else if (unit !== undefined && decimals === undefined) {
      section += (digit || 1) * unit;
      digit = 0;
      place = unit / 10;
      afterDigit = false;
    } else if (ch === '点' && decimals === undefined) {
      decimals = '';
    } else if (ch === '万' || ch === '亿') {
      const group = withDecimals(section + digit * place, decimals);
      total = ch === '万' ? total + group * 1e4 : (total + group) * 1e8;
      section = digit = 0;
      place = ch === '万' ? 1e3 : 1e7;
      decimals = undefined;
      afterDigit = false;
    } else {
      return undefined;
    }
  }
  // To the cent: 1.15万 is 11500, not 11499.999999999998.
  return Math.round((total + withDecimals(section + digit * place, decimals)) * 100) / 100 || undefined;
}

const DIGIT_CHARS = Object.keys(CHINESE_DIGITS)
  .filter((ch) => ch !== '上')
  .join('');
const UNIT_CHARS = Object.keys(CHINESE_UNITS).join('');
// 3800, 3,800, 1.2, 3.8万, 3万8千 — or written in Chinese: 八十万, 三万八千, 一点二亿, 叁仟捌佰. A Chinese numeral starts
// with a digit, 几/数, 十/拾 (十五) or 上 before a unit (上万), never with 百/千/万/亿: 万安镇, 百货 and 千万别 are words.
// 点 only before a digit: 一点二亿, not 快一点. Never from the middle of a run of digits (a phone number). A digit
// before 个/天/月… starts the next phrase: 三千八一个月 is 三千八 a month (but 十几个人 is one number).
const NUMBER = String.raw`(?<![\d.])((?:${ARABIC}|[${DIGIT_CHARS}十拾]|上(?=[百佰千仟万亿]))(?:${ARABIC}|[几数]|[${DIGIT_CHARS}](?![个次天周年月日号])|[${UNIT_CHARS}万亿]|点(?=[${DIGIT_CHARS}]))*)`;
// 3800元, 5万元, 50万, 1.2亿, 八十余万元, 两百万, 一万二, 三千八, ¥3800, 叁仟捌佰圆整. Groups: the currency sign, the
// number, 亿/万 after 多/余, 元 after it, 元 right after the number. Which matches are money is decided by isMoney.
const AMOUNT = new RegExp(
  String.raw`(?:([¥￥]|人民币)\s*)?${NUMBER}\s*(?:多|余)?\s*(?:(亿|万)(?:多|余)?\s*(元|块|圆)?|(元|块|圆))?`,
  'g',
);
// 20多名工人, 十余户, 三十多个村民, 十五名 — the count of people named in the text (名 counts only people).
const PEOPLE = new RegExp(
  String.raw`${NUMBER}\s*(?:多|余|来)?\s*(?:名|[个位]?\s*(?:人|户|工人|工友|村民|农民工|业主|家庭|员工|家长|居民|学员|商户))`,
  'g',
);
// 三千八, 3千8: the spoken short form of an amount of thousands (三百五 is not taken: 二百五 is an insult).
const SPOKEN_THOUSANDS = new RegExp(String.raw`[千仟][\d${DIGIT_CHARS}]$`);
// After a number without 元: 5万人 and 一万多名 count people, 两万平方米 is an area, 十万火急 means urgent, 十万八千里
// is far, 一万五千字, 三千八步, 3千8公里, 30%: not money.
const NOT_MONEY_AFTER = /^[多余]?[人名户亩株棵斤吨平米年火里公步字次个只头件套间张台辆天倍号层克升度%％]/;

// Cheap tests that skip the scans above for the many texts without an amount or a number of people. They look
// for the unit first and only then behind it for a numeral: a scan for any of the numerals cost 5× as much.
const MONEY_UNIT = new RegExp(
  String.raw`[¥￥币]|[万亿元块圆](?<=[\d${DIGIT_CHARS}${UNIT_CHARS}]\s*[多余]?\s*[万亿元块圆])|[千仟](?=[\d${DIGIT_CHARS}])`,
);
const HEADCOUNT_HINT =
  /[名人户工村农业家员居学商](?<=[\d〇零一二两三四五六七八九十百千万亿几]\s*[多余来]?\s*(?:名|[个位]?\s*[人户工村农业家员居学商]))/;

/**
 * Whether a number the text names is an amount of money: with 元 or a currency sign, or 万/亿 in it or after it
 * (借了20万, 一万二), or the spoken 三千八. A bare 3800 is a date, a phone, a day count as often as money.
 */
function isMoney(m: RegExpMatchArray, text: string): boolean {
  const sign = m[1];
  const number = m[2]!;
  const currency = m[4] ?? m[5];
  if (sign) return true;
  if (currency) {
    // 一块空地, 两块田: after a lone Chinese digit, 块 is a piece of something unless 钱 follows (五块钱).
    const end = (m.index ?? 0) + m[0].length;
    return !(currency === '块' && number.length === 1 && !/\d/.test(number) && text[end] !== '钱');
  }
  if (!m[3] && !/[万亿]/.test(number) && !SPOKEN_THOUSANDS.test(number)) return false;
  return !NOT_MONEY_AFTER.test(text.slice((m.index ?? 0) + m[0].length));
}

/** The largest amount of money the text (as normalizeWriting gives it) names, in yuan. */
export function largestAmount(text: string): number | undefined {
  if (!MONEY_UNIT.test(text)) return undefined;
  let best: number | undefined;
  for (const m of text.matchAll(AMOUNT)) {
    if (!isMoney(m, text)) continue;
    const base = parseNumber(m[2]!);
    if (base === undefined) continue;
    const value = base * (m[3] === '亿' ? 1e8 : m[3] === '万' ? 1e4 : 1);
    if (Number.isFinite(value) && (best === undefined || value > best)) best = value;
  }
  return best;
}

/** The largest number of people the text (as normalizeWriting gives it) names. */
export function largestHeadcount(text: string): number | undefined {
  if (!HEADCOUNT_HINT.test(text)) return undefined;
  let best: number | undefined;
  for (const m of text.matchAll(PEOPLE)) {
    // 第十五名 is a rank, not fifteen people.
    if (text[(m.index ?? 0) - 1] === '第') continue;
    const count = parseNumber(m[1]!);
    if (count !== undefined && (best === undefined || count > best)) best = count;
  }
  return best;
}

/** Evaluates the named signals of the rules file against one dispute. Phrases of all signals share one scan. */
export class SignalDetector {
  private readonly phrases = new PhraseTrie<{ index: number; phrase: string }>();
  private readonly hits: { index: number; phrase: string }[] = [];
  private readonly entries: [string, Signal][];
  private readonly needsAmount: boolean;
  private readonly needsPeople: boolean;

  constructor(signals: Record<string, Signal>) {
    this.entries = Object.entries(signals);
    this.entries.forEach(([, signal], index) => {
      for (const phrase of signal.phrases) this.phrases.add(phrase, { index, phrase });
    });
    this.needsAmount = this.entries.some(([, s]) => s.minAmountYuan !== undefined);
    this.needsPeople = this.entries.some(([, s]) => s.minPeople !== undefined);
  }

  detect(dispute: DisputeReceivedV1, text: string): FiredSignal[] {
    const byPhrase: (string | undefined)[] = new Array(this.entries.length);
    const hits = this.hits;
    hits.length = 0;
    this.phrases.collect(text, hits);
    for (const hit of hits) byPhrase[hit.index] ??= hit.phrase;
    const amount = this.needsAmount ? (dispute.amountClaimed ?? largestAmount(text)) : undefined;
    const people = this.needsPeople ? largestHeadcount(text) : undefined;

    const fired: FiredSignal[] = [];
    for (let index = 0; index < this.entries.length; index++) {
      const [name, signal] = this.entries[index]!;
      const byChannel = signal.channels.includes(dispute.channel);
      const byRevision = signal.minRevision !== undefined && dispute.revision >= signal.minRevision;
      const byAmount =
        signal.minAmountYuan !== undefined && amount !== undefined && amount >= signal.minAmountYuan;
      const byPeople = signal.minPeople !== undefined && people !== undefined && people >= signal.minPeople;
      const phrase = byPhrase[index];
      // Most signals fire for no dispute: build the explanation only for those that do.
      if (!byChannel && !byRevision && !byAmount && !byPeople && !phrase) continue;
      const reasons: string[] = [];
      if (byChannel) reasons.push(`channel ${dispute.channel}`);
      if (byRevision) reasons.push(`revision ${dispute.revision}`);
      if (byAmount) {
        const source = dispute.amountClaimed !== undefined ? 'claimed' : 'named in the text';
        reasons.push(`${amount.toLocaleString('en-US')} yuan ${source}`);
      }
      if (byPeople) reasons.push(`${people} people named`);
      if (phrase) reasons.push(`"${phrase}"`);
      fired.push({ name, because: reasons.join(', ') });
    }
    return fired;
  }
}
