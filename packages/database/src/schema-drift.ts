import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { migrate } from './migrate.ts';
import { pgliteClient, postgresClient, type SqlClient } from './sql-client.ts';

/**
 * Do the committed migrations and the Prisma schema agree?
 *
 * The migrations are applied with our own runner (`migrate.ts`) to the given database, then
 * Prisma's schema engine — the same Rust code as `prisma migrate diff`, compiled to WebAssembly
 * (`@prisma/schema-engine-wasm`, pinned to the engine build of prisma 7.10.0), talking to the
 * database through a driver adapter — diffs that database against the schema. No network, no
 * native engine binary.
 */

/** Where to apply the migrations: a PostgreSQL URL (an empty database), or an open PGlite. */
export type DriftDatabase = { url: string } | { pglite: PGlite };

export interface SchemaDriftOptions {
  /** A `schema.prisma` file, or a folder of `.prisma` files (multi-file schema). */
  schemaPath: string;
  /** The Prisma migrations folder (`<timestamp>_<name>/migration.sql`). */
  migrationsDir: string;
  /** The PostgreSQL schema the migration runner works in (`migrate(…, { schema })`). */
  dbSchema: string;
  database: DriftDatabase;
}

export interface SchemaDriftReport {
  /** Migration folders applied now by the runner (all of them, on an empty database). */
  applied: string[];
  /** One readable line per difference; empty when migrations and schema agree. */
  differences: string[];
  /**
   * SQL that would take the migrated database to the schema (what the next migration would
   * contain); empty when they agree.
   */
  script: string;
}

/**
 * Applies the migrations to `database` with our runner and returns the differences between the
 * resulting database and the Prisma schema, one line each (`cases.cases: added column \`extra\``).
 * Empty means they agree. Each line is a step the *next migration* would have to take to reach
 * the schema: "added …" = in the schema but not in the migrations, "removed …" = in the
 * migrations but not in the schema, "altered …" = present in both but different.
 */
export async function schemaDrift(options: SchemaDriftOptions): Promise<string[]> {
  return (await schemaDriftReport(options)).differences;
}

/** Like `schemaDrift`, also returning the migrations applied and the SQL that would fix a drift. */
export async function schemaDriftReport(options: SchemaDriftOptions): Promise<SchemaDriftReport> {
  const files = readSchemaFiles(options.schemaPath);
  // A schema without `datasource.schemas` lives in the connection's default schema: make that the
  // runner's schema. With `schemas`, the engine looks at exactly those, as `prisma migrate` does.
  const declared = datasourceSchemas(files);
  const defaultSchema = declared.length === 0 ? options.dbSchema : undefined;
  const connection = openConnection(options.database, defaultSchema);
  try {
    const applied = await migrate(connection.sql, {
      migrationsDir: options.migrationsDir,
      schema: options.dbSchema,
    });
    const engine = await newSchemaEngine(files, connection.adapter);
    try {
      const configDir = statSync(options.schemaPath).isDirectory()
        ? options.schemaPath
        : dirname(options.schemaPath);
      const diff = (script: boolean) =>
        engine.diff({
          // The datasource of the schema, reached through the driver adapter: the migrated database.
          from: { tag: 'schemaDatasource', files, configDir },
          to: { tag: 'schemaDatamodel', files },
          script,
          exitCode: true,
          filters: { externalTables: [], externalEnums: [] },
        });
      const summary = await engineCall('diff', () => diff(false));
      if (summary.exitCode === 0) return { applied, differences: [], script: '' };
      const script = await engineCall('diff', () => diff(true));
      return {
        applied,
        // The engine's summary names tables without their schema: qualify them when there is one.
        differences: summaryLines(
          summary.stdout ?? '',
          declared.length > 1 ? null : (declared[0] ?? options.dbSchema),
        ),
        script: script.stdout ?? '',
      };
    } finally {
      engine.free();
    }
  } finally {
    await connection.close();
  }
}

