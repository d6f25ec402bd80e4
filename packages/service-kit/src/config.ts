import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment once, at start-up, into a typed object. A bad value stops the
 * service with a message that names the variable; nothing else reads `process.env`.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(env, { error: unsetIsRequired });
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  // A variable already refused for its form is not refused a second time for its example.
  const refused = new Set(issues.map((issue) => issue.path[0]));
  for (const variable of variablesOf(schema)) {
    const example = exampleSecrets[variable];
    if (example && !refused.has(variable) && holdsExample(env[variable], example.values))
      problems.push(
        `${variable}: the README's example secret (public: ${example.risk}); set a secret of your own`,
      );
  }
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

/**
 * The secrets the README's examples show (its distributed-mode commands). They are public: a
 * service started with one of them could be signed for by anyone who has read the README, so
 * {@link parseConfig} refuses them, in any service whose schema reads the variable, wherever in
 * its value they stand (HOTLINE_CLIENTS' `id:secret` pairs, COURT_CLIENTS' JSON). Standalone mode
 * reads none of these: its demo clients' secrets are its own, and its JWT secret is made per data
 * directory. test/security/example-secrets.test.ts holds the README to this list.
 */
export const exampleSecrets: Readonly<Record<string, { values: readonly string[]; risk: string }>> = {
  JWT_SECRET: {
    values: ['change-me-to-32-or-more-characters'],
    risk: "anyone who has read it can sign an operator's token",
  },
  HOTLINE_CLIENTS: {
    values: ['a-long-secret'],
    risk: 'anyone who has read it can sign work orders as that hotline system',
  },
  COURT_CLIENTS: {
    values: ['a-long-secret'],
    risk: 'anyone who has read it can sign referrals as that court',
  },
  WECHAT_TOKEN: {
    values: ['accounttoken1'],
    risk: "anyone who has read it can sign messages as WeChat's servers",
  },
};

/** Whether `value` is one of `examples`, or holds one as a part of its own (an `id:secret` pair, a JSON string). */
function holdsExample(value: string | undefined, examples: readonly string[]): boolean {
  if (!value) return false;
  const parts = value.split(/[\s,:;"'{}[\]]+/);
  return examples.some((example) => value.trim() === example || parts.includes(example));
}

/** The variables a config schema reads: the keys of its object, under any transform piped after it. */
function variablesOf(schema: z.ZodType): string[] {
  let inner: unknown = schema;
  while (inner instanceof z.ZodPipe) inner = inner.in;
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/**
 * zod words a variable that is not set as a type error ("expected string, received undefined"):
 * it is `required`. A schema's own message for it still wins.
 */
const unsetIsRequired: z.core.$ZodErrorMap = (issue) =>
  (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined
    ? 'required'
    : undefined;

/**
 * An unset variable and an empty one mean the same (docker compose writes `${VAR:-}` as ""),
 * so an optional variable left blank takes its default instead of failing validation.
 */
export const blankAsUnset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), schema);

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** LOG_LEVEL, `fallback` when unset or blank. */
export const logLevel = (fallback: (typeof logLevels)[number] = 'info') =>
  blankAsUnset(z.enum(logLevels).default(fallback));

/** Common variables, reused by each service's config schema. */
export const commonEnv = {
  // Blank is unset: a blank HOST would listen on every address.
  LOG_LEVEL: logLevel(),
  HOST: blankAsUnset(z.string().default('127.0.0.1')),
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'a comma-separated list of host:port')
    .transform((value) => value.split(',')),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// URL'),
  /** When set, /metrics asks for it as a bearer token (a port that cannot be kept internal). */
  METRICS_TOKEN: blankAsUnset(z.string().min(32, 'at least 32 characters').optional()),
};

/** A port; blank is unset (coerced, a blank would be port 0: any free port, found by no one). */
export const port = (fallback: number) =>
  blankAsUnset(z.coerce.number().int().min(0).max(65_535).default(fallback));
