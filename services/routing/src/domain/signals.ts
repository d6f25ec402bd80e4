import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { PhraseTrie } from './phrase-trie.ts';
import type { Signal } from './rules.ts';

export interface FiredSignal {
  name: string;
  /** What in the dispute made it fire: 扬言, revision 3, 600,000 yuan, 20 people. */
  because: string;
}

const CHINESE_DIGITS: Record<string, number> = {
  〇: 0,
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  几: 2,
};
const CHINESE_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** 一点二 → 1.2: the whole part and the digits written after 点. */
function withDecimals(whole: number, decimals: string | undefined): number {
  return decimals ? Number(`${whole}.${decimals}`) : whole;
}

/**
 * 3,800 → 3800; 二十 → 20, 三万八千 → 38000, 两百万 → 2000000, 一点二亿 → 120000000, 一百零五 → 105, and the spoken
 * short forms 一万二 → 12000, 三千五 → 3500. 几 counts as 2 (十几 → 12, the least it can mean above ten).
 * Reads the numbers of money and people in a complaint, not every numeral.
 */
export function parseNumber(text: string): number | undefined {
  if (/^\d/.test(text)) return Number(text.replace(/[,，]/g, ''));
  let total = 0; // the 亿 and 万 groups already closed
  let section = 0; // below 万
  let digit = 0;
  let place = 1; // what the pending digit is worth: right after 万 a lone 二 means 2000 (一万二)
  let decimals: string | undefined; // the digits after 点, kept as written
  for (const ch of text) {
    const value = CHINESE_DIGITS[ch];
    const unit = CHINESE_UNITS[ch];
    if (value !== undefined) {
      if (decimals !== undefined) decimals += value;
      else digit = value;
      if (value === 0) place = 1; // 一万零二 is 10002
    } else if (unit !== undefined && decimals === undefined) {
      section += (digit || 1) * unit;
      digit = 0;
      place = unit / 10;
    } else if (ch === '点' && decimals === undefined) {
      decimals = '';
    } else if (ch === '万' || ch === '亿') {
      const group = withDecimals(section + digit * place, decimals);
      total = ch === '万' ? total + group * 1e4 : (total + group) * 1e8;
      section = digit = 0;
      place = ch === '万' ? 1e3 : 1e7;
      decimals = undefined;
    } else {
      return undefined;
    }
  }
  return total + withDecimals(section + digit * place, decimals) || undefined;
}

// 3800, 3,800, 1.2 — or written in Chinese: 八十万, 三万八千, 一点二亿. A Chinese numeral starts with a digit, 几
// or 十 (十五), never with 百/千/万/亿: 万安镇, 百货 and 千万别 are words. 点 only before a digit: 一点二亿, not 快一点.
const NUMBER = String.raw`(\d+(?:[,，]\d{3})*(?:\.\d+)?|[〇零一二两三四五六七八九十几](?:[〇零一二两三四五六七八九十百千万亿几]|点(?=[〇零一二两三四五六七八九]))*)`;
// 3800元, 5万元, 50万, 1.2亿, 八十余万元, 两百万, 一万二 — a number without 元/万/亿 is a date, a phone or a day
// count. So 万/亿 (maybe with 元) or 元 follows, or the Chinese numeral itself ends in 万/亿 or 万 and a digit.
const AMOUNT = new RegExp(
  String.raw`${NUMBER}\s*(?:多|余)?\s*(?:(亿|万)(?:多|余)?\s*(元|块)?|(元|块)|(?<=[万亿][〇零一二两三四五六七八九]?))`,
  'g',
);
// 20多名工人, 十余户, 三十多个村民, 十五名 — the count of people named in the text (名 counts only people).
const PEOPLE = new RegExp(
  String.raw`${NUMBER}\s*(?:多|余|来)?\s*(?:名|[个位]?\s*(?:人|户|工人|工友|村民|农民工|业主|家庭|员工|家长|居民|学员|商户))`,
  'g',
);

// Cheap tests that skip the scans above for the many texts without an amount or a number of people. They look
// for the unit first and only then behind it for a numeral: a scan for any of the numerals cost 5× as much.
const MONEY_UNIT = /[万亿元块](?<=[\d〇零一二两三四五六七八九十百千几]\s*[多余]?\s*[万亿元块])/;
const HEADCOUNT_HINT =
  /[名人户工村农业家员居学商](?<=[\d〇零一二两三四五六七八九十百千万亿几]\s*[多余来]?\s*(?:名|[个位]?\s*[人户工村农业家员居学商]))/;

/** The largest amount of money the text (as normalizeWriting gives it) names, in yuan. */
export function largestAmount(text: string): number | undefined {
  if (!MONEY_UNIT.test(text)) return undefined;
  let best: number | undefined;
  for (const m of text.matchAll(AMOUNT)) {
    const unit = m[2];
    const end = (m.index ?? 0) + m[0].length;
    // 5万人, 一万多名 count people, 两万平方米 is an area, 十万火急 means urgent: not money unless 元 follows.
    if (!m[3] && !m[4] && /^[多余]?[人名户亩株棵斤吨平米年火]/.test(text.slice(end))) continue;
    // 一块空地, 两块田: after a lone Chinese digit, 块 is a piece of something unless 钱 follows (五块钱).
    if (m[4] === '块' && m[1]!.length === 1 && !/\d/.test(m[1]!) && text[end] !== '钱') continue;
    const base = parseNumber(m[1]!);
    if (base === undefined) continue;
    const value = base * (unit === '亿' ? 1e8 : unit === '万' ? 1e4 : 1);
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
