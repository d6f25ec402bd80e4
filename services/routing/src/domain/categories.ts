import type { CategoryCode } from '@huijie/contracts/vocabulary.ts';
import { PhraseTrie } from './phrase-trie.ts';
import type { CategoryLexicon } from './rules.ts';

export interface CategoryResult {
  code: CategoryCode;
  /** 0..1: 1 for a channel classification we map, the text model's margin × strength otherwise. */
  confidence: number;
  source: 'channel' | 'text' | 'default';
  /** The phrases (or the channel name) that decided, strongest first: what an operator reads to agree or not. */
  matched: string[];
  /** The runner-up from the text, so a triage operator sees the alternatives. */
  runnerUp?: { code: CategoryCode; score: number };
  /** Why the channel's classification was not used, when it was present. */
  note?: string;
}

export interface CategoryInput {
  /** The platform's own category, when the channel already speaks it. */
  category?: CategoryCode | undefined;
  sourceCategory?: { scheme: string; code?: string | undefined; name?: string | undefined } | undefined;
  text: string;
}

interface Weighted {
  id: number;
  /** Position of `code` in the score array. */
  index: number;
  code: CategoryCode;
  phrase: string;
  weight: number;
}

/** 12345 names come as paths: 劳动保障/欠薪, 城乡建设-物业管理 — the most specific part is the last. */
const PATH_SEPARATORS = /[/／\\>＞\-—|、]+/;

/**
 * Maps a channel's classification onto the 15 categories, else scores the text with weighted phrases.
 * Explainable on purpose: every decision lists the phrases that made it, and the weights live in the rules file.
 */
export class CategoryClassifier {
  private readonly channelNames: Map<string, CategoryCode>;
  private readonly channelContains: [string, CategoryCode][];
  private readonly phrases = new PhraseTrie<Weighted>();
  private readonly codes: CategoryCode[] = [];
  private readonly saturation: number;
  // Reused between calls (one classifier per router, decisions are synchronous): no allocation per phrase.
  private readonly scores: Float64Array;
  private readonly seen: Uint32Array;
  private stamp = 0;
  private readonly hits: Weighted[] = [];

  constructor(lexicon: CategoryLexicon) {
    this.channelNames = new Map(
      Object.entries(lexicon.channelNames).map(([name, code]) => [normalize(name), code]),
    );
    this.channelContains = lexicon.channelContains;
    this.saturation = lexicon.saturation;
    let id = 0;
    for (const [code, table] of Object.entries(lexicon.textPhrases) as [
      CategoryCode,
      Record<string, number>,
    ][]) {
      const index = this.codes.length;
      this.codes.push(code);
      for (const [phrase, weight] of Object.entries(table)) {
        this.phrases.add(phrase, { id: id++, index, code, phrase, weight });
      }
    }
    this.scores = new Float64Array(this.codes.length);
    this.seen = new Uint32Array(id);
  }

  classify(input: CategoryInput): CategoryResult {
    if (input.category) {
      return {
        code: input.category,
        confidence: 1,
        source: 'channel',
        matched: [`category ${input.category}`],
      };
    }
    let note: string | undefined;
    const name = input.sourceCategory?.name?.trim();
    if (name) {
      const mapped = this.fromChannelName(name);
      if (mapped) {
        return {
          code: mapped.code,
          confidence: 1,
          source: 'channel',
          matched: [
            `${input.sourceCategory?.scheme ?? 'channel'}: ${name}${mapped.via ? ` (${mapped.via})` : ''}`,
          ],
        };
      }
      note = `channel classification "${name}" is not mapped`;
    }
    const fromText = this.fromText(input.text);
    return note ? { ...fromText, note } : fromText;
  }

  private fromChannelName(name: string): { code: CategoryCode; via?: string } | undefined {
    const whole = this.channelNames.get(normalize(name));
    if (whole) return { code: whole };
    const parts = name.split(PATH_SEPARATORS).filter(Boolean).reverse();
    for (const part of parts) {
      const code = this.channelNames.get(normalize(part));
      if (code) return { code, via: `as ${part}` };
    }
    for (const part of parts) {
      for (const [phrase, code] of this.channelContains)
        if (part.includes(phrase)) return { code, via: `contains ${phrase}` };
    }
    return undefined;
  }

  /** Scores each category by the sum of its distinct matched phrases; confidence = margin × strength. */
  fromText(text: string): CategoryResult {
    this.scores.fill(0);
    this.stamp++;
    const hits = this.hits;
    hits.length = 0;
    this.phrases.collect(text, hits);
    const matched: Weighted[] = [];
    for (const w of hits) {
      if (this.seen[w.id] === this.stamp) continue;
      this.seen[w.id] = this.stamp;
      this.scores[w.index]! += w.weight;
      matched.push(w);
    }
    let best = -1;
    let second = -1;
    for (let i = 0; i < this.scores.length; i++) {
      const s = this.scores[i]!;
      // Ties go to the category listed first in the rules file: deterministic, and the order is reviewable.
      if (best < 0 || s > this.scores[best]!) {
        second = best;
        best = i;
      } else if (second < 0 || s > this.scores[second]!) {
        second = i;
      }
    }
    const top = best >= 0 ? this.scores[best]! : 0;
    if (top === 0) return { code: 'other', confidence: 0, source: 'default', matched: [] };
    const code = this.codes[best]!;
    const runner = second >= 0 ? this.scores[second]! : 0;
    const margin = top / (top + runner);
    const strength = Math.min(1, top / this.saturation);
    const confidence = Math.round(margin * strength * 1000) / 1000;
    const decisive = matched
      .filter((w) => w.code === code)
      .sort((a, b) => b.weight - a.weight || a.id - b.id)
      .map((w) => w.phrase);
    const result: CategoryResult = { code, confidence, source: 'text', matched: decisive };
    if (runner > 0) result.runnerUp = { code: this.codes[second]!, score: runner };
    return result;
  }
}

function normalize(name: string): string {
  return name.replace(/\s+/g, '').replace(/，/g, '、').replace(/,/g, '、');
}
