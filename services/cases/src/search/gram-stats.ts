import type { CasesDb } from '../db/prisma.ts';

/**
 * How common a search's bigrams are, from PostgreSQL's own statistics on `search_grams`
 * (`pg_stats.most_common_elems`), so the search can choose its plan where the planner cannot.
 *
 * The planner estimates `search_grams @> {拖欠, 欠工, 工资}` as if the three bigrams were
 * independent and multiplies their frequencies; the bigrams of one phrase travel together, so it
 * expects a few hundred matches where there are tens of thousands, and reads them all through the
 * GIN index to sort them — half a second at a million cases. The rarest bigram bounds the matches
 * from above: when even it is common, walking the cases in the order asked for and keeping those
 * that match finds a page after a few hundred rows. When it is rare (or not among the common
 * elements at all), the GIN index is the fast way.
 */
export interface GramStatistics {
  /** Upper bound of the cases containing all these grams (the rarest gram's count), null when unknown. */
  estimateMatches(grams: string[]): Promise<number | null>;
}

interface Snapshot {
  rows: number;
  frequencies: Map<string, number>;
  /** The least frequency listed: any gram not listed is rarer than this. */
  floor: number;
}

export function gramStatistics(db: CasesDb, options: { ttlMs?: number } = {}): GramStatistics {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  // Cached for a while, "no statistics yet" included: a search must not pay for this each time.
  let cache: { at: number; stats: Snapshot | null } | null = null;
  let loading: Promise<Snapshot | null> | null = null;

  async function load(): Promise<Snapshot | null> {
    const rows = await db.$queryRaw<{ elems: string[] | null; freqs: number[] | null; reltuples: number }[]>`
      SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
             c.reltuples::float8 AS reltuples
      FROM pg_stats s
      JOIN pg_class c ON c.relname = s.tablename
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
      WHERE s.schemaname = 'cases' AND s.tablename = 'cases' AND s.attname = 'search_grams'`;
    const row = rows[0];
    if (!row?.elems || !row.freqs || row.reltuples <= 0) return null;
    const frequencies = new Map<string, number>();
    row.elems.forEach((gram, i) => {
      frequencies.set(gram, row.freqs![i]!);
    });
    // After the per-element frequencies PostgreSQL appends their minimum, maximum and the null frequency.
    return { rows: row.reltuples, frequencies, floor: row.freqs[row.elems.length] ?? 0 };
  }

  async function current(): Promise<Snapshot | null> {
    if (cache && Date.now() - cache.at < ttlMs) return cache.stats;
    loading ??= load()
      .catch(() => cache?.stats ?? null)
      .then((stats) => {
        cache = { at: Date.now(), stats };
        loading = null;
        return stats;
      });
    return loading;
  }

  return {
    async estimateMatches(grams) {
      const stats = await current();
      if (!stats || grams.length === 0) return null;
      const rarest = Math.min(...grams.map((gram) => stats.frequencies.get(gram) ?? stats.floor));
      return rarest * stats.rows;
    },
  };
}

/** Above this many likely matches, a search walks its order instead of collecting every match first. */
export const commonTextThreshold = 3_000;
