import { describe, expect, it } from 'vitest';
import { maskPersonalNumbers } from './personal-numbers.ts';

const both = { idCard: '[ID]', mobile: '[M]' };
const mobilesKept = { idCard: '[ID]', mobile: null };

/** The work order a reviewer pushed: a hotline operator typed the caller's numbers into it. */
const reviewers =
  '我叫张三，身份证号350802198502021234，电话13511112222，在下洋镇被邻居王五（身份证350803197703031235）打伤…';

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
        '电话１３５１１１１２２２２，身份证３５０８０２１９８５０２０２１２３Ｘ，欠款１２万元',
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
    ]) {
      expect({ phone, masked: maskPersonalNumbers(`来电${phone}，`, both) }).toEqual({
        phone,
        masked: '来电[M]，',
      });
    }
  });

  it('finds an ID number written in groups, ending in x, or of the first generation (15 digits)', () => {
    for (const id of [
      '350802 19850202 1234',
      '3508 0219 8502 0212 34',
      '350802-19850202-123x',
      '350802850202123',
      '350802 850202 123',
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
});
