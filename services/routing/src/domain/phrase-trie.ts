/**
 * A character trie over phrases, walked from every position of a text. Built once at start-up, it
 * finds every dictionary phrase in one pass without allocating substrings — the hot path of both
 * place resolution and classification, which must stay in the tens of microseconds.
 */
interface TrieNode<T> {
  next: Map<number, TrieNode<T>> | undefined;
  values: T[] | undefined;
}

export interface PhraseMatch<T> {
  start: number;
  end: number;
  values: readonly T[];
}

export class PhraseTrie<T> {
  private readonly root: TrieNode<T> = { next: undefined, values: undefined };
  /**
   * The first character of a phrase, indexed by UTF-16 code: most characters of a text start no phrase, and an
   * array read rejects them several times faster than a Map lookup.
   */
  private readonly first: (TrieNode<T> | undefined)[];
  private size = 0;

  /** `dense`: index first characters in a 64K table (512 KB) — for the few big tries scanned on every decision. */
  constructor(options: { dense?: boolean } = {}) {
    this.first = options.dense === false ? [] : new Array(65536).fill(undefined);
  }

  get phraseCount(): number {
    return this.size;
  }

  add(phrase: string, value: T): void {
    if (phrase.length === 0) throw new Error('empty phrase');
    let node = this.root;
    for (let i = 0; i < phrase.length; i++) {
      const code = phrase.charCodeAt(i);
      node.next ??= new Map();
      let child = node.next.get(code);
      if (!child) {
        child = { next: undefined, values: undefined };
        node.next.set(code, child);
      }
      node = child;
      if (i === 0) this.first[code] = child;
    }
    if (!node.values) {
      node.values = [];
      this.size++;
    }
    node.values.push(value);
  }

  /** The longest phrase starting at `start`, or undefined. */
  longestAt(text: string, start: number): PhraseMatch<T> | undefined {
    if (start >= text.length) return undefined;
    let node: TrieNode<T> | undefined = this.first[text.charCodeAt(start)];
    if (!node) return undefined;
    let best: PhraseMatch<T> | undefined = node.values
      ? { start, end: start + 1, values: node.values }
      : undefined;
    for (let i = start + 1; i < text.length && node.next; i++) {
      node = node.next.get(text.charCodeAt(i));
      if (!node) break;
      if (node.values) best = { start, end: i + 1, values: node.values };
    }
    return best;
  }

  /** Leftmost-longest, non-overlapping matches: how a reader segments an address. */
  segment(text: string): PhraseMatch<T>[] {
    const found: PhraseMatch<T>[] = [];
    let i = 0;
    while (i < text.length) {
      const match = this.longestAt(text, i);
      if (match) {
        found.push(match);
        i = match.end;
      } else {
        i++;
      }
    }
    return found;
  }

  /** Every occurrence of every phrase, overlapping ones included: how keywords are counted. */
  forEach(text: string, visit: (values: readonly T[], start: number, end: number) => void): void {
    const first = this.first;
    for (let start = 0; start < text.length; start++) {
      let node = first[text.charCodeAt(start)];
      let i = start + 1;
      while (node) {
        if (node.values) visit(node.values, start, i);
        if (!node.next || i >= text.length) break;
        node = node.next.get(text.charCodeAt(i));
        i++;
      }
    }
  }

  /** Pushes the value of every occurrence of every phrase into `out`: the allocation-free form of forEach. */
  collect(text: string, out: T[]): void {
    const first = this.first;
    for (let start = 0; start < text.length; start++) {
      let node = first[text.charCodeAt(start)];
      let i = start + 1;
      while (node) {
        if (node.values) for (const value of node.values) out.push(value);
        if (!node.next || i >= text.length) break;
        node = node.next.get(text.charCodeAt(i));
        i++;
      }
    }
  }
}
