import { describe, expect, it } from 'vitest';
import { mobileNumber } from './phone.ts';

describe('mobileNumber: a mainland mobile as its 11 digits, in every channel', () => {
  it('reads a mobile however it was written', () => {
    for (const written of [
      '13800001234',
      '138 0000 1234',
      '138-0000-1234',
      '(138)0000-1234',
      '+86 138 0000 1234',
      '0086 13800001234',
      '（+86）13800001234',
      '138.0000.1234',
      '+86 138.0000.1234',
      '0086 138.0000.1234',
      '１３８００００１２３４',
      '＋８６　１３８－００００－１２３４',
    ])
      expect(mobileNumber(written), written).toBe('13800001234');
  });

  it('reads nothing that is not a mobile as one', () => {
    for (const other of [
      '0597-2345678',
      '0597-2345678转801',
      '400-800-1234',
      '1380000123',
      '138000012345',
      '23800001234',
      '12800001234',
      // Dots that do not group a mobile 3-4-4: an address, a decimal, a mistyped number.
      '138.100.123.45',
      '1380.000.1234',
      '13800001234.0',
      '1.3800001234',
      '138.0000.1234.',
      '138..0000.1234',
      '',
    ])
      expect(mobileNumber(other), other).toBeUndefined();
  });
});
