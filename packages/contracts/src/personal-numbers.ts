/**
 * Mobile and ID-card numbers in free text: what a hotline operator or a citizen types into a report
 * (`我叫张三，身份证号350802198502021234，电话13511112222…`), and what error messages quote. One
 * recogniser for both places that must not pass them on: the agencies' copies of a matter
 * (agency-copies.ts) and the logs (`maskPersonalData`, packages/database/src/error-for-log.ts, which
 * depends on this package and not the other way round).
 *
 * Recognised, in half- or full-width digits (as a Chinese keyboard types them):
 * - a mainland mobile, 11 digits from 13 to 19, written 3-4-4 with spaces, dashes or dots between
 *   the groups or none, with +86, 86 or 0086 before it (the spellings contracts/phone.ts accepts);
 * - an ID-card number, 18 characters (the last may be X) or the 15 digits of the first generation,
 *   still in old records, with single spaces or dashes anywhere between its digits (350802 19850202
 *   1234).
 * A letter or digit just before or after means the run is part of something else (an order number
 * GD20240824001, a UUID, a longer number) and it is left alone, as is every shorter number (an
 * amount, a date 20240824, a landline). A mobile is read first: 0086 13511112222 is a mobile,
 * not a 15-digit ID number.
 */
export type NumberMasks = {
  /** What an ID-card number becomes. */
  idCard: string;
  /** What a mobile number becomes; null keeps it as written (for the one who calls the citizen back). */
  mobile: string | null;
};

const digit = '[0-9０-９]';
/** Next to a number, these make it part of a longer token. */
const edge = '[0-9０-９A-Za-zＡ-Ｚａ-ｚ]';
/** Between the groups of a number as people space them: never a line break (two numbers on two lines). */
const gap = '[^\\S\\r\\n]';
const idGap = `(?:${gap}|[\\-－])`;
const mobileGap = `(?:${gap}|[.．\\-－])`;
const mobile = `(?:(?:[+＋]|00|００)?[8８][6６]${mobileGap}?)?[1１][3-9３-９]${digit}${mobileGap}?${digit}{4}${mobileGap}?${digit}{4}`;
const idCard = `(?:${digit}${idGap}?){17}[0-9０-９XxＸｘ]|(?:${digit}${idGap}?){14}${digit}`;
const personalNumber = new RegExp(`(?<!${edge})(?:(${mobile})|${idCard})(?!${edge})`, 'g');

/** `text` with each mobile and ID-card number in it replaced as `masks` says; the rest as written. */
export function maskPersonalNumbers(text: string, masks: NumberMasks): string {
  return text.replace(personalNumber, (found, asMobile: string | undefined) =>
    asMobile === undefined ? masks.idCard : (masks.mobile ?? found),
  );
}
