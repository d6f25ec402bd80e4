import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { PhraseTrie } from './phrase-trie.ts';
import type { Signal } from './rules.ts';

export interface FiredSignal {
  name: string;
  /** What in the dispute made it fire: 扬言, revision 3, 600,000 yuan, 20 people. */
  because: string;
}

const CHINESE_DIGITS: Record<string, number> = {
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

/** 二十 → 20, 十五 → 15, 三百 → 300, 几十 → 20: enough to count people, not a general numeral parser. */
export function parseChineseCount(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  let digit = 0;
  for (const ch of text) {
    if (ch === '十') {
      total += (digit || 1) * 10;
      digit = 0;
    } else if (ch === '百') {
      total += (digit || 1) * 100;
      digit = 0;
    } else if (ch in CHINESE_DIGITS) {
      digit = CHINESE_DIGITS[ch]!;
    } else {
      return undefined;
    }
  }
  return total + digit || undefined;
}

// 3800元, 3,800元, 5万元, 50万, 1.2亿 — a bare number without 元/万/亿 is a date, a phone or a day count.
const AMOUNT = /(\d+(?:[,，]\d{3})*(?:\.\d+)?)\s*(亿|万)?(?:多|余)?\s*(元|块)?/g;
// 20多名工人, 十余户, 三十多个村民 — the count of people named in the text.
const PEOPLE =
  /(\d+|[一二两三四五六七八九十百几]+)\s*(?:多|余|来)?\s*(?:名|个|位)?\s*(?:人|户|工人|工友|村民|农民工|业主|家庭|员工|家长|居民|学员|商户)/g;

const MONEY_UNIT = /\d\s*(?:[万亿]|(?:多|余)?\s*[元块])/;

// Chinese input methods in full-width mode (全角) type ６０万元 and ３０名: \d matches neither.
const FULL_WIDTH_NUMERAL = /[０-９．]/;

/** ６０万元 → 60万元, ３．６ → 3.6; the text itself when it has no full-width digit (no copy). */
function halfWidthDigits(text: string): string {
  if (!FULL_WIDTH_NUMERAL.test(text)) return text;
  return text.replace(/[０-９．]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0));
}

/** The largest amount of money the text names, in yuan. */
export function largestAmount(written: string): number | undefined {
  const text = halfWidthDigits(written);
  if (!MONEY_UNIT.test(text)) return undefined;
  let best: number | undefined;
  for (const m of text.matchAll(AMOUNT)) {
    const unit = m[2];
    if (!unit && !m[3]) continue;
    // 5万人 counts people, not money.
    if (unit && /^[人名户亩株棵斤吨]/.test(text.slice((m.index ?? 0) + m[0].length))) continue;
    const value = Number(m[1]!.replace(/[,，]/g, '')) * (unit === '亿' ? 1e8 : unit === '万' ? 1e4 : 1);
    if (Number.isFinite(value) && (best === undefined || value > best)) best = value;
  }
  return best;
}

// The headcount regex is slow to fail on every character; most texts name no number of people at all.
const HEADCOUNT_HINT = /[\d一二两三四五六七八九十百几]\s*[多余来]?\s*[名个位]?\s*[人户工村农业家员居学商]/;

export function largestHeadcount(written: string): number | undefined {
  const text = halfWidthDigits(written);
  if (!HEADCOUNT_HINT.test(text)) return undefined;
  let best: number | undefined;
  for (const m of text.matchAll(PEOPLE)) {
    const count = parseChineseCount(m[1]!);
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
