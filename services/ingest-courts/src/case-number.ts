import { type CourtCode, courtOf, isCourtCode } from './courts.ts';

/**
 * Court case numbers (案号): （year）+ court code + type code + sequence + 号, e.g.
 * （2024）闽0803民诉前调123号. Courts' systems, clerks and copy-paste give the same number in many
 * spellings; idempotency needs one, so every accepted spelling parses to the same canonical form.
 */

/** Type codes (类型代字) a court refers to mediation, and what each is. */
export const referableTypes = {
  民诉前调: 'pre-litigation mediation (诉前调解)',
  民初: 'civil first instance, entrusted mediation (委托调解)',
  民终: 'civil second instance, entrusted mediation (委托调解)',
} as const;
export type CaseType = keyof typeof referableTypes;

export interface CaseNumber {
  /** Full-width brackets, ASCII digits, no spaces, no leading zeros: （2024）闽0803民诉前调123号. */
  canonical: string;
  year: number;
  court: CourtCode;
  type: CaseType;
  sequence: number;
}

export type CaseNumberResult = { ok: true; value: CaseNumber } | { ok: false; reason: string };

/** The numbering scheme of 最高人民法院《关于人民法院案件案号的若干规定》 took effect on 2016-01-01. */
export const firstYear = 2016;
export const maxLength = 64;

const accepted = Object.keys(referableTypes).join(', ');
const han = /^[\u3400-\u9fff]$/u;

/** The year as it is in China (UTC+8), where case numbers are issued. */
export function chinaYear(now: Date): number {
  return new Date(now.getTime() + 8 * 3600_000).getUTCFullYear();
}

/**
 * Full-width → half-width (NFKC folds （）and ０-９), all whitespace and zero-width characters
 * removed, 〔〕 and [] read as brackets. The result is only for parsing; the canonical form is rebuilt.
 */
function fold(input: string): string {
  return input
    .normalize('NFKC')
    .replace(/[\s\u200b-\u200d\u2060\ufeff]+/gu, '')
    .replace(/[〔[]/gu, '(')
    .replace(/[〕\]]/gu, ')');
}

/** Parses a case number in any accepted spelling; never throws, says what is wrong otherwise. */
export function parseCaseNumber(input: unknown, now: Date = new Date()): CaseNumberResult {
  const fail = (reason: string): CaseNumberResult => ({ ok: false, reason });
  if (typeof input !== 'string') return fail('must be a string');
  if (input.length > maxLength) return fail(`longer than ${maxLength} characters`);
  const text = fold(input);
  if (text.length === 0) return fail('must not be empty');
  if (text.includes('字第')) return fail('an old-style number (…字第…号, before 2016) is not accepted');

  const yearPart = /^\((\d+)\)/u.exec(text);
  if (!yearPart) return fail('must start with the year in brackets, e.g. （2024）');
  const yearDigits = yearPart[1]!;
  if (yearDigits.length !== 4) return fail(`year "${yearDigits}" must have four digits`);
  const year = Number(yearDigits);
  const thisYear = chinaYear(now);
  if (year < firstYear) return fail(`year ${year} is before ${firstYear}, when the current numbering began`);
  if (year > thisYear) return fail(`year ${year} is in the future`);

  let rest = text.slice(yearPart[0].length);
  const courtPart = /^(\p{Script=Han})(\d*)/u.exec(rest);
  if (!courtPart || courtPart[2] === '')
    return fail('the year must be followed by a court code, e.g. 闽0803');
  const court = courtPart[1]! + courtPart[2]!;
  if (courtPart[2]!.length > 4 && isCourtCode(court.slice(0, 5)))
    return fail('the court code must be followed by a type code, e.g. 民诉前调');
  if (!isCourtCode(court)) {
    if (court === '闽0822') return fail('闽0822 (永定县) is no longer issued: 永定区 is 闽0803');
    return fail(`court ${court} is not a court of Longyan (闽08, 闽0802…闽0881)`);
  }
  rest = rest.slice(court.length);

  let typeEnd = 0;
  for (const char of rest) {
    if (!han.test(char) || char === '号') break;
    typeEnd += char.length;
  }
  const type = rest.slice(0, typeEnd);
  if (type === '') return fail('the court code must be followed by a type code, e.g. 民诉前调');
  if (!Object.hasOwn(referableTypes, type))
    return fail(`type code ${type} is not referred for mediation (accepted: ${accepted})`);
  if (type === '民终' && courtOf(court).level !== 'intermediate')
    return fail(
      `type code 民终 (second instance) is only issued by the intermediate court 闽08, not ${court}`,
    );
  rest = rest.slice(typeEnd);

  const sequencePart = /^(\d+)号$/u.exec(rest);
  if (!sequencePart) {
    if (/^\d+$/u.test(rest)) return fail('must end with 号');
    if (!/^\d/u.test(rest)) return fail('the type code must be followed by the sequence number');
    return fail('must end with the sequence number and 号, with nothing after');
  }
  const digits = sequencePart[1]!.replace(/^0+/u, '');
  if (digits === '') return fail('the sequence number must be 1 or more');
  if (digits.length > 7) return fail('the sequence number has more than seven digits');
  const sequence = Number(digits);

  const value = { year, court, type: type as CaseType, sequence };
  return { ok: true, value: { ...value, canonical: formatCaseNumber(value) } };
}

export function formatCaseNumber(value: Omit<CaseNumber, 'canonical'>): string {
  return `（${value.year}）${value.court}${value.type}${value.sequence}号`;
}
