import { createCipheriv } from 'node:crypto';
import { decrypt as wecomDecrypt } from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import {
  parseEncodingAesKey,
  signatureMatches,
  WechatCipher,
  WechatCryptoError,
  wechatSignature,
} from './crypto.ts';

// wechatpy's published test vectors (tests/test_utils.py and tests/test_crypto.py).
const vectors = {
  token: '123456',
  encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
  appId: 'wx49f0ab532d5d035a',
  echo: {
    signature: 'dd6b9c95b495b3f7e2901bfbc76c664930ffdb96',
    timestamp: '1411443780',
    nonce: '437374425',
    echostr: '4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==',
  },
  message: {
    signature: '74d92dfeb87ba7c714f89d98870ae5eb62dff26d',
    timestamp: '1411525903',
    nonce: '461056294',
    encrypt:
      'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=',
  },
  reply: {
    random: '1234567890123456',
    xml: `<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>`,
    encrypt:
      '9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3',
    signature: '407518b7649e86ef23978113f92d27afa9296533',
  },
};

const cipher = new WechatCipher(vectors.encodingAesKey, vectors.appId);
const key = parseEncodingAesKey(vectors.encodingAesKey);

/** Encrypts an arbitrary plaintext block sequence, so the tests can forge what WeChat never sends. */
function rawEnvelope(plain: Buffer): string {
  const aes = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  aes.setAutoPadding(false);
  return Buffer.concat([aes.update(plain), aes.final()]).toString('base64');
}

function frame(message: Buffer, appId: string, pad?: (length: number) => Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const body = Buffer.concat([Buffer.alloc(16, 7), length, message, Buffer.from(appId)]);
  const n = 32 - (body.length % 32);
  return Buffer.concat([body, pad ? pad(n) : Buffer.alloc(n, n)]);
}

describe('signatures (wechatpy vectors)', () => {
  it('URL verification: sha1 of the sorted token, timestamp and nonce', () => {
    expect(wechatSignature('test', '1410685589', 'test')).toBe('f21891de399b4e33a1a93c9a7b8a8fffb5a443ff');
    expect(
      signatureMatches(
        wechatSignature('test', '1410685589', 'test'),
        'f21891de399b4e33a1a93c9a7b8a8fffb5a443ff',
      ),
    ).toBe(true);
    // wechatpy's "should fail" vector: the last digit differs.
    expect(
      signatureMatches(
        wechatSignature('test', '1410685589', 'test'),
        'f21891de399b4e33a1a93c9a7b8a8fffb5a443fe',
      ),
    ).toBe(false);
  });

  it('message signature over the ciphertext', () => {
    const { echo, message } = vectors;
    expect(wechatSignature(vectors.token, echo.timestamp, echo.nonce, echo.echostr)).toBe(echo.signature);
    expect(wechatSignature(vectors.token, message.timestamp, message.nonce, message.encrypt)).toBe(
      message.signature,
    );
    // wechatpy's failing case: another nonce.
    expect(wechatSignature(vectors.token, echo.timestamp, '437374424', echo.echostr)).not.toBe(
      echo.signature,
    );
  });

  it('accepts upper-case hex and refuses anything that is not 40 hex digits', () => {
    const expected = vectors.echo.signature;
    expect(signatureMatches(expected, expected.toUpperCase())).toBe(true);
    for (const given of [undefined, '', expected.slice(1), `${expected}0`, `${expected.slice(0, 39)}g`]) {
      expect(signatureMatches(expected, given)).toBe(false);
    }
  });
});

describe('the AES envelope (wechatpy vectors)', () => {
  it('decrypts the echo string and the message, addressed to the vectors appid', () => {
    expect(cipher.decrypt(vectors.echo.echostr)).toBe('5927782489442352469');
    const xml = cipher.decrypt(vectors.message.encrypt);
    expect(xml).toContain('<Content><![CDATA[test]]></Content>');
    expect(xml).toContain('<FromUserName><![CDATA[messense]]></FromUserName>');
  });

  it('encrypts the reply exactly as wechatpy does with the same random prefix, and signs it', () => {
    const { reply } = vectors;
    const encrypted = cipher.encrypt(reply.xml, Buffer.from(reply.random));
    expect(encrypted).toBe(reply.encrypt);
    expect(wechatSignature(vectors.token, vectors.message.timestamp, vectors.message.nonce, encrypted)).toBe(
      reply.signature,
    );
    expect(cipher.decrypt(encrypted)).toBe(reply.xml);
  });

  it('wechatpy-rs vector: "test" for appid "rust"', () => {
    expect(
      new WechatCipher(vectors.encodingAesKey, 'rust').decrypt(
        '9s4gMv99m88kKTh/H8IdkNiFGeG9pd7vNWl50fGRWXY=',
      ),
    ).toBe('test');
  });

  it('agrees with @wecom/crypto on every well-formed envelope', () => {
    for (const text of [
      '',
      'a',
      '调解纠纷',
      'x'.repeat(1000),
      '<xml><Content><![CDATA[]]]]><![CDATA[>]]></Content></xml>',
    ]) {
      const encrypted = cipher.encrypt(text);
      expect(cipher.decrypt(encrypted)).toBe(text);
      expect(wecomDecrypt(vectors.encodingAesKey, encrypted)).toMatchObject({
        message: text,
        id: vectors.appId,
      });
    }
  });
});

