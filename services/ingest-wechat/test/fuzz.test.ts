import type { RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WechatCipher, wechatSignature } from '../src/wechat/crypto.ts';
import { MessageError, parseMessage } from '../src/wechat/message.ts';
import { testApp, testSettings, testWechat } from './support.ts';

/**
 * Property-based abuse of every parser: generated and mutated payloads, thousands each. The
 * property is the same everywhere: a 2xx or a 4xx in the stable error shape, never a 5xx,
 * never an exception that escapes.
 */
const runs = 10_000;
/** Ten thousand requests through Fastify's inject take seconds, not the default 5. */
const timeout = 180_000;
const unlimited: RateLimiter = { hit: async () => ({ allowed: true, retryAfterMs: 0 }) };
const now = new Date();
const ts = String(Math.floor(now.getTime() / 1000));

const { app, of } = testApp(
  { rateLimiter: unlimited, now: () => now },
  testSettings({ wechat: { ...testWechat, mode: 'compatible' } }),
);
beforeAll(() => app.ready());
afterAll(() => app.close());

/** Byte-level damage to a serialised payload: cut, insert, delete, duplicate, replace. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const noise = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.constantFrom(
      '<',
      '>',
      '&',
      ']]>',
      '<![CDATA[',
      '</xml>',
      '<xml>',
      '"',
      '\\',
      '\u0000',
      '\ud800',
      '{',
      '}',
      ',',
      ':',
      '[',
      ']',
    ),
  );
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: noise }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 20 }),
    }),
    fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 40 }),
    }),
  );
  return fc.tuple(base, fc.array(edit, { maxLength: 4 })).map(([text, edits]) =>
    edits.reduce((out, e) => {
      const at = out.length === 0 ? 0 : e.at % (out.length + 1);
      if (e.kind === 'cut') return out.slice(0, at);
      if (e.kind === 'insert') return out.slice(0, at) + e.text + out.slice(at);
      if (e.kind === 'delete') return out.slice(0, at) + out.slice(at + e.length);
      return out.slice(0, at) + out.slice(at, at + e.length) + out.slice(at);
    }, text),
  );
}

const guoKeys = {
  submissionId: 0,
  townCode: 0,
  address: 0,
  applicant: 0,
  respondent: 0,
  description: 0,
  amountClaimed: 0,
  attachments: 0,
  agreed: 0,
  wechatRef: 0,
};

const weirdText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '调解',
    '纠纷',
    '我想申请调解，老板欠薪3800元',
    '\u0000',
    '\ud800x',
    'a'.repeat(6000),
    '<script>',
  ),
);

function expectHandled(response: { statusCode: number; body: string; headers: Record<string, unknown> }) {
  expect(response.statusCode, response.body).toBeLessThan(500);
  if (response.statusCode >= 400) {
    const body = JSON.parse(response.body);
    expect(typeof body.error.code).toBe('string');
    expect(typeof body.error.message).toBe('string');
    expect(Array.isArray(body.error.fields)).toBe(true);
  }
}

describe('POST /v1/applications under generated and mutated bodies', () => {
  const validish = fc.record(
    {
      submissionId: fc.oneof(fc.uuid(), fc.string({ maxLength: 70 })),
      townCode: fc.oneof(
        fc.constantFrom('350802107', '350803102', '350881100', '350802', '110101001'),
        fc.string({ maxLength: 12 }),
      ),
      address: fc.oneof(weirdText, fc.constant(undefined)),
      applicant: fc.oneof(
        fc.record({
          name: weirdText,
          phone: fc.oneof(
            fc.constantFrom('13800001234', '+86 138 0000 1234', '138-0000-1234', '12345'),
            fc.string({ maxLength: 20 }),
          ),
        }),
        fc.anything(),
      ),
      respondent: fc.oneof(
        fc.record(
          {
            name: weirdText,
            kind: fc.oneof(fc.constantFrom('person', 'organisation'), fc.string({ maxLength: 10 })),
            phone: fc.oneof(fc.constantFrom('', '13900002222'), fc.string({ maxLength: 20 })),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
      description: fc.oneof(weirdText, fc.constant('我在江山镇修水库干了19天，老板一直不给工资。')),
      amountClaimed: fc.oneof(
        fc.double(),
        fc.integer(),
        fc.constantFrom('3800', '3,800元', '1e400', '-1', '0.1', 'NaN', ''),
        fc.string({ maxLength: 10 }),
      ),
      attachments: fc.oneof(
        fc.array(fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 }), fc.constant('javascript:alert(1)')), {
          maxLength: 12,
        }),
        fc.anything(),
      ),
      agreed: fc.oneof(fc.constant(true), fc.anything()),
      wechatRef: fc.oneof(
        fc.string({ maxLength: 250 }),
        fc.constant('b1VzZXIx.9999999999.AAAAAAAAAAAAAAAAAAAAAA'),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  );
  const valid = fc.record({
    submissionId: fc.uuid(),
    townCode: fc.constantFrom('350802107', '350803102', '350881100', '350821100'),
    address: fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 })),
    applicant: fc.record({
      name: fc.constantFrom('郭某', '李四', 'Zhang San'),
      phone: fc.constantFrom('13800001234', '+86 138 0000 1234', '15912345678'),
    }),
    respondent: fc.record({
      kind: fc.constantFrom('person', 'organisation'),
      name: fc.constantFrom('包工头', '某公司'),
    }),
    description: fc.string({ unit: 'grapheme', minLength: 10, maxLength: 300 }),
    amountClaimed: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constant(''), fc.constant('3,800元')),
    attachments: fc.array(fc.webUrl({ withQueryParameters: true, withFragments: true }), { maxLength: 3 }),
    agreed: fc.constant(true),
  });
  /** A valid application with one field replaced by anything at all, or removed. */
  const oneFieldBroken = fc
    .tuple(valid, fc.constantFrom(...Object.keys(guoKeys)), fc.anything(), fc.boolean())
    .map(([body, key, junk, remove]) => {
      const copy: Record<string, unknown> = { ...body };
      if (remove) delete copy[key];
      else copy[key] = junk;
      return copy;
    });
  const payloads = fc.oneof(
    { weight: 3, arbitrary: valid.map((body) => ({ json: JSON.stringify(body) })) },
    { weight: 3, arbitrary: oneFieldBroken.map((body) => ({ json: JSON.stringify(body) })) },
    { weight: 3, arbitrary: validish.map((body) => ({ json: JSON.stringify(body) })) },
    { weight: 3, arbitrary: mutated(valid.map((body) => JSON.stringify(body))).map((json) => ({ json })) },
    { weight: 2, arbitrary: fc.jsonValue().map((value) => ({ json: JSON.stringify(value) })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((json) => ({ json })) },
  );

  it(
    `${runs} payloads: never a 5xx, errors always in the stable shape, accepted ones always valid events`,
    async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(payloads, async ({ json }) => {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/applications',
            headers: { 'content-type': 'application/json' },
            payload: json,
          });
          expectHandled(response);
          if (response.statusCode === 202) accepted++;
        }),
        { numRuns: runs },
      );
      console.log(`[fuzz] applications: ${accepted} of ${runs} accepted`);
      // The generator reaches the happy path too, not only the refusals.
      expect(accepted).toBeGreaterThan(0);
      expect(of('dispute.intake.v1').length).toBeGreaterThan(0);
    },
    timeout,
  );
});

