import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedDocuments } from '../src/documents.ts';

const docsDir = join(import.meta.dirname, '..', 'docs');
for (const [path, content] of Object.entries(generatedDocuments())) {
  const target = join(docsDir, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}
