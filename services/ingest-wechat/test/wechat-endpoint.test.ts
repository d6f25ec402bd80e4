import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { applicantLinks } from '../src/wechat/applicant-link.ts';
import { WechatCipher, wechatSignature } from '../src/wechat/crypto.ts';
import { leafFields, parseXml } from '../src/wechat/xml.ts';
import { testApp, testSettings, testWechat } from './support.ts';

type App = ReturnType<typeof testApp>['app'];
const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const now = new Date('2024-08-24T01:30:00Z');
const ts = String(Math.floor(now.getTime() / 1000));

function make(
  options: { mode?: 'plaintext' | 'compatible' | 'safe'; deps?: Parameters<typeof testApp>[0] } = {},
) {
  const built = testApp(
    { now: () => now, ...options.deps },
    testSettings({ wechat: { ...testWechat, mode: options.mode ?? 'compatible' } }),
  );
  apps.push(built.app);
  return built;
}

function signedQuery(token = testWechat.token, timestamp = ts, nonce = '1320562132') {
  return { timestamp, nonce, signature: wechatSignature(token, timestamp, nonce) };
}

const message = (inner: string, from = 'oUser1', createTime = ts) =>
  `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
  `<CreateTime>${createTime}</CreateTime>${inner}</xml>`;
const subscribeFrom = (scene: string, from?: string) =>
  message(
    `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_${scene}]]></EventKey>`,
    from,
  );
const textMessage = (content: string, msgId = '6054768590064713728') =>
  message(
    `<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId>`,
  );

function post(app: App, body: string, query: Record<string, string> = signedQuery()) {
  return app.inject({
    method: 'POST',
    url: `/wechat?${new URLSearchParams(query)}`,
    headers: { 'content-type': 'text/xml' },
    payload: body,
  });
}

function encryptedPost(app: App, inner: string, appId = testWechat.appId) {
  const cipher = new WechatCipher(testWechat.encodingAesKey, appId);
  const encrypt = cipher.encrypt(inner);
  const query = signedQuery();
  const body = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
  return post(app, body, {
    ...query,
    openid: 'oUser1',
    encrypt_type: 'aes',
    msg_signature: wechatSignature(testWechat.token, query.timestamp, query.nonce, encrypt),
  });
}

const contentOf = (xml: string) => leafFields(parseXml(xml)).get('Content');

describe('URL verification (GET)', () => {
  it('echoes echostr for wechatpy’s vector (token "test")', async () => {
    const { app } = testApp(
      { now: () => new Date(1410685589_000) },
      testSettings({ wechat: { token: 'test', appId: testWechat.appId, mode: 'plaintext' } }),
    );
    apps.push(app);
    const response = await app.inject({
      url: '/wechat?signature=f21891de399b4e33a1a93c9a7b8a8fffb5a443ff&timestamp=1410685589&nonce=test&echostr=5927782489442352469',
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('5927782489442352469');
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('refuses a wrong signature, a stale timestamp and an echostr that is not WeChat’s', async () => {
    const { app } = make();
    const query = signedQuery();
    const wrong = await app.inject({
      url: `/wechat?${new URLSearchParams({ ...query, signature: '0'.repeat(40), echostr: '1' })}`,
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({
      error: {
        code: 'unauthorized',
        message: 'signature does not match',
        fields: [{ field: 'signature', reason: 'signature does not match' }],
      },
    });
    const old = signedQuery(testWechat.token, String(Number(ts) - 3600));
    const stale = await app.inject({ url: `/wechat?${new URLSearchParams({ ...old, echostr: '1' })}` });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.fields[0].field).toBe('timestamp');
    const html = await app.inject({
      url: `/wechat?${new URLSearchParams({ ...query, echostr: '<script>' })}`,
    });
    expect(html.statusCode).toBe(400);
    expect((await app.inject({ url: '/wechat' })).statusCode).toBe(401);
  });
});

describe('messages in plaintext mode', () => {
  it('a subscribe from a township QR code answers with that town’s application link', async () => {
    const { app } = make();
    const response = await post(app, subscribeFrom('350802107'));
    expect(response.statusCode).toBe(200);
    const reply = leafFields(parseXml(response.body));
    expect(reply.get('ToUserName')).toBe('oUser1');
    expect(reply.get('FromUserName')).toBe('gh_account');
    expect(reply.get('MsgType')).toBe('text');
    expect(reply.get('Content')).toContain('新罗区江山镇');
    const href = /href="([^"]+)"/.exec(reply.get('Content')!)![1]!;
    const link = new URL(href);
    expect(`${link.origin}${link.pathname}`).toBe('https://tiaojie.example.cn/apply');
    expect(link.searchParams.get('town')).toBe('350802107');
    // The link names the user who scanned, signed: the form can then carry their OpenID.
    expect(
      applicantLinks(`${testWechat.appId}:${testWechat.token}`).check(link.searchParams.get('wx')!, now),
    ).toMatchObject({ valid: true, openId: 'oUser1' });
  });

  it('a SCAN by a follower and a text about 调解 both get the link', async () => {
    const { app } = make();
    const scan = await post(
      app,
      message(
        '<MsgType>event</MsgType><Event>SCAN</Event><EventKey>350803102</EventKey><Ticket>T</Ticket>',
        'oUser2',
      ),
    );
    expect(contentOf(scan.body)).toContain('?town=350803102');
    expect(contentOf(scan.body)).toContain('永定区下洋镇');
    const text = await post(app, textMessage('我要调解'));
    expect(contentOf(text.body)).toContain('https://tiaojie.example.cn/apply');
  });

  it('an event that needs no answer gets "success"', async () => {
    const { app } = make();
    const response = await post(app, message('<MsgType>event</MsgType><Event>unsubscribe</Event>'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('success');
  });

  it('a retried message (same MsgId) or event (same user and time) is answered the same, and recognised', async () => {
    const { app, deps } = make();
    const first = await post(app, textMessage('纠纷'));
    const again = await post(app, textMessage('纠纷'));
    expect(again.body).toBe(first.body);
    const metrics = await deps.metrics.registry.getSingleMetricAsString('huijie_wechat_messages_total');
    expect(metrics).toMatch(/kind="text",outcome="new"[^}]*} 1/);
    expect(metrics).toMatch(/kind="text",outcome="retry"[^}]*} 1/);
    const event = await post(app, subscribeFrom('350802107', 'oUser9'));
    const retried = await post(app, subscribeFrom('350802107', 'oUser9'));
    expect(retried.body).toBe(event.body);
  });

  it('a long text (a citizen pasting their whole story) is answered, not refused', async () => {
    const { app } = make();
    const response = await post(app, textMessage(`我要申请调解。${'工地老板拖欠工资，'.repeat(500)}`));
    expect(response.statusCode).toBe(200);
    expect(contentOf(response.body)).toContain('https://tiaojie.example.cn/apply');
  });

  it('a signed request with a malformed body is a 400 naming the field', async () => {
    const { app } = make();
    const response = await post(app, '<xml><ToUserName>gh</ToUserName></xml>');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields.map((f: { field: string }) => f.field)).toEqual([
      'xml.FromUserName',
      'xml.CreateTime',
      'xml.MsgType',
    ]);
    const dtd = await post(app, '<!DOCTYPE x [<!ENTITY e "e">]><xml/>');
    expect(dtd.statusCode).toBe(400);
  });

  it('an unsigned message is refused before its body is read: 401, even when the body is over the limit', async () => {
    const { app } = make();
    const forged = { ...signedQuery(), signature: 'f'.repeat(40) };
    const response = await post(app, textMessage('调解'), forged);
    expect(response.statusCode).toBe(401);
    // Had the body been read first, 64 KiB + 1 would have been a 413.
    const oversized = await post(app, textMessage('调'.repeat(22_000)), forged);
    expect(oversized.statusCode).toBe(401);
    expect(oversized.json().error.fields).toEqual([
      { field: 'signature', reason: 'signature does not match' },
    ]);
    const signedOversized = await post(app, textMessage('调'.repeat(22_000)));
    expect(signedOversized.statusCode).toBe(413);
  });
});

describe('messages in safe (AES) mode', () => {
  it('decrypts, answers encrypted and signed, for our appid', async () => {
    const { app } = make({ mode: 'safe' });
    const response = await encryptedPost(app, subscribeFrom('350802107'));
    expect(response.statusCode).toBe(200);
    const envelope = leafFields(parseXml(response.body));
    const encrypt = envelope.get('Encrypt')!;
    expect(envelope.get('MsgSignature')).toBe(
      wechatSignature(testWechat.token, envelope.get('TimeStamp')!, envelope.get('Nonce')!, encrypt),
    );
    const reply = new WechatCipher(testWechat.encodingAesKey, testWechat.appId).decrypt(encrypt);
    expect(contentOf(reply)).toContain('?town=350802107');
  });

  it('refuses an envelope for another appid, a wrong msg_signature and, in safe mode, plaintext', async () => {
    const { app } = make({ mode: 'safe' });
    const foreign = await encryptedPost(app, subscribeFrom('350802107'), 'wx_other_account');
    expect(foreign.statusCode).toBe(401);
    expect(foreign.json().error.message).toMatch(/another appid/);

    const query = signedQuery();
    const encrypt = new WechatCipher(testWechat.encodingAesKey, testWechat.appId).encrypt(
      textMessage('调解'),
    );
    const forged = await post(app, `<xml><Encrypt>${encrypt}</Encrypt></xml>`, {
      ...query,
      encrypt_type: 'aes',
      msg_signature: wechatSignature(testWechat.token, query.timestamp, query.nonce, 'other'),
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.fields[0].field).toBe('msg_signature');

    const plain = await post(app, textMessage('调解'));
    expect(plain.statusCode).toBe(400);
    expect(plain.json().error.code).toBe('plaintext_refused');
  });

  it('wechatpy’s encrypted message vector, end to end (token 123456, its EncodingAESKey and appid)', async () => {
    const vector = {
      token: '123456',
      encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
      appId: 'wx49f0ab532d5d035a',
      timestamp: '1411525903',
      nonce: '461056294',
      msgSignature: '74d92dfeb87ba7c714f89d98870ae5eb62dff26d',
      encrypt:
        'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=',
    };
    const { app } = testApp(
      { now: () => new Date(Number(vector.timestamp) * 1000) },
      testSettings({
        wechat: {
          token: vector.token,
          appId: vector.appId,
          encodingAesKey: vector.encodingAesKey,
          mode: 'safe',
        },
      }),
    );
    apps.push(app);
    const response = await post(
      app,
      `<xml><ToUserName><![CDATA[${vector.appId}]]></ToUserName>\n<Encrypt><![CDATA[${vector.encrypt}]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>`,
      {
        ...signedQuery(vector.token, vector.timestamp, vector.nonce),
        encrypt_type: 'aes',
        msg_signature: vector.msgSignature,
      },
    );
    expect(response.statusCode).toBe(200);
    const encrypt = leafFields(parseXml(response.body)).get('Encrypt')!;
    const reply = leafFields(
      parseXml(new WechatCipher(vector.encodingAesKey, vector.appId).decrypt(encrypt)),
    );
    expect(reply.get('ToUserName')).toBe('messense');
    expect(reply.get('Content')).toContain('回复“调解”');
  });

  it('after the EncodingAESKey is changed, a message sealed with the previous key is opened and answered with it', async () => {
    const previousKey = 'PreviousEncodingAesKey0123456789abcdefghijk';
    const { app } = testApp(
      { now: () => now },
      testSettings({ wechat: { ...testWechat, previousEncodingAesKey: previousKey, mode: 'safe' } }),
    );
    apps.push(app);
    const oldCipher = new WechatCipher(previousKey, testWechat.appId);
    const encrypt = oldCipher.encrypt(subscribeFrom('350802107'));
    const query = signedQuery();
    const response = await post(app, `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`, {
      ...query,
      encrypt_type: 'aes',
      msg_signature: wechatSignature(testWechat.token, query.timestamp, query.nonce, encrypt),
    });
    expect(response.statusCode).toBe(200);
    const reply = oldCipher.decrypt(leafFields(parseXml(response.body)).get('Encrypt')!);
    expect(contentOf(reply)).toContain('?town=350802107');
    // A message for the current key is still answered with the current key.
    const current = await encryptedPost(app, textMessage('调解'));
    const sealed = leafFields(parseXml(current.body)).get('Encrypt')!;
    expect(
      contentOf(new WechatCipher(testWechat.encodingAesKey, testWechat.appId).decrypt(sealed)),
    ).toContain('/apply');
    // A third key is still refused.
    const stranger = new WechatCipher('StrangerEncodingAesKey0123456789abcdefghijk', testWechat.appId);
    const foreign = stranger.encrypt(textMessage('调解', '6054768590064713799'));
    const refused = await post(app, `<xml><Encrypt><![CDATA[${foreign}]]></Encrypt></xml>`, {
      ...query,
      encrypt_type: 'aes',
      msg_signature: wechatSignature(testWechat.token, query.timestamp, query.nonce, foreign),
    });
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.statusCode).toBeLessThan(500);
  });

  it('plaintext mode has no key: an encrypted message is a clear 400', async () => {
    const { app } = testApp(
      { now: () => now },
      testSettings({ wechat: { token: testWechat.token, appId: testWechat.appId, mode: 'plaintext' } }),
    );
    apps.push(app);
    const response = await encryptedPost(app, textMessage('调解'));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('safe_mode_not_configured');
  });
});

describe('the 5-second rule', () => {
  it('answers "success" before the deadline when the dedupe store hangs', async () => {
    const hanging = memoryIdempotency();
    hanging.claim = () => new Promise(() => {});
    const { app } = testApp(
      { now: () => now, idempotency: hanging },
      testSettings({ wechat: { ...testWechat, mode: 'compatible', replyDeadlineMs: 200 } }),
    );
    apps.push(app);
    const started = Date.now();
    const response = await post(app, textMessage('调解'));
    expect(response.body).toBe('success');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('answers anyway when the dedupe store is down', async () => {
    const broken = memoryIdempotency();
    broken.claim = async () => {
      throw new Error('redis down');
    };
    const { app } = make({ deps: { idempotency: broken } });
    const response = await post(app, textMessage('调解'));
    expect(contentOf(response.body)).toContain('/apply');
  });
});
