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
 * Text is normalised first (NFKC: full-width Ａ１ → A1, compatibility forms folded; lower case;
 * a number's thousands separators dropped) and split into runs of letters and digits, so
 * punctuation and spaces never form a bigram.
 */

/** Runs of letters (any script) and digits: bigrams never cross punctuation or whitespace. */
const runPattern = /[\p{L}\p{N}]+/gu;

/**
 * A number grouped in thousands by commas, as `packages/contracts/src/numerals.ts` reads amounts:
 * 1–3 digits, then groups of exactly three (after NFKC, which makes the full-width ３，８００ of
 * Chinese text 3,800). Its commas are dropped, so 3,800 is searched as 3800 and a search for either
 * finds both; the comma used to split it into 3 and 800, and nothing held the 38 that 3800 needs.
 * Not a list (1,2,3), nor a phone number followed by an amount (13812345678，500元). Spaces are
 * left alone: in a query they separate words. Written so that PostgreSQL reads it alike: the
 * migration `20261130000000_search_numbers_without_separators` gave the cases stored before it
 * the words it adds. Stored words are never recomputed: a change to this rule (or to NFKC, runs,
 * bigrams) needs a migration of its own, or old cases stop matching the new queries.
 */
const groupedNumber = /(?<![0-9])[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])/g;

function runsOf(text: string): string[][] {
  const runs: string[][] = [];
  const normalised = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(groupedNumber, (number) => number.replaceAll(',', ''));
  for (const match of normalised.matchAll(runPattern)) {
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
