/**
 * Numbers as people write them in Chinese text: digits (3800, 3,800, 3 800), everyday numerals (三万八千),
 * the formal numerals of receipts (叁仟捌佰) and the two mixed (3万8千). One reader for every service: routing
 * reads the amounts and headcounts in a complaint with it, the cases import reads an amount column with it,
 * so a historical record and a live report of the same words mean the same sum.
 */

// Everyday and formal (大写, as on receipts and contracts: 壹万零伍佰圆整) numerals. 几 and 数 count as 2 and
// 上 (上万, 上百万) as 1: a vague amount is read as the least it can mean (十几万 → 120,000, 几千 → 2,000), so
// it does not make a dispute major on its own. 陸 and 萬 reach here as 陆 and 万 (normalizeWriting in routing).
const CHINESE_DIGITS: Record<string, number> = {
  〇: 0,
  零: 0,
  一: 1,
  壹: 1,
  二: 2,
  两: 2,
  贰: 2,
  貳: 2,
  三: 3,
  叁: 3,
  參: 3,
  四: 4,
  肆: 4,
  五: 5,
  伍: 5,
  六: 6,
  陆: 6,
  七: 7,
  柒: 7,
  八: 8,
  捌: 8,
  九: 9,
  玖: 9,
  几: 2,
  数: 2,
  上: 1,
};
const CHINESE_UNITS: Record<string, number> = { 十: 10, 拾: 10, 百: 100, 佰: 100, 千: 1000, 仟: 1000 };

/** The Chinese digits (几 and 数 among them, not 上, which is a digit only before a unit). */
export const DIGIT_CHARS = Object.keys(CHINESE_DIGITS)
  .filter((ch) => ch !== '上')
  .join('');
/** The units below 万: 十拾百佰千仟. */
export const UNIT_CHARS = Object.keys(CHINESE_UNITS).join('');

// Thousands are grouped only after 1–3 digits, and always with the same mark: 3,800, 3，800 (full-width comma)
// or 3 800 (a space, also the no-break and ideographic ones): 13812345678，500元 is a phone and 500元. Groups by
// space never follow a digit, a date's or a time's mark and a space: 2024/8/24 800元, 138 0000 1234 800元 and
// 9:30 800元 are 800 yuan.
const GROUP_SPACE = '[ \\u00a0\\u2009\\u202f\\u3000]';
/** A number in digits, thousands grouped or not, with its decimals: a regex source without capture groups. */
export const ARABIC = String.raw`(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:，\d{3})+(?!\d)|(?<![\d/.:\-]${GROUP_SPACE}*)\d{1,3}(?:${GROUP_SPACE}\d{3})+(?!\d)|\d+)(?:\.\d+)?`;
const arabicAt = new RegExp(ARABIC, 'y');
const GROUP_MARKS = new RegExp(`[,，]|${GROUP_SPACE}`, 'g');

/** 一点二 → 1.2: the whole part and the digits written after 点. */
function withDecimals(whole: number, decimals: string | undefined): number {
  return decimals ? Number(`${whole}.${decimals}`) : whole;
}

/**
 * 3,800 → 3800; 二十 → 20, 三万八千 → 38000, 两百万 → 2000000, 一点二亿 → 120000000, 一百零五 → 105, 叁仟捌佰 →
 * 3800, 壹万零伍佰 → 10500; digits and characters mixed: 3.8万 → 38000, 3万8千 → 38000, 1万5000 → 15000; and the
 * spoken short forms 一万二 / 1万5 → 12000 / 15000, 三千五 / 3千8 → 3500 / 3800. A range reads as its lower end
 * (两三千 → 2000, 四五十万 → 400000), like 几. A unit on its own counts one of it (万 → 10000, as in 万把块).
 * Undefined for zero and for anything that is not a numeral.
 */
