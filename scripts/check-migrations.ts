// Checks that every service's committed migrations build the database its Prisma schema
// describes: for each `services/*/prisma/schema.prisma`, the service's `prisma/migrations` are
// applied by our runner to a throwaway embedded PostgreSQL (PGlite, `memory://`) and Prisma's
// schema engine (WebAssembly) diffs the result against the schema. Offline. Services whose
// PostgreSQL schemas do not overlap share one PGlite (starting one takes seconds): the engine
// only looks at the schemas a datasource declares.
//
//   npx tsx scripts/check-migrations.ts [--root=<dir>] [service …]
//
// (`--root` points at another checkout: its `services/*` are checked instead of this one's.)
//
// Exits 1 with the differences (and the SQL a new migration would need) when any service drifts.

import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { datasourceSchemas, readSchemaFiles, schemaDriftReport } from '@huijie/database/schema-drift.ts';
import { openPglite } from '@huijie/database/sql-client.ts';

const args = process.argv.slice(2);
const rootArg = args.find((arg) => arg.startsWith('--root='));
const root = rootArg
  ? resolve(rootArg.slice('--root='.length))
  : join(dirname(fileURLToPath(import.meta.url)), '..');
const only = args.filter((arg) => !arg.startsWith('--'));

const services = readdirSync(join(root, 'services'), { withFileTypes: true })
  .filter(
    (entry) => entry.isDirectory() && existsSync(join(root, 'services', entry.name, 'prisma/schema.prisma')),
  )
  .map((entry) => entry.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

if (services.length === 0) {
  console.error(
    only.length > 0 ? `no Prisma schema for: ${only.join(', ')}` : 'no services/*/prisma/schema.prisma',
  );
  process.exit(1);
}

let failed = 0;
const runStarted = performance.now();
let shared: { pglite: PGlite; schemas: Set<string> } | null = null;
for (const service of services) {
  const schemaPath = join(root, 'services', service, 'prisma/schema.prisma');
  const migrationsDir = join(root, 'services', service, 'prisma/migrations');
  if (!existsSync(migrationsDir)) {
    failed++;
    console.log(`✗ ${service}: no ${relative(root, migrationsDir)} folder`);
    continue;
  }
  // The runner's schema (where `_prisma_migrations` and unqualified tables go): the first of the
  // datasource's `schemas`, else PostgreSQL's default.
  const declared = datasourceSchemas(readSchemaFiles(schemaPath));
  const dbSchema = declared[0] ?? 'public';
  const schemas = new Set([dbSchema, ...declared]);
  if (!shared || [...schemas].some((schema) => shared!.schemas.has(schema))) {
    await shared?.pglite.close();
    shared = { pglite: await openPglite('memory://'), schemas: new Set() };
  }
  for (const schema of schemas) shared.schemas.add(schema);
  const pglite = shared.pglite;
  const started = performance.now();
  try {
    const report = await schemaDriftReport({ schemaPath, migrationsDir, dbSchema, database: { pglite } });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (report.differences.length === 0) {
      console.log(`✓ ${service}: ${report.applied.length} migration(s) agree with the schema (${seconds} s)`);
      continue;
    }
    failed++;
    console.log(
      `✗ ${service}: the migrations do not build what ${relative(root, schemaPath)} describes (${seconds} s)`,
    );
    console.log('  (added = in the schema only, removed = in the migrations only)');
    for (const line of report.differences) console.log(`  - ${line}`);
    console.log(
      declared.length > 0
        ? '  A migration that would close the gap:'
        : `  A migration that would close the gap (runs with search_path = "${dbSchema}"):`,
    );
    for (const line of report.script.trimEnd().split('\n')) console.log(`    ${line}`);
  } catch (error) {
    failed++;
    console.log(`✗ ${service}: ${(error as Error).message}`);
  }
}
await shared?.pglite.close();
const total = ((performance.now() - runStarted) / 1000).toFixed(1);

if (failed > 0) {
  console.log(`\n${failed} of ${services.length} service(s) drift from their migrations (${total} s)`);
  process.exit(1);
}
console.log(`\n${services.length} service(s) checked, no drift (${total} s)`);
