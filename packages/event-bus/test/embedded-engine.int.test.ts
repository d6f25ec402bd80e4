import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { busContractSuite } from './bus-contract.ts';

// The embedded engine needs no server: PGlite on a data directory, as the standalone mode runs it.
const dataDir = mkdtempSync(join(tmpdir(), 'huijie-bus-'));

describe('embedded engine', () => {
  busContractSuite('embedded (PGlite)', () => ({ kind: 'embedded', dataDir }));
});