/** Every `.prisma` file of a schema, as the engine takes them: `{ path, content }`. */
export function readSchemaFiles(schemaPath: string): { path: string; content: string }[] {
  if (!statSync(schemaPath).isDirectory()) {
    return [{ path: schemaPath, content: readFileSync(schemaPath, 'utf8') }];
  }
  const files = readdirSync(schemaPath, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.prisma'))
    .sort()
    .map((name) => join(schemaPath, name))
    .map((path) => ({ path, content: readFileSync(path, 'utf8') }));
  if (files.length === 0) throw new Error(`no .prisma files under ${schemaPath}`);
  return files;
}

/**
 * The PostgreSQL schemas a Prisma schema's datasource declares (`schemas = ["cases"]`), empty
 * when it declares none (then its tables live in the connection's default schema).
 */
export function datasourceSchemas(files: { content: string }[]): string[] {
  for (const { content } of files) {
    const block = /^\s*datasource\s+\w+\s*\{([\s\S]*?)^\s*\}/m.exec(content);
    if (!block) continue;
    const list = /^\s*schemas\s*=\s*\[([^\]]*)\]/m.exec(block[1]!);
    return list ? [...list[1]!.matchAll(/"([^"]+)"/g)].map((match) => match[1]!) : [];
  }
  return [];
}

/**
 * Turns the engine's human-readable diff summary into one line per difference, prefixed by the
 * table (qualified by `dbSchema`; pass null when the datasource spans several schemas, since the
 * summary does not say which one a table is in). The summary looks like:
 *
 *   [+] Added tables
 *     - operators
 *   [*] Changed the `cases` table
 *     [+] Added column `extra`
 *     [*] Altered column `title` (changed from Nullable to Required)
 */
