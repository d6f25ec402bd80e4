import { describe, expect, it } from 'vitest';
import { townDirectory } from '../towns.ts';
import { dedupeKey, MessageError, parseEncryptedEnvelope, parseMessage } from './message.ts';
import { replyText, sceneTown, textReplyXml } from './replies.ts';
import { cdata, leafFields, parseXml, XmlError } from './xml.ts';

// Message shapes from wechatpy's tests/test_parser.py.
const samples = {
  text: `<xml>
        <ToUserName><![CDATA[toUser]]></ToUserName>
        <FromUserName><![CDATA[fromUser]]></FromUserName>
         <CreateTime>1348831860</CreateTime>
        <MsgType><![CDATA[text]]></MsgType>
        <Content><![CDATA[this is a test]]></Content>
        <MsgId>1234567890123456</MsgId>
        </xml>`,
  subscribe: `<xml>
        <ToUserName><![CDATA[toUser]]></ToUserName>
        <FromUserName><![CDATA[FromUser]]></FromUserName>
        <CreateTime>123456789</CreateTime>
        <MsgType><![CDATA[event]]></MsgType>
        <Event><![CDATA[subscribe]]></Event>
        </xml>`,
  subscribeScan: `<xml>
        <ToUserName><![CDATA[toUser]]></ToUserName>
        <FromUserName><![CDATA[FromUser]]></FromUserName>
        <CreateTime>123456789</CreateTime>
        <MsgType><![CDATA[event]]></MsgType>
        <Event><![CDATA[subscribe]]></Event>
        <EventKey><![CDATA[qrscene_123123]]></EventKey>
        <Ticket><![CDATA[TICKET]]></Ticket>
        </xml>`,
  scan: `<xml>
        <ToUserName><![CDATA[toUser]]></ToUserName>
        <FromUserName><![CDATA[FromUser]]></FromUserName>
        <CreateTime>123456789</CreateTime>
        <MsgType><![CDATA[event]]></MsgType>
        <Event><![CDATA[SCAN]]></Event>
        <EventKey><![CDATA[123123]]></EventKey>
        <Ticket><![CDATA[TICKET]]></Ticket>
        </xml>`,
  location: `<xml>
        <ToUserName><![CDATA[toUser]]></ToUserName>
        <FromUserName><![CDATA[fromUser]]></FromUserName>
        <CreateTime>1351776360</CreateTime>
        <MsgType><![CDATA[location]]></MsgType>
        <Location_X>23.134521</Location_X>
        <Location_Y>113.358803</Location_Y>
        <Scale>20</Scale>
        <Label><![CDATA[位置信息]]></Label>
        <MsgId>1234567890123456</MsgId>
        </xml>`,
};

const towns = townDirectory();
const context = {
  towns,
  applyUrl: (code?: string) => `https://t.example/apply${code ? `?town=${code}` : ''}`,
};
const withScene = (xml: string, scene: string) => xml.replace('123123', scene);

