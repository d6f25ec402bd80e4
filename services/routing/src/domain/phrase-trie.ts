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
  private size = 0;

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
    }
    if (!node.values) {
      node.values = [];
      this.size++;
    }
    node.values.push(value);
  }

  /** The longest phrase starting at `start`, or undefined. */
  longestAt(text: string, start: number): PhraseMatch<T> | undefined {
    let node: TrieNode<T> | undefined = this.root;
    let best: PhraseMatch<T> | undefined;
    for (let i = start; i < text.length && node?.next; i++) {
      node = node.next.get(text.charCodeAt(i));
      if (node?.values) best = { start, end: i + 1, values: node.values };
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
    const root = this.root.next;
    if (!root) return;
    for (let start = 0; start < text.length; start++) {
      let node = root.get(text.charCodeAt(start));
      let i = start + 1;
      while (node) {
        if (node.values) visit(node.values, start, i);
        if (!node.next || i >= text.length) break;
        node = node.next.get(text.charCodeAt(i));
        i++;
      }
    }
  }
}