export function summaryLines(summary: string, dbSchema: string | null): string[] {
  const qualify = (name: string) => (dbSchema === null || name.includes('.') ? name : `${dbSchema}.${name}`);
  const lines: string[] = [];
  let list: { kind: string; verb: string } | null = null;
  let changed: string | null = null;
  for (const raw of summary.split('\n')) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    const listHeader = /^\[[+\-*]\] (Added|Removed|Changed) (\w+?)s?$/.exec(line);
    const changedHeader = /^\[\*\] Changed the `([^`]+)` (\w+)$/.exec(line);
    if (changedHeader) {
      changed = `${qualify(changedHeader[1]!)}`;
      if (changedHeader[2] !== 'table') changed = `${changed} (${changedHeader[2]})`;
      list = null;
    } else if (listHeader) {
      list = { verb: listHeader[1]!.toLowerCase(), kind: listHeader[2]!.replace(/s$/, '') };
      changed = null;
    } else if (list && /^\s+- /.test(line)) {
      lines.push(`${qualify(line.replace(/^\s+- /, '').trim())}: ${list.verb} ${list.kind}`);
    } else if (changed && /^\s+\[[+\-*]\] /.test(line)) {
      const detail = line.replace(/^\s+\[[+\-*]\] /, '').trim();
      lines.push(`${changed}: ${detail.charAt(0).toLowerCase()}${detail.slice(1)}`);
    } else {
      lines.push(line.trim());
    }
  }
  // A summary this parser does not understand is still reported, never read as "no drift".
  return lines.length > 0 ? lines : [summary.trim() || 'the schema engine reported a difference'];
}

interface Connection {
  sql: SqlClient;
  adapter: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

function openConnection(database: DriftDatabase, defaultSchema: string | undefined): Connection {
  if ('pglite' in database) {
    return {
      sql: pgliteClient(database.pglite),
      adapter: withDefaultSchema(new PrismaPGlite(database.pglite), defaultSchema),
      close: async () => {},
    };
  }
  const sql = postgresClient(database.url, { max: 2 });
  // Discrete fields rather than `connectionString` (adapter-pg spreads `{ database }` over its
  // config for shadow databases, and a connection string would win); not that we need one here.
  const url = new URL(database.url);
  const pool = new pg.Pool({
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.slice(1)) || undefined,
    max: 2,
  });
  pool.on('error', () => {});
  // adapter-pg has no column type for PostgreSQL's internal `"char"` (OID 18), which the engine's
  // catalog queries return (pg_constraint.contype, confdeltype, …): deliver it as text, which the
  // engine reads correctly (a single-character string either way).
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        // The form pg.Pool#query uses: query(config, values, callback).
        return query(...args.slice(0, -1), (error: unknown, result: pg.QueryResult | undefined) =>
          callback(error, charAsText(result)),
        );
      }
      const result = query(...args);
      return result instanceof Promise ? result.then(charAsText) : result;
    };
  });
  return {
    sql,
    adapter: withDefaultSchema(new PrismaPg(pool), defaultSchema),
    close: async () => {
      await Promise.allSettled([sql.close(), pool.end()]);
    },
  };
}

const CHAR_OID = 18;
const TEXT_OID = 25;

function charAsText<T>(result: T): T {
  for (const field of (result as { fields?: pg.FieldDef[] } | undefined)?.fields ?? []) {
    if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  }
  return result;
}

/**
 * The adapter reports `defaultSchema` (when given) as its default schema, so that a schema
 * without `datasource.schemas` is compared with the tables the runner created there.
 */
function withDefaultSchema(
  factory: SqlMigrationAwareDriverAdapterFactory,
  defaultSchema: string | undefined,
): SqlMigrationAwareDriverAdapterFactory {
  if (defaultSchema === undefined) return factory;
  const tag = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const info = adapter.getConnectionInfo?.() ?? { supportsRelationJoins: true };
    adapter.getConnectionInfo = () => ({ ...info, schemaName: defaultSchema });
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => tag(await factory.connect()),
    connectToShadowDb: async () => tag(await factory.connectToShadowDb()),
  };
}

type EngineRuntime = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

/** The bit of the WebAssembly global used here (the project's `lib` has no DOM types). */
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

let runtime: Promise<EngineRuntime> | undefined;

/**
 * Instantiates the engine's WebAssembly once per process (Prisma's own loader does the same:
 * wasm-bindgen keeps module-level state). The package's main entry imports the `.wasm` as an ES
 * module, which Node cannot, so this does what Prisma's CLI does (`WasmSchemaEngineLoader` in
 * `@prisma/internals`): instantiate `schema_engine_bg.wasm` with the `schema_engine_bg.js` glue
 * as its imports, hand the exports to the glue, then run `__wbindgen_start` (without it the
 * first call fails with "Reflect.get called on non-object"). `SchemaEngine.new` then takes three
 * arguments: the options, a log callback and the *bound* adapter factory; and the glue expects a
 * global `PRISMA_WASM_PANIC_REGISTRY` to report Rust panics to.
 */
function loadRuntime(): Promise<EngineRuntime> {
  runtime ??= (async () => {
    const panics = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
    // The glue reports a Rust panic's message here before throwing.
    panics.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const module = new wasm.Module(readFileSync(gluePath.replace(/\.js$/, '.wasm')));
    const instance = new wasm.Instance(module, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return runtime;
}

let lastPanic = '';

async function newSchemaEngine(
  files: { path: string; content: string }[],
  adapter: SqlMigrationAwareDriverAdapterFactory,
): Promise<SchemaEngine> {
  const glue = await loadRuntime();
  return engineCall('start', () =>
    glue.SchemaEngine.new(
      // Either undefined or a non-empty list (an empty one panics).
      { datamodels: files.map((file) => [file.path, file.content]) },
      () => {}, // the engine's tracing logs (JSON lines): not needed here
      bindMigrationAwareSqlAdapterFactory(adapter),
    ),
  );
}

async function engineCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  lastPanic = '';
  try {
    return await call();
  } catch (error) {
    const message = lastPanic || (error instanceof Error ? error.message : String(error));
    throw new Error(`schema engine (${what}): ${message}`, { cause: error });
  }
}
