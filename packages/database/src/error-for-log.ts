import { maskPersonalNumbers } from '@huijie/contracts/personal-numbers.ts';

/**
 * What an engineer needs of an error, without the personal data error messages carry: Prisma
 * prints the whole query with its values (even with `errorFormat: 'minimal'`, and again in the
 * stack, which starts with the message), PostgreSQL's `detail` quotes the key that clashed
 * (`Key (phone)=(13800000000) already exists`), drivers and JSON.parse quote the bad value.
 * Pino's redaction goes by field name and cannot clean a string, so errors are turned into
 * this shape before they are logged (the logger's `err` serializer) or written to a dead
 * letter.
 *
 * It lives here, beside {@link isDatabaseUnavailable}'s reading of the same errors, because
 * the event bus (dead-letter reasons) and the service kit (the logger) both depend on this
 * package, and the service kit depends on the event bus.
 */
export interface LoggedError {
  /** The error's class: PrismaClientKnownRequestError, DatabaseError, ZodError, TypeError… */
  type: string;
  /** Prisma's code (P2002), PostgreSQL's SQLSTATE (23505), Node's (ECONNREFUSED)… */
  code?: string;
  /** PostgreSQL's SQLSTATE behind a Prisma error. */
  sqlState?: string;
  /** The driver adapter's name for what happened (UniqueConstraintViolation…). */
  kind?: string;
  model?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  /** The fields of a unique constraint that failed: names, never the values. */
  fields?: string[];
  /** One line: what went wrong, with quoted values, mobile and ID-card numbers masked. */
  reason: string;
  /** Where it was thrown: the frames only (a stack starts with the message). */
  stack?: string;
  cause?: LoggedError;
}

const masked = '[redacted]';
const maxReason = 500;
const maxFrames = 12;
const maxCauses = 3;

/** An SQL or Prisma name (table, column, constraint, model): safe to keep. */
const identifier = /^[A-Za-z_][A-Za-z0-9_.$]*$/;

export function errorForLog(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, reason: maskPersonalData(String(error)) };
  const source = error as Error & Record<string, unknown>;
  const logged: LoggedError = { type: typeName(error), reason: reasonOf(error) };
  const code = source.code;
  if (typeof code === 'string' || typeof code === 'number') logged.code = String(code);
  // pg's DatabaseError names what failed; its `detail`, `where` and `hint` can quote the values.
  for (const key of ['schema', 'table', 'column', 'constraint'] as const) {
    const value = source[key];
    if (typeof value === 'string' && identifier.test(value)) logged[key] = value;
  }
  Object.assign(logged, prismaParts(source.meta));
  const stack = framesOf(error.stack);
  if (stack) logged.stack = stack;
  if (error.cause !== undefined && depth < maxCauses) logged.cause = errorForLog(error.cause, depth + 1);
  return logged;
}

/** The same in one line, for a place that keeps text (a dead letter's error header). */
export function errorReason(error: unknown): string {
  const logged = errorForLog(error);
  const code = [logged.code, logged.sqlState].filter(Boolean).join('/');
  const where =
    logged.constraint ?? (logged.table && [logged.table, logged.column].filter(Boolean).join('.'));
  // A plain Error's class says nothing: "handler: cannot route this" reads better without it.
  const label = [logged.type === 'Error' ? '' : logged.type, code, where && `(${where})`]
    .filter(Boolean)
    .join(' ');
  return label ? `${label}: ${logged.reason}` : logged.reason;
}

/**
 * The last line of defence for text that may hold what a person typed: mobile numbers, in every
 * spelling the channels accept as one, and ID-card numbers (18 characters, or the 15 digits of the
 * first generation), in half- or full-width digits, become `[redacted]`. The recogniser is the one
 * the agencies' copies are masked with (contracts/personal-numbers.ts), so a number a copy hides is
 * hidden from the logs too, but broader for ID numbers: any run of their length, spaced anywhere,
 * without the copies' birth-date and check-character tests. A copy must keep the amounts and
 * tracking numbers an agency works with; a log line loses nothing by a masked amount, and an ID
 * number with a typo (a wrong check character) still names its person.
 */
export function maskPersonalData(text: string): string {
  return maskPersonalNumbers(text, { idCard: masked, mobile: masked }, 'any-shaped');
}

function typeName(error: Error): string {
  // pg's DatabaseError calls itself "error"; its class says more.
  const constructorName = error.constructor?.name;
  return constructorName && constructorName !== 'Error' ? constructorName : error.name || 'Error';
}

function reasonOf(error: Error): string {
  let reason: string;
  if (isZodError(error)) {
    // Issues keep their path and message; `input`/`received` are what the user sent.
    reason = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  } else if (typeName(error).startsWith('PrismaClient')) {
    // Prisma's message is the call site, the rendered query with its values, then the reason.
    const lines = error.message.split('\n').filter((line) => line.trim() !== '');
    reason = lines.at(-1)?.trim() ?? '';
  } else {
    reason = error.message.replace(/\s*\n\s*/g, ' ');
  }
  return maskPersonalData(maskQuotedValues(reason)).slice(0, maxReason);
}

/**
 * PostgreSQL and drivers quote the offending value (`invalid input syntax for type uuid: "…"`),
 * JSON.parse quotes the text it could not read: a quoted string that is not a name is a value.
 */
function maskQuotedValues(text: string): string {
  return text
    .replace(/, ".*"(?:\.\.\.)? is not valid JSON/, ', "…" is not valid JSON')
    .replace(/"([^"]*)"/g, (quoted, inner: string) => (identifier.test(inner) ? quoted : '"…"'));
}

function isZodError(error: Error): error is Error & { issues: { path: PropertyKey[]; message: string }[] } {
  return error.name === 'ZodError' && Array.isArray((error as { issues?: unknown }).issues);
}

/** Prisma's `meta`: the model, and from its pg adapter the SQLSTATE, kind and names (never values). */
function prismaParts(meta: unknown): Partial<LoggedError> {
  if (!meta || typeof meta !== 'object') return {};
  const { modelName, target, driverAdapterError } = meta as {
    modelName?: unknown;
    target?: unknown;
    driverAdapterError?: { cause?: Record<string, unknown> };
  };
  const parts: Partial<LoggedError> = {};
  if (typeof modelName === 'string') parts.model = modelName;
  const names = (value: unknown) =>
    Array.isArray(value)
      ? value.filter((name): name is string => typeof name === 'string' && identifier.test(name))
      : [];
  const targets = typeof target === 'string' ? names([target]) : names(target);
  if (targets.length > 0) parts.fields = targets;
  const cause = driverAdapterError?.cause;
  if (!cause) return parts;
  if (typeof cause.originalCode === 'string') parts.sqlState = cause.originalCode;
  if (typeof cause.kind === 'string') parts.kind = cause.kind;
  if (typeof cause.table === 'string' && identifier.test(cause.table)) parts.table = cause.table;
  if (typeof cause.column === 'string' && identifier.test(cause.column)) parts.column = cause.column;
  const constraint = cause.constraint as { index?: unknown; fields?: unknown } | undefined;
  if (typeof constraint?.index === 'string' && identifier.test(constraint.index))
    parts.constraint = constraint.index;
  const fields = names(constraint?.fields);
  if (fields.length > 0) parts.fields = fields;
  return parts;
}

function framesOf(stack: string | undefined): string | undefined {
  const frames = stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, maxFrames)
    .map((line) => line.trim());
  return frames && frames.length > 0 ? frames.join('\n') : undefined;
}
