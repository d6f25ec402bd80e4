import { openPglite, pgliteClient } from '@huijie/database/sql-client.ts';
import { createEmbeddedEngine } from '../src/embedded/embedded-engine.ts';
import type { Engine } from '../src/engine.ts';
import { createKafkaEngine } from '../src/kafka/kafka-engine.ts';

/** How to reach an engine, as plain data, so a child process can open the same one. */
export type EngineSpec = { kind: 'kafka'; brokers: string[] } | { kind: 'embedded'; dataDir: string };

/** Opens an engine; for the embedded one, closing it also closes its PGlite database. */
export async function openEngine(spec: EngineSpec, clientId = 'contract-test'): Promise<Engine> {
  if (spec.kind === 'kafka')
    return createKafkaEngine({ brokers: spec.brokers, clientId, sessionTimeoutMs: 6_000 });
  const db = await openPglite(spec.dataDir);
  const engine = createEmbeddedEngine(pgliteClient(db, { owned: true }), { pollIntervalMs: 50 });
  return {
    ...engine,
    async close() {
      await engine.close();
      await db.close();
    },
  };
}
