import fc from 'fast-check';
import { type CaseType, referableTypes } from '../src/case-number.ts';
import { type CourtCode, courtCodes } from '../src/courts.ts';

/** The tests' "today" is 2024-09-01 in China: years run to 2024. */
export const lastYear = 2024;

export interface CaseParts {
  year: number;
  court: CourtCode;
  type: CaseType;
  sequence: number;
}

export const caseParts: fc.Arbitrary<CaseParts> = fc
  .record({
    year: fc.integer({ min: 2016, max: lastYear }),
    court: fc.constantFrom(...courtCodes),
    type: fc.constantFrom(...(Object.keys(referableTypes) as CaseType[])),
    sequence: fc.integer({ min: 1, max: 9_999_999 }),
  })
  .filter((parts) => parts.type !== '民终' || parts.court === '闽08');

const fullWidthDigits = (text: string) =>
  text.replace(/\d/g, (digit) => String.fromCharCode(0xff10 + Number(digit)));

/** How one case number is spelled: brackets, digit width, leading zeros, gaps. */
const spelling = fc.record({
  open: fc.constantFrom('（', '(', '〔', '['),
  close: fc.constantFrom('）', ')', '〕', ']'),
  wide: fc.boolean(),
  zeros: fc.integer({ min: 0, max: 2 }),
  gaps: fc.array(fc.constantFrom('', '', '', ' ', '\u3000', '\t', '\u200b'), { minLength: 7, maxLength: 7 }),
});
type Spelling = typeof spelling extends fc.Arbitrary<infer T> ? T : never;

function spell(parts: CaseParts, { open, close, wide, zeros, gaps }: Spelling): string {
  const digits = (text: string) => (wide ? fullWidthDigits(text) : text);
  const pieces = [
    open,
    digits(String(parts.year)),
    close,
    `${parts.court.slice(0, 1)}${digits(parts.court.slice(1))}`,
    parts.type,
    digits('0'.repeat(zeros) + String(parts.sequence)),
    '号',
  ];
  return pieces.map((piece, index) => gaps[index]! + piece).join('');
}

/** One case number spelled as courts, clerks and copy-paste spell it. */
export const spelledCaseNumber = (parts: CaseParts) => spelling.map((how) => spell(parts, how));

/** Characters a mangled case number is made of: the real ones, their look-alikes, and noise. */
const caseChars = fc.oneof(
  fc.constantFrom(...'（）()〔〕[]【】闽京粤0123456789０１２３民诉前调初终执刑行特号字第 \u3000\u200b'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

type Edit = { at: number; kind: 'insert' | 'delete' | 'replace'; char: string };

export const mutatedCaseNumber = fc
  .tuple(
    fc.tuple(caseParts, spelling).map(([parts, how]) => spell(parts, how)),
    fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('insert', 'delete', 'replace') as fc.Arbitrary<Edit['kind']>,
        char: caseChars,
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([text, edits]) =>
    edits.reduce((current, { at, kind, char }) => {
      const chars = [...current];
      const index = chars.length === 0 ? 0 : at % (chars.length + (kind === 'insert' ? 1 : 0));
      if (kind === 'insert') chars.splice(index, 0, char);
      else if (kind === 'delete') chars.splice(index, 1);
      else chars.splice(index, 1, char);
      return chars.join('');
    }, text),
  );

const nonBlank = (max: number) =>
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }).filter((text) => text.trim().length > 0);

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const day = 24 * 3600_000;

const party = (role: string) =>
  fc.record(
    {
      role: fc.constant(role),
      kind: fc.constantFrom('person', 'organisation'),
      name: nonBlank(30),
      idNumber: fc.stringMatching(/^[0-9A-Z]{18}$/),
      phone: fc.stringMatching(/^1[3-9]\d{9}$/),
      address: nonBlank(60),
    },
    { requiredKeys: ['role', 'kind', 'name'] },
  );

const applicants = party('applicant');
const respondents = party('respondent');
const others = fc.array(party('third_party'), { maxLength: 3 });
const today = Date.UTC(lastYear, 8, 1);

/** A referral that should pass (a few do not, e.g. content too long: a 400 is right for those). */
export const validReferral = fc
  .record(
    {
      parts: caseParts,
      spelling,
      causeOfAction: fc.record(
        {
          code: fc.stringMatching(/^[\w.-]{1,20}$/),
          name: fc.oneof(
            fc.constantFrom('民间借贷纠纷', '追索劳动报酬纠纷', '相邻关系纠纷', '离婚纠纷'),
            nonBlank(100),
          ),
        },
        { requiredKeys: ['name'] },
      ),
      parties: fc
        .tuple(applicants, respondents, others)
        .map(([applicant, respondent, rest]) => [applicant, respondent, ...rest]),
      claims: fc.array(nonBlank(200), { minLength: 1, maxLength: 5 }),
      facts: nonBlank(500),
      amount: fc.integer({ min: 0, max: 1_000_000_000 }).map((fen) => fen / 100),
      /** Where between the case's first day and today the referral falls, in millionths. */
      when: fc.integer({ min: 0, max: 1_000_000 }),
      deadlineDays: fc.integer({ min: 0, max: 365 }),
      place: fc.record(
        {
          divisionCode: fc.constantFrom('350800', '350802', '350803107', '350821100', '350881'),
          address: nonBlank(100),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['parts', 'spelling', 'causeOfAction', 'parties', 'claims', 'when', 'deadlineDays'] },
  )
  .map(({ parts, spelling: how, when, deadlineDays, ...rest }) => {
    const from = Date.UTC(parts.year, 0, 1);
    const referred = from + Math.floor(((today - from) * when) / 1_000_000);
    return {
      caseNumber: spell(parts, how),
      ...rest,
      referralDate: isoDay(referred),
      mediationDeadline: isoDay(referred + deadlineDays * day),
    };
  });

/** Every path into a JSON value: where a mutation can strike. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value))
    return here.concat(value.flatMap((item, index) => pathsOf(item, [...prefix, index])));
  if (value && typeof value === 'object')
    return here.concat(Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key])));
  return here;
}

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'add'; at: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      mutatedCaseNumber,
      fc.constantFrom(null, '', ' ', 0, -1, 1e308, 2 ** 53, 0.001, true, [], {}, '2024-02-30', '9999-12-31'),
    ),
  }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString')),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

function apply(root: unknown, change: Mutation): unknown {
  const paths = pathsOf(root);
  const path = paths[change.at % paths.length]!;
  // A copy, never the generated value itself: later changes edit the referral in place, and the
  // `[]` and `{}` of constantFrom are one object each for the whole file — edited, one would carry
  // what one run put in it into the next, until it held itself.
  const value = change.kind === 'delete' ? undefined : structuredClone(change.value);
  if (path.length === 0) return change.kind === 'replace' ? value : root;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (change.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (change.kind === 'replace') {
    parent[last] = value;
  } else {
    const target = parent[last];
    if (target && typeof target === 'object' && !Array.isArray(target))
      Object.defineProperty(target, change.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else parent[last] = value;
  }
  return root;
}

/** A valid referral with one to four things broken: deleted, replaced by anything JSON can hold, or added. */
export const mutatedReferral = fc
  .tuple(validReferral, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([referral, changes]) => changes.reduce(apply, structuredClone(referral) as unknown));

/** What a court system might send: mostly referrals, valid or broken, and some arbitrary JSON. */
export const anyPayload = fc.oneof(
  { arbitrary: validReferral, weight: 2 },
  { arbitrary: mutatedReferral, weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 },
);
