import { describe, expect, it } from 'vitest';
import { maskPersonalNumbers, personalNumberIn } from './personal-numbers.ts';

const both = { idCard: '[ID]', mobile: '[M]' };
const mobilesKept = { idCard: '[ID]', mobile: null };

/**
 * The work order a reviewer pushed: a hotline operator typed the caller's numbers into it. The ID
 * numbers are made up, with real birth dates and GB 11643 check characters, as real ones have.
 */
const reviewers =
  '我叫张三，身份证号350802198502021235，电话13511112222，在下洋镇被邻居王五（身份证350803197703031239）打伤…';

describe('mobile and ID-card numbers in what people type', () => {
  it("masks both ID numbers and the phone of the reviewer's work order, and nothing else", () => {
    expect(maskPersonalNumbers(reviewers, both)).toBe(
      '我叫张三，身份证号[ID]，电话[M]，在下洋镇被邻居王五（身份证[ID]）打伤…',
    );
  });

  it('keeps the mobiles when told to, never the ID numbers', () => {
    expect(maskPersonalNumbers(reviewers, mobilesKept)).toBe(
      '我叫张三，身份证号[ID]，电话13511112222，在下洋镇被邻居王五（身份证[ID]）打伤…',
    );
  });

  it('reads full-width digits as a Chinese keyboard types them, and keeps the rest of the text as written', () => {
    expect(
      maskPersonalNumbers(
        '电话１３５１１１１２２２２，身份证３５０８０２１９８５０２０２１２６Ｘ，欠款１２万元',
        both,
      ),
    ).toBe('电话[M]，身份证[ID]，欠款１２万元');
  });

  it('finds a mobile however it is spaced or prefixed', () => {
    for (const phone of [
      '135 1111 2222',
      '135-1111-2222',
      '135.1111.2222',
      '+86 135 1111 2222',
      '+8613511112222',
      '0086 13511112222',
      '008613511112222',
      '８６－１３５－１１１１－２２２２',
      '135  1111  2222',
      '135 - 1111 - 2222',
    ]) {
      expect({ phone, masked: maskPersonalNumbers(`来电${phone}，`, both) }).toEqual({
        phone,
        masked: '来电[M]，',
      });
    }
  });

  it('finds a mobile glued to the tel that announces it, not one glued to another word', () => {
    expect(maskPersonalNumbers('tel13511112222, TEL 135 1111 2222, Tel:135-1111-2222', both)).toBe(
      'tel[M], TEL [M], Tel:[M]',
    );
    expect(maskPersonalNumbers('hotel13511112222 GD13511112222', both)).toBe(
      'hotel13511112222 GD13511112222',
    );
  });

  it('finds an ID number written in groups, ending in x, or of the first generation (15 digits)', () => {
    for (const id of [
      '350802198502021235',
      '350802 19850202 1235',
      '3508 0219 8502 0212 35',
      '350802-19850202-126x',
      '350802-19850202-126X',
      '３５０８０２ １９８５０２０２ １２６ｘ',
      '350802850202123',
      '350802 850202 123',
      '110101200002290018',
    ]) {
      expect({ id, masked: maskPersonalNumbers(`身份证：${id}。`, both) }).toEqual({
        id,
        masked: '身份证：[ID]。',
      });
    }
  });

  it('leaves amounts, dates, order numbers, landlines and longer numbers alone', () => {
    const text =
      '工单GD20240824001，2024-08-24 与 20240824 两次来电，欠款13500元，座机0597-2345678，' +
      '卡号6222021234567890123，案号(2024)闽0803民初1234号，id 6f1c2b9e-8d1a-5c3e-9f0a-1b2c3d4e5f60';
    expect(maskPersonalNumbers(text, both)).toBe(text);
  });

  it('two numbers on two lines are two numbers, not one ID number', () => {
    expect(maskPersonalNumbers('编号1234567\n12345678901', both)).toBe('编号1234567\n12345678901');
  });

  it("leaves the reviewer's numbers of ID length alone: no province, birth date or usual grouping", () => {
    for (const text of [
      '4000 5000 6000 7000 80',
      '快递单号773012345678901',
      '913508021543212345',
      '6222 0212 3456 7890 123',
      '5000 3000 2000 800',
    ]) {
      expect(maskPersonalNumbers(text, both)).toBe(text);
      expect(personalNumberIn(text)).toBeNull();
    }
  });

  it('an ID number mistyped in its check character is still masked: it still names its person', () => {
    // The reviewer's ID number with its check character one off (…1235 is the real one).
    expect(maskPersonalNumbers('身份证350802198502021234', both)).toBe('身份证[ID]');
    expect(personalNumberIn('350802 19850202 1234')).toBe('idCard');
  });

  it('an ID-shaped number with an impossible or future birth date is not an ID number', () => {
    for (const text of [
      // Dates wrong: 30 February, month 13, born 1850, born in 2999.
      '350802198502301237',
      '350802198513021230',
      '350802185002021236',
      '35080229990101123X',
      // 1985-30-02 in the first generation; a real number grouped as nobody writes it.
      '350802 853002 123',
      '3508021 9850202 1235',
    ]) {
      expect(maskPersonalNumbers(text, both)).toBe(text);
    }
  });

  it('the logs take any run of ID length, spaced anywhere, checked or not', () => {
    for (const text of [
      '350802198502021234',
      '5000 3000 2000 800',
      '４０００ ５０００ ６０００ ７０００ ８０',
    ]) {
      expect(maskPersonalNumbers(text, both, 'any-shaped')).toBe('[ID]');
    }
    expect(maskPersonalNumbers(reviewers, both, 'any-shaped')).toBe(maskPersonalNumbers(reviewers, both));
  });

  it('tells which kind of number a text holds first', () => {
    expect(personalNumberIn('工资 13511112222')).toBe('mobile');
    expect(personalNumberIn('350802 19850202 1235 欠款')).toBe('idCard');
    expect(personalNumberIn('欠款3800元 2024-08-24')).toBeNull();
  });
});
