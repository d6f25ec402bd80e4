import { describe, expect, it } from 'vitest';
import { PhraseTrie } from './phrase-trie.ts';

describe('PhraseTrie', () => {
  const trie = new PhraseTrie<string>();
  for (const word of ['下洋', '下洋镇', '中川村', '洋镇']) trie.add(word, word);

  it('segments an address leftmost-longest, as a reader does', () => {
    expect(trie.segment('永定下洋镇中川村').map((m) => m.values[0])).toEqual(['下洋镇', '中川村']);
  });

  it('collects every occurrence, overlapping ones included, for keyword counting', () => {
    const out: string[] = [];
    trie.collect('下洋镇', out);
    expect(out).toEqual(['下洋', '下洋镇', '洋镇']);
  });

  it('works the same without the dense first-character table', () => {
    const sparse = new PhraseTrie<string>({ dense: false });
    sparse.add('中川', '中川');
    expect(sparse.longestAt('中川村', 0)?.end).toBe(2);
  });
});
