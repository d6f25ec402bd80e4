import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDatabase, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from './migrate.ts';
import { schemaDriftReport } from './schema-drift.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const casesSchema = join(root, 'services/cases/prisma/schema.prisma');
const casesMigrations = join(root, 'services/cases/prisma/migrations');

const servers = await requireServers('postgres');

describe.runIf(servers)('schemaDrift on PostgreSQL', () => {
  let database: { url: string; drop: () => Promise<void> };
  let tmp: string;

  beforeAll(async () => {
    database = await freshDatabase(servers!.databaseUrl!);
    tmp = mkdtempSync(join(tmpdir(), 'huijie-drift-'));
  });

  afterAll(async () => {
    await database?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('applies the cases migrations to a fresh database and finds them in agreement with the schema', async () => {
    const report = await schemaDriftReport({
      schemaPath: casesSchema,
      migrationsDir: casesMigrations,
      dbSchema: 'cases',
      database: { url: database.url },
    });
    expect(report.applied).toEqual(readMigrations(casesMigrations).map((migration) => migration.name));
    expect(report.differences).toEqual([]);
  });

  it('reports a drift against the same database (foreign keys read back correctly)', async () => {
    // The engine reads constraint kinds and foreign-key actions as PostgreSQL's `"char"`; were
    // they misread, the unchanged relations would show up here as differences.
    const schemaPath = join(tmp, 'schema.prisma');
    const text = readFileSync(casesSchema, 'utf8');
    expect(text).toMatch(/^(\s*title\s+)String\?/m);
    writeFileSync(schemaPath, text.replace(/^(\s*title\s+)String\?/m, '$1String\n  summary        String?'));
    const report = await schemaDriftReport({
      schemaPath,
      migrationsDir: casesMigrations,
      dbSchema: 'cases',
      database: { url: database.url },
    });
    expect(report.applied).toEqual([]);
    expect(report.differences).toEqual([
      'cases.cases: added column `summary`',
      'cases.cases: altered column `title` (changed from Nullable to Required)',
    ]);
  });
});
