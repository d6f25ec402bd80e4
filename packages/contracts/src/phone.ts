/**
 * A mainland mobile number as its 11 digits, however it was written (+86 138 0000 0000,
 * 138-0000-0000, 138.0000.1234, 0086 13800000000, full-width as a Chinese keyboard may type it),
 * or undefined for anything else (a landline such as 0597-2345678转801). One spelling in every
 * channel: repeats are found by the caller's number, and only a mobile takes a text message.
 */
export function mobileNumber(phone: string): string | undefined {
  const compact = phone.normalize('NFKC').replace(/[\s()（）-]/g, '');
  // Dots only where people put them in a mobile, 3-4-4: elsewhere they make a decimal, a
  // version or an address (138.100.123.45), which must not be read as someone's number.
  const digits = compact
    .replace(/^((?:\+|00)?86)?(1\d{2})\.(\d{4})\.(\d{4})$/, '$1$2$3$4')
    .replace(/^(?:\+|00)?86(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? digits : undefined;
}
