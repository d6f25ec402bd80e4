import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventNames } from './catalogue.ts';
import { generatedDocuments } from './documents.ts';

describe('generated documents', () => {
  it('the committed docs/ match the zod schemas (run `npm run generate` when this fails)', () => {
    const docsDir = join(import.meta.dirname, '..', 'docs');
    for (const [path, content] of Object.entries(generatedDocuments())) {
      expect(readFileSync(join(docsDir, path), 'utf8'), `docs/${path} is stale`).toBe(content);
    }
  });

  it('every event has a JSON Schema that requires its id and the AsyncAPI lists its topic', () => {
    const docs = generatedDocuments();
    const asyncapi = JSON.parse(docs['asyncapi.json']!);
    for (const name of eventNames) {
      const schema = JSON.parse(docs[`schemas/${name}.json`]!);
      expect(schema.type).toBe('object');
      expect(schema.required.length).toBeGreaterThan(0);
      const addresses = Object.values(asyncapi.channels).map((c) => (c as { address: string }).address);
      // Two events travel only on per-recipient topics: each agency's, each court's.
      const perRecipient: Record<string, string> = {
        'agency.assignment.v1': 'agency.{agencyCode}.assignment.v1',
        'court.outcome.v1': 'court.{court}.outcome.v1',
      };
      expect(addresses).toContain(perRecipient[name] ?? name);
    }
  });
});
