import { createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { getSignature, encrypt as wecomEncrypt } from '@wecom/crypto';

/**
 * WeChat's message signature and its AES envelope ("safe mode"). Signing and encrypting
 * come from @wecom/crypto; decrypting is done here because that library neither checks the
 * PKCS#7 padding nor the length field nor the appid, and each of those is what tells a
 * genuine envelope from a tampered or misdirected one.
 */
export class WechatCryptoError extends Error {
  override name = 'WechatCryptoError';
}

/** sha1 of the sorted, concatenated parts: `signature` (token, timestamp, nonce) or `msg_signature` (+ Encrypt). */
export function wechatSignature(token: string, timestamp: string, nonce: string, encrypted = ''): string {
  return getSignature(token, timestamp, nonce, encrypted);
}

/** Constant-time comparison of two hex signatures; anything that is not 40 hex digits is simply wrong. */
export function signatureMatches(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string' || !/^[0-9a-f]{40}$/i.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'ascii'), Buffer.from(given.toLowerCase(), 'ascii'));
}

/** An EncodingAESKey is 43 base64 characters that decode (with the "=" WeChat leaves off) to a 32-byte AES key. */
export function parseEncodingAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
    throw new WechatCryptoError('an EncodingAESKey is 43 characters of A-Z, a-z, 0-9, "+" and "/"');
  }
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new WechatCryptoError('the EncodingAESKey does not decode to 32 bytes');
  return key;
}

/** WeChat pads to 32-byte blocks (PKCS#7 with k = 32), so a genuine ciphertext is a multiple of 32 bytes. */
const blockSize = 32;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WechatCipher {
  private readonly key: Buffer;

  constructor(
    private readonly encodingAesKey: string,
    private readonly appId: string,
  ) {
    this.key = parseEncodingAesKey(encodingAesKey);
  }

  /** random(16) ‖ length(4, big-endian) ‖ message ‖ appid ‖ padding, AES-256-CBC with iv = key[0..16]. */
  decrypt(encrypted: string): string {
    if (!/^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encrypted)) {
      throw new WechatCryptoError('the ciphertext is not base64');
    }
    const data = Buffer.from(encrypted, 'base64');
    if (data.length === 0 || data.length % blockSize !== 0) {
      throw new WechatCryptoError('the ciphertext is not a whole number of 32-byte blocks');
    }
    const decipher = createDecipheriv('aes-256-cbc', this.key, this.key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);

    const pad = plain[plain.length - 1]!;
    if (pad < 1 || pad > blockSize) throw new WechatCryptoError('invalid padding');
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) throw new WechatCryptoError('invalid padding');
    }
    const body = plain.subarray(0, plain.length - pad);
    if (body.length < 20) throw new WechatCryptoError('the envelope is too short');
    const length = body.readUInt32BE(16);
    if (length > body.length - 20) throw new WechatCryptoError('the length field exceeds the envelope');
    const message = body.subarray(20, 20 + length);
    const appId = body.subarray(20 + length);
    if (!appId.equals(Buffer.from(this.appId, 'utf8'))) {
      throw new WechatCryptoError('the envelope is addressed to another appid');
    }
    try {
      return utf8.decode(message);
    } catch {
      throw new WechatCryptoError('the message is not UTF-8');
    }
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    return wecomEncrypt(this.encodingAesKey, message, this.appId, random);
  }
}