describe('the XML dialect', () => {
  it('reads wechatpy’s sample messages', () => {
    expect(parseMessage(samples.text)).toEqual({
      kind: 'text',
      to: 'toUser',
      from: 'fromUser',
      createTime: 1348831860,
      msgId: '1234567890123456',
      content: 'this is a test',
    });
    expect(parseMessage(samples.subscribe)).toMatchObject({
      kind: 'event',
      event: 'subscribe',
      eventKey: undefined,
    });
    expect(parseMessage(samples.subscribeScan)).toMatchObject({
      event: 'subscribe',
      eventKey: 'qrscene_123123',
    });
    expect(parseMessage(samples.scan)).toMatchObject({ event: 'SCAN', eventKey: '123123' });
    expect(parseMessage(samples.location)).toMatchObject({
      kind: 'other',
      msgType: 'location',
      msgId: '1234567890123456',
    });
  });

  it('decodes entities and CDATA, keeps nested lists, accepts a prolog and comments', () => {
    const root = parseXml(
      '\uFEFF<?xml version="1.0"?><!-- c --><xml><A>1 &lt; 2 &amp;&#x4e2d;&#25991;</A><B><![CDATA[<b>]]></B>' +
        '<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>x</PicMd5Sum></item></PicList></SendPicsInfo></xml>',
    );
    const fields = leafFields(root);
    expect(fields.get('A')).toBe('1 < 2 &中文');
    expect(fields.get('B')).toBe('<b>');
    expect(root.children[2]?.children[1]?.children[0]?.children[0]).toMatchObject({
      name: 'PicMd5Sum',
      text: 'x',
    });
  });

  it('refuses DTDs, entities it does not know, attributes and malformed markup', () => {
    const refused = [
      '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><A>&x;</A></xml>',
      '<xml><!DOCTYPE x><A>1</A></xml>',
      '<xml><A>&x;</A></xml>',
      '<xml><A>& b</A></xml>',
      '<xml><A>&#0;</A></xml>',
      '<xml><A>&#xD800;</A></xml>',
      '<xml a="1"><A>1</A></xml>',
      '<xml><A>1</B></xml>',
      '<xml><A>1</A>',
      '<xml><A>1</A></xml><xml/>',
      '<root><A>1</A></root>',
      '<xml><A>text<B/>more</A></xml>',
      '<xml><A><![CDATA[open</A></xml>',
      '<xml>]]></xml>',
      `${'<a>'.repeat(20)}`,
      '',
      'not xml',
    ];
    for (const xml of refused) expect(() => parseXml(xml), xml).toThrow(XmlError);
  });

  it('refuses a field named twice: which one counts would be ambiguous', () => {
    expect(() => parseMessage(samples.text.replace('</xml>', '<MsgType>event</MsgType></xml>'))).toThrow(
      MessageError,
    );
  });

  it('names the failing fields', () => {
    try {
      parseMessage('<xml><ToUserName>a</ToUserName><CreateTime>soon</CreateTime></xml>');
      expect.unreachable();
    } catch (error) {
      expect((error as MessageError).fields.map((field) => field.field)).toEqual([
        'xml.FromUserName',
        'xml.CreateTime',
        'xml.MsgType',
      ]);
    }
    expect(() => parseMessage(samples.text.replace('<MsgId>1234567890123456</MsgId>', ''))).toThrow(/MsgId/);
  });

  it('the encrypted envelope must carry Encrypt', () => {
    expect(
      parseEncryptedEnvelope('<xml><ToUserName>gh</ToUserName><Encrypt>abc=</Encrypt></xml>').encrypt,
    ).toBe('abc=');
    expect(() => parseEncryptedEnvelope('<xml><ToUserName>gh</ToUserName></xml>')).toThrow(/Encrypt/);
  });

  it('CDATA output survives "]]>" in the text', () => {
    const text = 'a]]>b<![CDATA[c';
    expect(leafFields(parseXml(`<xml><C>${cdata(text)}</C></xml>`)).get('C')).toBe(text);
  });
});

describe('recognising retries', () => {
  it('messages by MsgId; events by sender, time and event', () => {
    expect(dedupeKey(parseMessage(samples.text))).toBe('msg:1234567890123456');
    expect(dedupeKey(parseMessage(samples.subscribe))).toBe('evt:FromUser:123456789:subscribe');
    expect(dedupeKey(parseMessage(samples.scan))).not.toBe(dedupeKey(parseMessage(samples.subscribe)));
  });
});

describe('what the account answers', () => {
  it('a township code (subscribe with qrscene_, or SCAN) links to that town’s form', () => {
    const subscribed = parseMessage(withScene(samples.subscribeScan, '350802107'));
    expect(sceneTown(subscribed, towns)?.label).toBe('新罗区江山镇');
    const text = replyText(subscribed, context)!;
    expect(text).toContain('新罗区江山镇');
    expect(text).toContain('<a href="https://t.example/apply?town=350802107">');
    expect(replyText(parseMessage(withScene(samples.scan, '350803102')), context)).toContain(
      '?town=350803102',
    );
  });

  it('an unknown or foreign scene, or a plain subscribe, gets the general link', () => {
    for (const xml of [samples.subscribe, samples.subscribeScan, withScene(samples.scan, '350582100')]) {
      const text = replyText(parseMessage(xml), context)!;
      expect(text).toContain('<a href="https://t.example/apply">');
    }
  });

  it('a text about 调解 or 纠纷 gets the link; other texts get a hint; other events nothing', () => {
    const text = (content: string) => parseMessage(samples.text.replace('this is a test', content));
    expect(replyText(text('我想申请调解'), context)).toContain('https://t.example/apply');
    expect(replyText(text('邻里纠纷怎么办'), context)).toContain('https://t.example/apply');
    expect(replyText(text('你好'), context)).toContain('回复“调解”');
    expect(replyText(parseMessage(samples.location), context)).toBeUndefined();
    expect(
      replyText(parseMessage(samples.subscribe.replace('subscribe', 'unsubscribe')), context),
    ).toBeUndefined();
  });

  it('the reply goes back to the sender, from the account', () => {
    const xml = textReplyXml(parseMessage(samples.text), '您好', new Date(1_700_000_000_000));
    expect(parseMessage(xml.replace('</xml>', '<MsgId>1</MsgId></xml>'))).toMatchObject({
      to: 'fromUser',
      from: 'toUser',
      createTime: 1_700_000_000,
      content: '您好',
    });
  });
});