describe('what the library lets through and this cipher refuses', () => {
  const refuses = (encrypted: string, reason: RegExp) => {
    expect(() => cipher.decrypt(encrypted)).toThrow(WechatCryptoError);
    expect(() => cipher.decrypt(encrypted)).toThrow(reason);
  };

  it('an envelope for another appid (the library returns it with id = that appid)', () => {
    const other = new WechatCipher(vectors.encodingAesKey, 'wx0000000000000000').encrypt('<xml/>');
    expect(wecomDecrypt(vectors.encodingAesKey, other).id).toBe('wx0000000000000000');
    refuses(other, /another appid/);
    // A prefix or an extension of our appid is another appid too.
    refuses(
      new WechatCipher(vectors.encodingAesKey, vectors.appId.slice(0, -1)).encrypt('<xml/>'),
      /another appid/,
    );
    refuses(new WechatCipher(vectors.encodingAesKey, `${vectors.appId}x`).encrypt('<xml/>'), /another appid/);
  });

  it('padding that is not PKCS#7 (the library strips whatever the last byte says)', () => {
    const message = Buffer.from('<xml/>');
    refuses(
      rawEnvelope(
        frame(message, vectors.appId, (n) =>
          Buffer.concat([Buffer.alloc(n - 1, n), Buffer.from([n - 1 || 33])]),
        ),
      ),
      /padding/,
    );
    refuses(
      rawEnvelope(
        frame(message, vectors.appId, (n) => Buffer.concat([Buffer.from([0]), Buffer.alloc(n - 1, n)])),
      ),
      /padding|appid/,
    );
    refuses(rawEnvelope(frame(message, vectors.appId, (n) => Buffer.alloc(n, 0))), /padding/);
    // Whole block of padding byte 33: out of range for k = 32.
    refuses(
      rawEnvelope(Buffer.concat([frame(message, vectors.appId).subarray(0, -32), Buffer.alloc(32, 33)])),
      /padding/,
    );
  });

  it('a length field that points past the envelope', () => {
    const plain = frame(Buffer.from('<xml/>'), vectors.appId);
    plain.writeUInt32BE(10_000, 16);
    refuses(rawEnvelope(plain), /length/);
  });

  it('a message that is not UTF-8', () => {
    refuses(rawEnvelope(frame(Buffer.from([0xc3, 0x28]), vectors.appId)), /UTF-8/);
  });

  it('ciphertext that is not base64 or not whole 32-byte blocks', () => {
    refuses('not base64!', /base64/);
    refuses('', /base64/);
    refuses(Buffer.alloc(16).toString('base64'), /32-byte/);
    refuses(Buffer.alloc(48).toString('base64'), /32-byte/);
    refuses(`${vectors.message.encrypt.slice(0, -1)}`, /base64/);
  });

  it('a flipped bit: CBC alone cannot tell (no MAC), so msg_signature is checked before decrypting', () => {
    const { message } = vectors;
    const data = Buffer.from(message.encrypt, 'base64');
    for (let i = 0; i < data.length; i++) {
      const flipped = Buffer.from(data);
      flipped[i] = flipped[i]! ^ 0x01;
      const forged = flipped.toString('base64');
      // The signature covers the ciphertext: every flip is caught there.
      expect(wechatSignature(vectors.token, message.timestamp, message.nonce, forged)).not.toBe(
        message.signature,
      );
      // Flips in the last block garble the padding: the strict checks catch those even unsigned.
      if (i >= data.length - 16) expect(() => cipher.decrypt(forged)).toThrow(WechatCryptoError);
    }
  });
});

describe('EncodingAESKey', () => {
  it('is 43 base64 characters decoding to 32 bytes', () => {
    expect(parseEncodingAesKey(vectors.encodingAesKey)).toHaveLength(32);
    for (const bad of [
      '',
      'short',
      `${vectors.encodingAesKey}=`,
      `${vectors.encodingAesKey.slice(0, 42)}!`,
    ]) {
      expect(() => parseEncodingAesKey(bad)).toThrow(WechatCryptoError);
    }
  });
});