const ids = fc.oneof(fc.constantFrom('gh_account', 'oUser1', 'oUser2', ''), fc.string({ maxLength: 20 }));
const messageModel = fc.record(
  {
    ToUserName: ids,
    FromUserName: ids,
    CreateTime: fc.oneof(fc.constant(ts), fc.nat().map(String), fc.string({ maxLength: 14 })),
    MsgType: fc.oneof(
      fc.constantFrom('text', 'event', 'image', 'location', 'voice'),
      fc.string({ maxLength: 10 }),
    ),
    Event: fc.oneof(
      fc.constantFrom('subscribe', 'SCAN', 'unsubscribe', 'CLICK', 'LOCATION'),
      fc.string({ maxLength: 10 }),
    ),
    EventKey: fc.oneof(
      fc.constantFrom('qrscene_350802107', '350803102', 'qrscene_', 'qrscene_999999999', '350802107'),
      fc.string({ maxLength: 30 }),
    ),
    Content: weirdText,
    MsgId: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.string({ maxLength: 10 })),
    Extra: fc.string({ maxLength: 20 }),
  },
  { requiredKeys: [] },
);
const render = fc
  .tuple(messageModel, fc.constantFrom('cdata', 'escaped', 'raw'), fc.boolean())
  .map(([fields, style, prolog]) => {
    const value = (text: string) =>
      style === 'cdata'
        ? `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`
        : style === 'escaped'
          ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
          : text;
    const body = Object.entries(fields)
      .map(([name, text]) => `<${name}>${value(text as string)}</${name}>`)
      .join('\n');
    return `${prolog ? '<?xml version="1.0" encoding="utf-8"?>\n' : ''}<xml>${body}</xml>`;
  });
