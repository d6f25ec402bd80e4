/**
 * Free-text search in Chinese without a word segmenter: a case stores the set of character
 * bigrams of its reports' text (`cases.search_grams`, GIN-indexed), and a query matches when
 * every bigram of every word of the query is in that set (`search_grams @> query_grams`).
 *
 * Chinese has no spaces between words, so bigrams are the classic trade-off: any two-character
 * word is found exactly, longer words and phrases by all their bigrams (a rare false positive
 * when the bigrams occur apart), and nothing depends on a dictionary that misses place names,
 * people's nicknames or 12345 jargon.
 *
 * Text is normalised first (NFKC: full-width Ａ１ → A1, compatibility forms folded; lower case)
 * and split into runs of letters and digits, so punctuation and spaces never form a bigram.
 */

/** Runs of letters (any script) and digits: bigrams never cross punctuation or whitespace. */
const runPattern = /[\p{L}\p{N}]+/gu;

function runsOf(text: string): string[][] {
  const runs: string[][] = [];
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(runPattern)) {
    runs.push(Array.from(match[0]));
  }
  return runs;
}

/**
 * The search grams of a case: every character bigram of its texts (title, reports' content,
 * address…), deduplicated and sorted so the stored array is stable. A run of a single character
 * between punctuation (…、钱、…) is kept as that character, so it is not lost.
 *
 * The write side calls this whenever a case's text changes (a new or repeated report) and stores
 * the result in `search_grams`.
 */
export function searchGramsOf(texts: readonly (string | null | undefined)[]): string[] {
  const grams = new Set<string>();
  for (const text of texts) {
    if (!text) continue;
    for (const chars of runsOf(text)) {
      if (chars.length === 1) grams.add(chars[0]!);
      for (let i = 0; i + 1 < chars.length; i++) grams.add(chars[i]! + chars[i + 1]!);
    }
  }
  return [...grams].sort();
}

/**
 * The grams a query requires: the bigrams of each of its words. Single characters standing alone
 * are dropped (they would only match the same lone character in a report); a query with no
 * bigram at all gives an empty list, which the caller refuses (a one-character search would
 * match a large share of all cases and say nothing).
 */
export function queryGramsOf(query: string): string[] {
  const grams = new Set<string>();
  for (const chars of runsOf(query)) {
    for (let i = 0; i + 1 < chars.length; i++) grams.add(chars[i]! + chars[i + 1]!);
  }
  return [...grams].sort();
}
