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
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
  );
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
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
};

/** A port; blank is unset (coerced, a blank would be port 0: any free port, found by no one). */
export const port = (fallback: number) =>
  blankAsUnset(z.coerce.number().int().min(0).max(65_535).default(fallback));
