import type { z } from 'zod';

/**
 * Text PostgreSQL can store. JSON and JavaScript strings may hold a NUL character (`\u0000`) and
 * half of a UTF-16 surrogate pair (`\ud83d` alone); PostgreSQL refuses both, in text and jsonb
 * alike (22P05, 22021). Taken in at an edge, such a report was acknowledged, routed, and then
 * refused by the cases service's every retry: dead-lettered, no case, while the caller had its
 * 202 and the department its assignment. So every edge refuses them, naming the field, and the
 * contracts refuse them too, so that one that slips past an edge is refused when published.
 */
export interface UnstorableText {
  /** Where, as the error shape names fields: `parties.0.name`; a key's path ends in the key. */
  path: (string | number)[];
  reason: string;
}

const reasons = {
  nul: 'must not contain the NUL character (\\u0000)',
  surrogate: 'must be well-formed Unicode: it holds half of a surrogate pair (e.g. \\ud83d alone)',
};

// A NUL looked for, lone surrogates by the engine (isWellFormed): for 16,000 Chinese characters,
// about a third of what a regular expression with a lookbehind took (50 against 130 µs, loaded).
const problemOf = (text: string) =>
  text.includes('\u0000') ? reasons.nul : text.isWellFormed() ? undefined : reasons.surrogate;

/** Every string of `value`, and every key of its objects, that PostgreSQL could not store. */
export function unstorableTexts(value: unknown, path: (string | number)[] = []): UnstorableText[] {
  // Every event published and every push taken in is checked, and nearly all are clean: a walk that
  // builds no path first (building them was a few per cent of the backfill's CPU, and its garbage).
  return storableThroughout(value) ? [] : problemsAt(value, path);
}

function storableThroughout(value: unknown): boolean {
  if (typeof value === 'string') return problemOf(value) === undefined;
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(storableThroughout);
  for (const key of Object.keys(value))
    if (problemOf(key) !== undefined || !storableThroughout((value as Record<string, unknown>)[key]))
      return false;
  return true;
}

function problemsAt(value: unknown, path: (string | number)[]): UnstorableText[] {
  if (typeof value === 'string') {
    const reason = problemOf(value);
    return reason ? [{ path, reason }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => problemsAt(item, [...path, index]));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const reason = problemOf(key);
    return reason ? [{ path: [...path, key], reason }] : problemsAt(item, [...path, key]);
  });
}

/**
 * `schema`, refusing what it parsed when a string or key of it could not be stored (zod issues at
 * their paths, so a 400 names each field). `reason` rewords the refusal for a form a citizen reads.
 */
export function storable<S extends z.ZodType>(schema: S, reason?: string) {
  return schema.superRefine((value, context) => {
    for (const problem of unstorableTexts(value))
      context.addIssue({ code: 'custom', path: problem.path, message: reason ?? problem.reason });
  });
}