const cdataOf = (text: string) => `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
const openIds = fc.constantFrom('oUser1', 'oUser2', 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M');
/** Messages WeChat would really send: subscribe/SCAN with township scenes, texts, other events. */
const validMessage = fc.oneof(
  fc
    .record({
      from: openIds,
      event: fc.constantFrom('subscribe', 'SCAN', 'unsubscribe', 'CLICK'),
      key: fc.constantFrom('qrscene_350802107', 'qrscene_350803102', '350821100', '', 'qrscene_1', 'MENU_1'),
      time: fc.integer({ min: Number(ts) - 100, max: Number(ts) }),
    })
    .map(
      ({ from, event, key, time }) =>
        `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName>${cdataOf(from)}</FromUserName>` +
        `<CreateTime>${time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event>${cdataOf(event)}</Event>` +
        `${key ? `<EventKey>${cdataOf(key)}</EventKey>` : ''}</xml>`,
    ),
  fc
    .record({ from: openIds, content: weirdText, msgId: fc.bigInt({ min: 1n, max: 2n ** 63n }) })
    .map(
      ({ from, content, msgId }) =>
        `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName>${cdataOf(from)}</FromUserName>` +
        `<CreateTime>${ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>${cdataOf(content)}</Content>` +
        `<MsgId>${msgId}</MsgId></xml>`,
    ),
);
const xmlPayloads = fc.oneof(
  { weight: 3, arbitrary: validMessage },
  { weight: 3, arbitrary: mutated(validMessage) },
  { weight: 2, arbitrary: render },
  { weight: 2, arbitrary: mutated(render) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
);

describe('the WeChat XML message parser under generated and mutated messages', () => {
  it(
    `${runs} messages straight to the parser: a message or a MessageError, nothing else`,
    () => {
      fc.assert(
        fc.property(xmlPayloads, (xml) => {
          try {
            parseMessage(xml);
          } catch (error) {
            if (!(error instanceof MessageError)) throw error;
            expect(error.fields.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    `${runs} signed plaintext POSTs: never a 5xx`,
    async () => {
      const query = new URLSearchParams({
        timestamp: ts,
        nonce: '42',
        signature: wechatSignature(testWechat.token, ts, '42'),
      });
      let replied = 0;
      await fc.assert(
        fc.asyncProperty(xmlPayloads, async (xml) => {
          const response = await app.inject({
            method: 'POST',
            url: `/wechat?${query}`,
            headers: { 'content-type': 'text/xml' },
            payload: xml,
          });
          expectHandled(response);
          if (response.statusCode === 200 && response.body !== 'success') replied++;
        }),
        { numRuns: runs },
      );
      console.log(`[fuzz] plaintext messages: ${replied} of ${runs} answered with a reply`);
      expect(replied).toBeGreaterThan(0);
    },
    timeout,
  );

  it(
    `${runs} signed safe-mode POSTs with generated plaintexts and damaged envelopes: never a 5xx`,
    async () => {
      const cipher = new WechatCipher(testWechat.encodingAesKey, testWechat.appId);
      const envelopes = fc.oneof(
        // A well-formed envelope around generated (possibly broken) XML.
        xmlPayloads.map((xml) => cipher.encrypt(xml)),
        // Damaged ciphertext, still correctly msg-signed, so it reaches the decryptor.
        mutated(xmlPayloads.map((xml) => cipher.encrypt(xml))),
        fc.uint8Array({ maxLength: 128 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      );
      await fc.assert(
        fc.asyncProperty(envelopes, fc.boolean(), async (encrypt, wrapWell) => {
          const body = wrapWell
            ? `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`
            : `<xml><Encrypt>${encrypt}</Encrypt>`;
          const query = new URLSearchParams({
            timestamp: ts,
            nonce: '43',
            signature: wechatSignature(testWechat.token, ts, '43'),
            encrypt_type: 'aes',
            msg_signature: wechatSignature(testWechat.token, ts, '43', encrypt.trim()),
          });
          const response = await app.inject({
            method: 'POST',
            url: `/wechat?${query}`,
            headers: { 'content-type': 'text/xml' },
            payload: body,
          });
          expectHandled(response);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );
});
