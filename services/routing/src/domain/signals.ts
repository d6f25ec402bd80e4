import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { ARABIC, DIGIT_CHARS, parseNumber, UNIT_CHARS } from '@huijie/contracts/numerals.ts';
import { PhraseTrie } from './phrase-trie.ts';
import type { Signal } from './rules.ts';

export interface FiredSignal {
  name: string;
  /** What in the dispute made it fire: 扬言, revision 3, 600,000 yuan, 20 people. */
  because: string;
}

// 3800, 3,800, 3 800, 1.2, 3.8万, 3万8千 — or written in Chinese: 八十万, 三万八千, 一点二亿, 叁仟捌佰. A Chinese numeral
// starts with a digit, 几/数, 十/拾 (十五) or 上 before a unit (上万), never with 百/千/万/亿: 万安镇, 百货 and 千万别
// are words (an amount may: see MONEY_START). 点 only before a digit: 一点二亿, not 快一点. A digit before
// 个/天/月… starts the next phrase: 三千八一个月 is 三千八 a month (but 十几个人 is one number).
const numeral = (start = '') =>
  `(?:${ARABIC}|[${DIGIT_CHARS}十拾]|上(?=[百佰千仟万亿])${start})(?:${ARABIC}|[几数]|[${DIGIT_CHARS}](?![个次天周年月日号])|[${UNIT_CHARS}万亿]|点(?=[${DIGIT_CHARS}]))*`;
// Never from the middle of a run of digits (a phone number).
const NUMBER = String.raw`(?<![\d.])(${numeral()})`;
// Amounts may also start with a unit: 近百万 (nearly a million), 万把块 and 千把元 (about ten, one thousand).
const MONEY_START = String.raw`|(?<=近)[百佰千仟万亿]|[百佰千仟万](?=把\s*[块元])`;
// 3800元, 5万元, 50万, 1.2亿, 八十余万元, 两百万, 一万二, 三千八, ¥3800, 叁仟捌佰圆整, 万把块. Groups: the currency
// sign, the number, 亿/万 after 多/余, 元 after it, 元 right after the number. Which matches are money is decided
// by isMoney.
const AMOUNT = new RegExp(
  String.raw`(?:([¥￥]|人民币)\s*)?(?<![\d.])(${numeral(MONEY_START)})\s*(?:多|余|把(?=\s*[块元]))?\s*(?:(亿|万)(?:多|余)?\s*(元|块|圆)?|(元|块|圆))?`,
  'g',
);
// The lower end of a range written with a dash or a word before an amount: 3-4万, 3~4万, 3～4万, 3到4万, 3至4万,
// 3千到4万. Not from the middle of a date or a phone number: 2024-08-24, 138-0000-1234.
const RANGE_MARK = /[-－~～—–到至]/;
const RANGE_LOW = new RegExp(
  String.raw`(?<![\d.,，:/\-－~～—–])(${numeral()})\s*(?:元|块)?\s*[-－~～—–到至]\s*$`,
);
// 近 right before an amount: nearly (将近, 接近), not recently (最近) or nearby (附近).
const NEARLY = /(?<![最附])近$/;
const UNIT_IN = /[十拾百佰千仟万亿]/;
const LEADING_DIGITS = new RegExp(`^(?:${ARABIC}|[${DIGIT_CHARS}]+)`);
// The unit an upper end has right before its 万 or 亿: 千 and 万 in 4千万.
const UNIT_BEFORE_GROUP = /([十拾百佰千仟])([万亿]+)$/;
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
  String.raw`[¥￥币]|[万亿元块圆](?<=[\d${DIGIT_CHARS}${UNIT_CHARS}万亿]\s*[多余]?\s*[万亿元块圆])|[千仟](?=[\d${DIGIT_CHARS}])|把(?=\s*[块元])`,
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
    return !(
      currency === '块' &&
      number.length === 1 &&
      !/\d/.test(number) &&
      text[end] !== '钱' &&
      !m[0].includes('把')
    );
  }
  if (!m[3] && !/[万亿]/.test(number) && !SPOKEN_THOUSANDS.test(number)) return false;
  return !NOT_MONEY_AFTER.test(text.slice((m.index ?? 0) + m[0].length));
}

/**
 * The 万 or 亿 a lower end written like the upper end's first part shares with it: 3千-4千万 is 3千万 to 4千万
 * (万). Nothing when the units differ: 3千到4百万 is 3千 to 4百万, as written.
 */
function sharedGroup(low: string, high: string): string {
  const group = UNIT_BEFORE_GROUP.exec(high);
  if (!group || /[万亿]/.test(low)) return '';
  return parseNumber(`1${low.at(-1)}`) === parseNumber(`1${group[1]}`) ? group[2]! : '';
}

/**
 * When the amount m is the upper end of a range (3-4万, 3到4万, 3千到4万), the lower end's value; a bare lower end
 * takes the upper end's units (3-4万 is 3万 to 4万, 3-4千元 3千 to 4千), one written like the upper end's first
 * part its 万 or 亿 (sharedGroup). Undefined when m is no range's upper end.
 */
function rangeLowerEnd(
  text: string,
  m: RegExpMatchArray,
  value: number,
  multiplier: number,
): number | undefined {
  const start = m.index ?? 0;
  const before = text.slice(Math.max(0, start - 24), start).trimEnd();
  if (!RANGE_MARK.test(before.slice(-1))) return undefined;
  const low = RANGE_LOW.exec(before);
  if (!low) return undefined;
  let lowText = low[1]!;
  if (!UNIT_IN.test(lowText)) lowText += m[2]!.replace(LEADING_DIGITS, '');
  else lowText += sharedGroup(lowText, m[2]!);
  const lowValue = (parseNumber(lowText) ?? 0) * (/[万亿]/.test(lowText) ? 1 : multiplier);
  // 2024-3万 is not a range from 20,240,000 down: a lower end is lower.
  return lowValue > 0 && lowValue < value ? lowValue : undefined;
}

/**
 * The largest amount of money the text (as normalizeWriting gives it) names, in yuan. A range counts as its
 * lower end; 近 (nearly) as nine tenths: 近百万 is below a million, and callers say "nearly" of the last tenth.
 */
export function largestAmount(text: string): number | undefined {
  if (!MONEY_UNIT.test(text)) return undefined;
  let best: number | undefined;
  for (const m of text.matchAll(AMOUNT)) {
    if (!isMoney(m, text)) continue;
    const base = parseNumber(m[2]!);
    if (base === undefined) continue;
    const multiplier = m[3] === '亿' ? 1e8 : m[3] === '万' ? 1e4 : 1;
    let value = base * multiplier;
    value = rangeLowerEnd(text, m, value, multiplier) ?? value;
    if (!m[1] && NEARLY.test(text.slice(Math.max(0, (m.index ?? 0) - 2), m.index))) value *= 0.9;
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
      // A court's revision is the court correcting its referral (its deadline, a party, a claim),
      // not the citizen reporting again as a hotline revision (new content, a 催办) is.
      const byRevision =
        signal.minRevision !== undefined &&
        dispute.channel !== 'court' &&
        dispute.revision >= signal.minRevision;
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
