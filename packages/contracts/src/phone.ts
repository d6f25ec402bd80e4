/**
 * A mainland mobile number as its 11 digits, however it was written (+86 138 0000 0000,
 * 138-0000-0000, 0086 13800000000), or undefined for anything else (a landline such as
 * 0597-2345678转801). One spelling in every channel: repeats are found by the caller's number,
 * and only a mobile takes a text message.
 */
export function mobileNumber(phone: string): string | undefined {
  const digits = phone.replace(/[\s()（）-]/g, '').replace(/^(?:\+|00)?86(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? digits : undefined;
}