export function parseNumber(text: string): number | undefined {
  let total = 0; // the 亿 and 万 groups already closed
  let section = 0; // below 万
  let digit = 0;
  let place = 1; // what the pending digit is worth: right after 万 a lone 二 means 2000 (一万二)
  let decimals: string | undefined; // the digits after 点, kept as written
  let afterDigit = false; // the character before was a digit 1–9: 两三千 is a range
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const value = CHINESE_DIGITS[ch];
    const unit = CHINESE_UNITS[ch];
    if (ch >= '0' && ch <= '9' && decimals === undefined) {
      arabicAt.lastIndex = i;
      const run = arabicAt.exec(text)![0];
      digit = Number(run.replace(GROUP_MARKS, ''));
      // A lone digit after a unit is the spoken short form (3万8 → 8 thousands); 3万5000 means what it says.
      if (run.length > 1) place = 1;
      i += run.length - 1;
      afterDigit = false;
    } else if (value !== undefined) {
      if (decimals !== undefined) decimals += value;
      else digit = afterDigit ? Math.min(digit, value) : value;
      if (value === 0) place = 1; // 一万零二 is 10002
      afterDigit = value !== 0;
    } else if (unit !== undefined && decimals === undefined) {
      section += (digit || 1) * unit;
      digit = 0;
      place = unit / 10;
      afterDigit = false;
    } else if (ch === '点' && decimals === undefined) {
      decimals = '';
    } else if (ch === '万' || ch === '亿') {
      const group = withDecimals(section + digit * place, decimals) || (i === 0 ? 1 : 0);
      total = ch === '万' ? total + group * 1e4 : (total + group) * 1e8;
      section = digit = 0;
      place = ch === '万' ? 1e3 : 1e7;
      decimals = undefined;
      afterDigit = false;
    } else {
      return undefined;
    }
  }
  // To the cent: 1.15万 is 11500, not 11499.999999999998.
  return Math.round((total + withDecimals(section + digit * place, decimals)) * 100) / 100 || undefined;
}

const NUMERAL = `(?:${ARABIC}|[${DIGIT_CHARS}${UNIT_CHARS}万亿]|点(?=[${DIGIT_CHARS}]))+`;
// A whole field that is an amount of yuan: 3800, 3,800.50, ¥3800, 3万, 3.8万元, 叁仟捌佰圆整, 3800元5角6分.
const AMOUNT_FIELD = new RegExp(
  String.raw`^(?:[¥]|人民币)?\s*(${NUMERAL})\s*(?:(?:元|块|圆)(?:\s*([${DIGIT_CHARS}\d])角)?(?:\s*([${DIGIT_CHARS}\d])分)?)?\s*整?$`,
);
const SPELLED_DIGITS = '一二两三四五六七八九壹贰貳叁參肆伍陆柒捌玖';
const VAGUE = new RegExp(`[几数上]|[${SPELLED_DIGITS}]{2}`);
// Digits after 点 are read one by one (一点二五万 is 12,500): two of them side by side are no range.
const SPELLED_DECIMALS = new RegExp(`点[〇零${SPELLED_DIGITS}]+`, 'g');
const ZERO = /^(?:0+(?:\.0+)?|[零〇])(?:元|块|圆)?$/;

function digitValue(ch: string | undefined): number {
  return ch === undefined ? 0 : (CHINESE_DIGITS[ch] ?? Number(ch));
}

/**
 * A field that holds an amount of yuan, as operators type it into a spreadsheet: 3800, 3,800, 3，800, ３８００,
 * 3 800, ¥3800, 3800元, 3.8万, 3万8千, 叁仟捌佰圆整, 3800元5角 (3800.5). Undefined when the field is anything
 * else (a word, a negative sum, a range): a record must not be filed with a sum nobody wrote.
 */
export function readAmount(field: string): number | undefined {
  // NFKC: full-width digits, commas and ￥ as the ASCII ones, the ideographic space as a space.
  const text = field.normalize('NFKC').trim();
  if (ZERO.test(text)) return 0;
  const m = AMOUNT_FIELD.exec(text);
  // Vague (几千, 上万, 数万) or a range (三四千): routing reads the least they can mean, a record keeps no guess.
  if (!m || VAGUE.test(m[1]!.replace(SPELLED_DECIMALS, '点'))) return undefined;
  const yuan = parseNumber(m[1]!);
  if (yuan === undefined) return undefined;
  return Math.round(yuan * 100 + digitValue(m[2]) * 10 + digitValue(m[3])) / 100;
}
