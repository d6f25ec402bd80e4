/**
 * Mobile and ID-card numbers in free text: what a hotline operator or a citizen types into a report
 * (`我叫张三，身份证号350802198502021235，电话13511112222…`), and what error messages quote. One
 * recogniser for the places that must not pass them on: the agencies' copies of a matter
 * (agency-copies.ts), the agencies' free-text search (the cases API refuses to look for such a
 * number for them) and the logs (`maskPersonalData`, packages/database/src/error-for-log.ts, which
 * depends on this package and not the other way round).
 *
 * Recognised, in half- or full-width digits (as a Chinese keyboard types them):
 * - a mainland mobile, 11 digits from 13 to 19, written 3-4-4 with one or two spaces, or a dash or
 *   dot, between the groups or none, with +86, 86 or 0086 before it (the spellings contracts/phone.ts
 *   accepts), also glued to a `tel`/`TEL` before it (tel13511112222);
 * - an ID-card number (GB 11643): 18 characters, the last a digit or X, written whole or in the
 *   groups people space it in (6-8-4: 350802 19850202 1235, or 4-4-4-4-2 as a form's boxes show it),
 *   with a real birth date (YYYYMMDD, 1900 to this year), its check character right or not (one
 *   digit mistyped by the operator still names its person); or
 *   the 15 digits of the first generation, still in old records, whole or 6-6-3, with a real birth
 *   date (YYMMDD, 19YY). Both start with a province (1 to 8).
 * The checks are what keeps the copies useful: a wage list (5000 3000 2000 800), a bank card, a
 * parcel's tracking number or a company's credit code has the length of an ID number but not its
 * grouping, province and birth date (one in some 2,000 passes by chance), and an agency needs those
 * numbers to handle the case.
 * A letter or digit just before or after means the run is part of something else (an order number
 * GD20240824001, a UUID, a longer number) and it is left alone, as is every shorter number (an
 * amount, a date 20240824, a landline). A mobile is read first: 0086 13511112222 is a mobile,
 * not a 15-digit ID number.
 *
 * The logs use `idCards: 'any-shaped'`: any run of 18 (or 15) digits, spaced anywhere, unchecked:
 * an engineer loses nothing to an over-masked number in an error message.
 */
import { isCalendarDay } from './calendar.ts';

export type NumberMasks = {
  /** What an ID-card number becomes. */
  idCard: string;
  /** What a mobile number becomes; null keeps it as written (for the one who calls the citizen back). */
  mobile: string | null;
};

/** Which runs count as ID-card numbers: `checked` (grouping, province, birth date) or any of the length. */
export type IdCardRule = 'checked' | 'any-shaped';

const digit = '[0-9０-９]';
const digits = (count: number) => `${digit}{${count}}`;
const checkCharacter = '[0-9０-９XxＸｘ]';
/** Next to a number, these make it part of a longer token. */
const edge = '[0-9０-９A-Za-zＡ-Ｚａ-ｚ]';
/** Between the groups of a number as people space them: never a line break (two numbers on two lines). */
const gap = '[^\\S\\r\\n]';
const idGap = `(?:${gap}|[\\-－])`;
const mobileGap = `(?:${gap}{1,2}|${gap}?[.．\\-－]${gap}?)`;
const mobile = `(?:(?:[+＋]|00|００)?[8８][6６]${mobileGap}?)?[1１][3-9３-９]${digit}${mobileGap}?${digits(4)}${mobileGap}?${digits(4)}`;
/** `tel13511112222`: a mobile glued to the word that announces it, not to another token (hotel…). */
const telGlued = '(?<=(?<![A-Za-z])[Tt][Ee][Ll])';
const groupedIdCard = [
  `${digits(6)}${idGap}?${digits(8)}${idGap}?${digits(3)}${checkCharacter}`,
  `${digits(4)}${idGap}?${digits(4)}${idGap}?${digits(4)}${idGap}?${digits(4)}${idGap}?${digit}${checkCharacter}`,
  `${digits(6)}${idGap}?${digits(6)}${idGap}?${digits(3)}`,
].join('|');
const anyShapedIdCard = `(?:${digit}${idGap}?){17}${checkCharacter}|(?:${digit}${idGap}?){14}${digit}`;
const patternOf = (idCard: string) =>
  new RegExp(`(?:(?<!${edge})|${telGlued})(${mobile})(?!${edge})|(?<!${edge})(?:${idCard})(?!${edge})`, 'g');
const patterns: Record<IdCardRule, RegExp> = {
  checked: patternOf(groupedIdCard),
  'any-shaped': patternOf(anyShapedIdCard),
};

type Found = { at: number; text: string; kind: 'mobile' | 'idCard' };

/** The mobile and ID-card numbers of `text`, in order. */
function* numbersIn(text: string, idCards: IdCardRule): Generator<Found> {
  const pattern = new RegExp(patterns[idCards]);
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[1] !== undefined) yield { at: match.index, text: match[0], kind: 'mobile' };
    else if (idCards === 'any-shaped' || plausibleIdCard(match[0])) {
      yield { at: match.index, text: match[0], kind: 'idCard' };
    } else {
      // Not an ID number: what starts inside it may still be one, or a mobile after a space.
      pattern.lastIndex = match.index + 1;
    }
  }
}

/** `text` with each mobile and ID-card number in it replaced as `masks` says; the rest as written. */
export function maskPersonalNumbers(
  text: string,
  masks: NumberMasks,
  idCards: IdCardRule = 'checked',
): string {
  let masked = '';
  let from = 0;
  for (const found of numbersIn(text, idCards)) {
    const replacement = found.kind === 'mobile' ? (masks.mobile ?? found.text) : masks.idCard;
    masked += text.slice(from, found.at) + replacement;
    from = found.at + found.text.length;
  }
  return masked + text.slice(from);
}

/** The first mobile or ID-card number in `text` (checked as the agencies' copies check it), if any. */
export function personalNumberIn(text: string): Found['kind'] | null {
  for (const found of numbersIn(text, 'checked')) return found.kind;
  return null;
}

function plausibleIdCard(found: string): boolean {
  const chars = found
    .replace(/[０-９Ｘｘ]/g, (wide) => String.fromCharCode(wide.charCodeAt(0) - 0xfee0))
    .replace(/[^0-9Xx]/g, '')
    .toUpperCase();
  if (chars[0]! < '1' || chars[0]! > '8') return false;
  if (chars.length === 15)
    return realBirthDate(`19${chars.slice(6, 8)}`, chars.slice(8, 10), chars.slice(10, 12));
  // Not the check character: an ID number the operator mistyped by one digit still names its person.
  return realBirthDate(chars.slice(6, 10), chars.slice(10, 12), chars.slice(12, 14));
}

function realBirthDate(yyyy: string, mm: string, dd: string): boolean {
  const year = Number(yyyy);
  return year >= 1900 && year <= new Date().getUTCFullYear() && isCalendarDay(`${yyyy}-${mm}-${dd}`);
}
