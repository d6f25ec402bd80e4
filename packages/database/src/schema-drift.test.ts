import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from './migrate.ts';
import { datasourceSchemas, readSchemaFiles, schemaDriftReport, summaryLines } from './schema-drift.ts';
import { openPglite } from './sql-client.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const casesSchema = join(root, 'services/cases/prisma/schema.prisma');
const casesMigrations = join(root, 'services/cases/prisma/migrations');

// One throwaway embedded database for the file: every check migrates its own PostgreSQL schema,
// and re-running the runner on an already migrated schema applies nothing.
let db: PGlite;
let tmp: string;

beforeAll(async () => {
  db = await openPglite('memory://');
  tmp = mkdtempSync(join(tmpdir(), 'huijie-drift-'));
}, 60_000);

afterAll(async () => {
  await db?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The cases schema, edited, in a temp file. */
function editedCasesSchema(name: string, edit: (text: string) => string): string {
  const path = join(tmp, name, 'schema.prisma');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, edit(readFileSync(casesSchema, 'utf8')));
  return path;
}

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  expect(text).toMatch(pattern);
  return text.replace(pattern, replacement);
}

describe('schemaDrift on the cases service (PGlite)', () => {
  it('applies the committed migrations and finds them in agreement with the schema', async () => {
    const report = await schemaDriftReport({
      schemaPath: casesSchema,
      migrationsDir: casesMigrations,
      dbSchema: 'cases',
      database: { pglite: db },
    });
    expect(report.applied).toEqual(readMigrations(casesMigrations).map((migration) => migration.name));
    expect(report.differences).toEqual([]);
    expect(report.script).toBe('');
  }, 60_000);

  it('reports a field the migrations lack and a nullability that differs', async () => {
    const schemaPath = editedCasesSchema('extra-field', (text) =>
      replaceOnce(text, /^(\s*title\s+)String\?/m, '$1String\n  summary        String?'),
    );
    const report = await schemaDriftReport({
      schemaPath,
      migrationsDir: casesMigrations,
      dbSchema: 'cases',
      database: { pglite: db },
    });
    expect(report.differences).toEqual([
      'cases.cases: added column `summary`',
      'cases.cases: altered column `title` (changed from Nullable to Required)',
    ]);
    expect(report.script).toContain('ADD COLUMN     "summary" TEXT');
    expect(report.script).toContain('ALTER COLUMN "title" SET NOT NULL');
  }, 60_000);

  it('reports tables, indexes and unique constraints on either side', async () => {
    const schemaPath = editedCasesSchema('tables', (text) => {
      let edited = replaceOnce(text, /model ProcessedEvent \{[\s\S]*?\n\}\n/, '');
      edited = replaceOnce(edited, /\n\s*@@index\(\[phone\]\)/, '');
      edited = replaceOnce(edited, /\n\s*@@unique\(\[channel, sourceRef\]\)/, '');
      return `${edited}\nmodel Extra {\n  id Int @id\n\n  @@map("extras")\n  @@schema("cases")\n}\n`;
    });
    const { differences } = await schemaDriftReport({
      schemaPath,
      migrationsDir: casesMigrations,
      dbSchema: 'cases',
      database: { pglite: db },
    });
    expect(differences).toEqual(
      expect.arrayContaining([
        'cases.extras: added table',
        'cases.processed_events: removed table',
        'cases.parties: removed index on columns (phone)',
        'cases.reports: removed unique index on columns (channel, source_ref)',
      ]),
    );
    expect(differences).toHaveLength(4);
  }, 60_000);
});

describe('schemaDrift on any service', () => {
  // A schema without `datasource.schemas`, split over two files, covering the usual column types.
  const plainSchema = {
    'base.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
    'models.prisma': `model Thing {
  id        BigInt   @id @default(autoincrement())
  key       String   @unique @db.Uuid
  name      String?
  count     Int      @default(0)
  tags      String[]
  data      Json
  active    Boolean  @default(true)
  createdAt DateTime @default(now()) @map("created_at") @db.Timestamptz(3)

  @@index([name, count])
  @@map("things")
}
`,
  };
  const plainMigration = `-- CreateTable
CREATE TABLE "things" (
    "id" BIGSERIAL NOT NULL,
    "key" UUID NOT NULL,
    "name" TEXT,
    "count" INTEGER NOT NULL DEFAULT 0,
    "tags" TEXT[],
    "data" JSONB NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "things_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "things_key_key" ON "things"("key");

-- CreateIndex
CREATE INDEX "things_name_count_idx" ON "things"("name", "count");
`;

  function service(name: string, migration: string): { schemaPath: string; migrationsDir: string } {
    const dir = join(tmp, name);
    mkdirSync(join(dir, 'schema'), { recursive: true });
    for (const [file, content] of Object.entries(plainSchema))
      writeFileSync(join(dir, 'schema', file), content);
    mkdirSync(join(dir, 'migrations', '20260101000000_init'), { recursive: true });
    writeFileSync(join(dir, 'migrations', '20260101000000_init', 'migration.sql'), migration);
    return { schemaPath: join(dir, 'schema'), migrationsDir: join(dir, 'migrations') };
  }

  it('compares a multi-file schema without datasource.schemas in the runner’s schema', async () => {
    const paths = service('plain', plainMigration);
    expect(datasourceSchemas(readSchemaFiles(paths.schemaPath))).toEqual([]);
    const report = await schemaDriftReport({ ...paths, dbSchema: 'plain', database: { pglite: db } });
    expect(report).toEqual({ applied: ['20260101000000_init'], differences: [], script: '' });
  }, 60_000);

  it('reports what a hand-written migration got wrong', async () => {
    const wrong = plainMigration
      .replace('"key" UUID NOT NULL', '"key" TEXT NOT NULL')
      .replace('"name" TEXT,', '"name" TEXT NOT NULL,')
      .replace('"created_at" TIMESTAMPTZ(3)', '"created_at" TIMESTAMP(3)')
      .replace('"tags" TEXT[],', '"tags" TEXT[],\n    "legacy" TEXT,')
      .replace(/-- CreateIndex\nCREATE INDEX[^\n]*\n/, '');
    const paths = service('wrong', wrong);
    const { differences, script } = await schemaDriftReport({
      ...paths,
      dbSchema: 'wrong',
      database: { pglite: db },
    });
    expect(differences).toEqual([
      'wrong.things: removed column `legacy`',
      'wrong.things: column `key` would be dropped and recreated (type changed)',
      'wrong.things: altered column `name` (changed from Required to Nullable)',
      'wrong.things: altered column `created_at` (type changed)',
      // The unique index goes with the recreated column.
      'wrong.things: added unique index on columns (key)',
      'wrong.things: added index on columns (name, count)',
    ]);
    expect(script).toContain('CREATE INDEX "things_name_count_idx"');
  }, 60_000);

  it('reads the datasource schemas of the cases service', () => {
    expect(datasourceSchemas(readSchemaFiles(casesSchema))).toEqual(['cases']);
  });

  it('copes with a migrations folder copied elsewhere', async () => {
    // The check only reads the folder: a copy (as in a CI checkout) gives the same answer.
    const copy = join(tmp, 'copied-migrations');
    cpSync(casesMigrations, copy, { recursive: true });
    const report = await schemaDriftReport({
      schemaPath: casesSchema,
      migrationsDir: copy,
      dbSchema: 'cases',
      database: { pglite: db },
    });
    expect(report.differences).toEqual([]);
  }, 60_000);
});

describe('summaryLines', () => {
  it('flattens the engine summary into one qualified line per difference', () => {
    const summary = [
      '',
      '[+] Added tables',
      '  - extras',
      '',
      '[-] Removed tables',
      '  - old',
      '',
      '[*] Changed the `cases` table',
      '  [+] Added column `summary`',
      '  [*] Altered column `title` (changed from Nullable to Required)',
      '',
    ].join('\n');
    expect(summaryLines(summary, 'cases')).toEqual([
      'cases.extras: added table',
      'cases.old: removed table',
      'cases.cases: added column `summary`',
      'cases.cases: altered column `title` (changed from Nullable to Required)',
    ]);
  });

  it('never turns an unrecognised summary into "no differences"', () => {
    expect(summaryLines('Something new', 'x')).toEqual(['Something new']);
    expect(summaryLines('', 'x')).toEqual(['the schema engine reported a difference']);
  });
});
