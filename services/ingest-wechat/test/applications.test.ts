import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { trackingNoFor } from '../src/application/application.ts';
import { memoryApplicationStore } from '../src/application/store.ts';
import { applicantLinks } from '../src/wechat/applicant-link.ts';
import { testApp, testSettings, testWechat } from './support.ts';

type Built = ReturnType<typeof testApp>;
const built: Built[] = [];
afterEach(async () => {
  for (const { app } of built.splice(0)) await app.close();
});

function make(...args: Parameters<typeof testApp>) {
  const result = testApp(...args);
  built.push(result);
  return result;
}

const guo = (submissionId = crypto.randomUUID()) => ({
  submissionId,
  townCode: '350802107',
  address: '江山镇某村水库',
  applicant: { name: '郭某', phone: '13800001234' },
  respondent: { kind: 'person', name: '包工头' },
  description: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
  amountClaimed: 3800,
  attachments: ['https://img.example/work-log.jpg'],
  agreed: true,
});

const submit = (app: Built['app'], body: unknown, ip = '10.0.0.1') =>
  app.inject({ method: 'POST', url: '/v1/applications', payload: body as object, remoteAddress: ip });

const lookUp = (app: Built['app'], trackingNo: string, phoneLast4: string, ip = '10.0.0.1') =>
  app.inject({
    method: 'POST',
    url: '/v1/applications/lookup',
    payload: { trackingNo, phoneLast4 },
    remoteAddress: ip,
  });

describe('POST /v1/applications', () => {
  it('publishes one dispute.intake.v1 and answers 202 with the tracking number', async () => {
    const { app, of } = make();
    const body = guo();
    const response = await submit(app, body);
    expect(response.statusCode).toBe(202);
    const trackingNo = trackingNoFor(body.submissionId);
    expect(response.json()).toMatchObject({
      trackingNo,
      duplicate: false,
      town: { code: '350802107', label: '新罗区江山镇' },
      statusUrl: '/v1/applications/lookup',
    });
    const [dispute] = of('dispute.intake.v1');
    expect(dispute).toMatchObject({
      disputeId: disputeIdFor('wechat', trackingNo),
      channel: 'wechat',
      sourceRef: trackingNo,
      location: { divisionCode: '350802107' },
      amountClaimed: 3800,
      parties: [
        { role: 'applicant', name: '郭某', phone: '13800001234' },
        { role: 'respondent', name: '包工头' },
      ],
    });
  });

  it('the same submission twice is one application; other content under the same id is a 409', async () => {
    const { app, of } = make();
    const body = guo();
    const first = (await submit(app, body)).json();
    const again = await submit(app, body);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({
      trackingNo: first.trackingNo,
      duplicate: true,
      receivedAt: first.receivedAt,
    });
    const changed = await submit(app, { ...body, amountClaimed: 9999 });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error).toMatchObject({
      code: 'submission_conflict',
      fields: [{ field: 'submissionId' }],
      // The form shows the citizen the application already filed under this id.
      details: { trackingNo: first.trackingNo },
    });
    expect(of('dispute.intake.v1')).toHaveLength(1);
  });

  it('concurrent double submissions are one dispute', async () => {
    const { app, of, state } = make();
    state.delayMs = 50;
    const body = guo();
    const responses = await Promise.all(Array.from({ length: 20 }, () => submit(app, body)));
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([202]));
    expect(new Set(responses.map((r) => r.json().trackingNo)).size).toBe(1);
    expect(of('dispute.intake.v1')).toHaveLength(1);
  });

  it('a bad application is a 400 that names every failing field', async () => {
    const { app, of } = make();
    const response = await submit(app, { ...guo(), applicant: { name: '', phone: '123' }, agreed: false });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'invalid_request',
        message: '申请内容有误，请按提示修改后再提交',
        fields: [
          { field: 'applicant.name', reason: '请填写申请人姓名' },
          { field: 'applicant.phone', reason: '请填写11位手机号码' },
          { field: 'agreed', reason: '请阅读并同意个人信息使用说明' },
        ],
      },
    });
    expect(of('dispute.intake.v1')).toHaveLength(0);
  });

  it('a character PostgreSQL cannot store, in the words or an attachment link, is a 400 naming the field', async () => {
    // It was answered 202 (受理编号 and an SMS), then refused by every retry of the cases service.
    const { app, of } = make();
    const response = await submit(app, {
      ...guo(),
      attachments: ['https://example.cn/photo\u0000.jpg'],
      description: `${guo().description}\ud83d`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toEqual([
      { field: 'description', reason: '纠纷情况含有无法识别的字符' },
      { field: 'attachments.0', reason: '附件链接含有无法识别的字符' },
    ]);
    expect(of('dispute.intake.v1')).toHaveLength(0);
  });

  it('broker down → 503 with Retry-After and nothing claimed; the retry then writes it once', async () => {
    const { app, of, state } = make();
    const body = guo();
    state.failing = true;
    const down = await submit(app, body);
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    state.failing = false;
    const retried = await submit(app, body);
    expect(retried.statusCode).toBe(202);
    expect(retried.json().duplicate).toBe(false);
    expect(of('dispute.intake.v1')).toHaveLength(1);
  });

  it('even if the idempotency key is lost, a resubmission names the same dispute (deterministic ids)', async () => {
    const { app, of } = make({ idempotency: memoryIdempotency() });
    const body = guo();
    const first = (await submit(app, body)).json();
    const { app: other, of: otherOf } = make({ idempotency: memoryIdempotency() });
    const second = (await submit(other, body)).json();
    expect(second.trackingNo).toBe(first.trackingNo);
    expect(otherOf('dispute.intake.v1')[0]!.disputeId).toBe(of('dispute.intake.v1')[0]!.disputeId);
  });

  it('rate-limited per applicant phone (new applications only) with 429 and Retry-After', async () => {
    const { app, of } = make({}, testSettings({ limits: { applicationsPerPhonePerDay: 2 } }));
    const first = guo();
    expect((await submit(app, first)).statusCode).toBe(202);
    expect((await submit(app, first)).statusCode).toBe(202); // a duplicate does not count
    expect((await submit(app, guo(), '10.0.0.2')).statusCode).toBe(202);
    const third = await submit(app, guo(), '10.0.0.3');
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.json().error.code).toBe('rate_limited');
    expect(of('dispute.intake.v1')).toHaveLength(2);
    const otherPhone = { ...guo(), applicant: { name: '李某', phone: '13900002222' } };
    expect((await submit(app, otherPhone)).statusCode).toBe(202);
  });

  it('sending the form again while the broker is down does not use up the phone’s daily allowance', async () => {
    const { app, of, state } = make({}, testSettings({ limits: { applicationsPerPhonePerDay: 2 } }));
    const body = guo();
    state.failing = true;
    for (let attempt = 0; attempt < 3; attempt++) {
      const down = await submit(app, body);
      expect(down.statusCode, `attempt ${attempt + 1}`).toBe(503);
      expect(down.json().error.message).toContain('您的填写内容不会丢失');
    }
    state.failing = false;
    const filed = await submit(app, body);
    expect(filed.statusCode).toBe(202);
    expect(of('dispute.intake.v1')).toHaveLength(1);
    // The one filed application counted once: a second is allowed, a third is not.
    expect((await submit(app, guo())).statusCode).toBe(202);
    expect((await submit(app, guo())).statusCode).toBe(429);
  });

  it('rate-limited per IP', async () => {
    const { app } = make({}, testSettings({ limits: { requestsPerIpPer10Min: 3 } }));
    for (let i = 0; i < 3; i++) expect((await submit(app, {}, '10.9.9.9')).statusCode).toBe(400);
    const limited = await submit(app, guo(), '10.9.9.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    // The form shows the message to the citizen.
    expect(limited.json().error.message).toBe('操作过于频繁，请稍后再试');
    expect((await submit(app, guo(), '10.9.9.8')).statusCode).toBe(202);
  });

  it('with the rate-limit store down, the form and the lookup answer 503 in Chinese; the pages are served', async () => {
    const { app, of } = make({
      rateLimiter: { hit: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.9:6379')) },
    });
    const refused = await submit(app, guo());
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toEqual({
      error: { code: 'unavailable', message: '暂时无法处理，请稍后重试（您的填写内容不会丢失）', fields: [] },
    });
    expect(of('dispute.intake.v1')).toHaveLength(0);
    const lookup = await lookUp(app, 'WX20240824ABCDEF', '1234');
    expect(lookup.statusCode).toBe(503);
    expect((await app.inject({ url: '/apply?town=350802107' })).statusCode).toBe(200);
  });

  it('a body the service cannot read is refused in Chinese, in the platform’s error shape and codes, status kept', async () => {
    const { app, of } = make();
    const send = (payload: string, contentType = 'application/json') =>
      app.inject({
        method: 'POST',
        url: '/v1/applications',
        payload,
        headers: { 'content-type': contentType },
      });
    const refusals = [
      [await send('{"submissionId": "5f0c7a1e'), 400, 'invalid_request', '(body)'],
      [await send(''), 400, 'invalid_request', '(body)'],
      [
        await send(JSON.stringify({ ...guo(), description: '工'.repeat(90_000) })),
        413,
        'body_too_large',
        '(body)',
      ],
      [
        await send('applicant.name=郭某', 'application/x-www-form-urlencoded'),
        415,
        'unsupported_media_type',
        'content-type',
      ],
    ] as const;
    for (const [response, status, code, field] of refusals) {
      expect(response.statusCode, code).toBe(status);
      const { error } = response.json();
      expect(error.code).toBe(code);
      expect(error.fields).toEqual([{ field, reason: expect.any(String) }]);
      // What the form shows the citizen: Chinese, no English from the framework.
      for (const text of [error.message, error.fields[0].reason]) {
        expect(text, code).toMatch(/[\u4e00-\u9fff]/);
        expect(text, code).not.toMatch(/body|JSON but|Media Type|too large/i);
      }
    }
    expect(refusals[2][0].json().error.fields[0].reason).toContain('请删减');
    expect(of('dispute.intake.v1')).toHaveLength(0);
  });

  it('a failure behind the lookup answers 500 in Chinese, leaking nothing', async () => {
    const failing = memoryApplicationStore();
    failing.find = () => Promise.reject(new Error('ECONNRESET 10.0.0.9:6379'));
    const { app } = make({ applications: failing });
    const lookup = await lookUp(app, 'WX23456789ABCD', '1234');
    expect(lookup.statusCode).toBe(500);
    expect(lookup.json()).toEqual({
      error: { code: 'internal', message: '系统暂时出现问题，请稍后重试', fields: [] },
    });
  });

  it('behind trusted proxies, the limit follows the client’s address from X-Forwarded-For', async () => {
    const { app } = make({}, testSettings({ trustedProxyHops: 1, limits: { requestsPerIpPer10Min: 1 } }));
    const from = (client: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/applications',
        payload: {},
        remoteAddress: '192.0.2.1',
        headers: { 'x-forwarded-for': `1.2.3.4, ${client}` },
      });
    expect((await from('198.51.100.7')).statusCode).toBe(400);
    expect((await from('198.51.100.8')).statusCode).toBe(400);
    expect((await from('198.51.100.7')).statusCode).toBe(429);
  });
});

describe('an application opened from the official account', () => {
  const links = applicantLinks(`${testWechat.appId}:${testWechat.token}`);

  it('names the applicant’s OpenID from the signed link, so notify can answer on WeChat', async () => {
    const { app, of } = make();
    const response = await submit(app, { ...guo(), wechatRef: links.sign('oGuo123', new Date()) });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ wechatUpdates: true });
    expect(response.json()).not.toHaveProperty('notice');
    expect(of('dispute.intake.v1')[0]!.parties[0]).toMatchObject({
      role: 'applicant',
      wechatOpenId: 'oGuo123',
    });
  });

  it('a link opened more than 30 days ago still files the application, without WeChat news, and says so', async () => {
    const opened = new Date('2024-08-24T01:30:00Z');
    const clock = { now: opened };
    const { app, of } = make({ now: () => clock.now });
    const body = { ...guo(), wechatRef: links.sign('oGuo123', opened) };
    // The citizen opened the form from the account's reply, and submits it 31 days later.
    clock.now = new Date(opened.getTime() + 31 * 24 * 3600 * 1000);
    const response = await submit(app, body);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({
      trackingNo: trackingNoFor(body.submissionId),
      wechatUpdates: false,
      notice: expect.stringContaining('不会通过公众号消息通知您'),
    });
    const [dispute] = of('dispute.intake.v1');
    expect(dispute!.parties[0]).toMatchObject({ role: 'applicant', phone: '13800001234' });
    expect(dispute!.parties[0]!.wechatOpenId).toBeUndefined();
    // Sent again (an answer lost on the way): the same application, the same answer.
    const again = await submit(app, body);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ duplicate: true, wechatUpdates: false });
    expect(of('dispute.intake.v1')).toHaveLength(1);
  });

  it('a link files its OpenID with one application: its sends again keep it; another from the link goes without, and says so', async () => {
    const { app, of } = make();
    const wechatRef = links.sign('oGuo123', new Date());
    const first = { ...guo(), wechatRef };
    const filed = await submit(app, first);
    expect(filed.json()).toMatchObject({ duplicate: false, wechatUpdates: true });
    // The link forwarded (or the form reloaded after filing): a second application.
    const second = await submit(app, {
      ...guo(),
      applicant: { name: '某甲', phone: '139 0000 5678' },
      wechatRef,
    });
    expect(second.statusCode).toBe(202);
    expect(second.json()).toMatchObject({
      duplicate: false,
      wechatUpdates: false,
      notice: expect.stringContaining('已经提交过一份申请'),
    });
    expect(of('dispute.intake.v1').map((dispute) => dispute.parties[0]!.wechatOpenId)).toEqual([
      'oGuo123',
      undefined,
    ]);
    expect((await submit(app, first)).json()).toMatchObject({ duplicate: true, wechatUpdates: true });
    // A fresh link from the account files the OpenID again.
    const fresh = await submit(app, { ...guo(), wechatRef: links.sign('oGuo123', new Date()) });
    expect(fresh.json()).toMatchObject({ duplicate: false, wechatUpdates: true });
  });

  it('an application from a link that was not filed (503) leaves the link to the next one from it', async () => {
    const { app, of, state } = make();
    const wechatRef = links.sign('oGuo123', new Date());
    state.failing = true;
    expect((await submit(app, { ...guo(), wechatRef })).statusCode).toBe(503);
    state.failing = false;
    // The citizen gave up on that form and opened the link again later: a new submission.
    const again = await submit(app, { ...guo(), wechatRef });
    expect(again.json()).toMatchObject({ duplicate: false, wechatUpdates: true });
    expect(again.json()).not.toHaveProperty('notice');
    expect(of('dispute.intake.v1').map((dispute) => dispute.parties[0]!.wechatOpenId)).toEqual(['oGuo123']);
  });

  it('a forged or altered link is a 400 on its field, expired or not; an empty one is no link', async () => {
    const { app, of } = make();
    const forged = links
      .sign('oGuo123', new Date())
      .replace(/^[^.]+/, Buffer.from('oOther').toString('base64url'));
    const [id, expires, mac] = links.sign('oGuo123', new Date(Date.now() - 40 * 24 * 3600 * 1000)).split('.');
    const alteredOld = `${id}.${Number(expires) - 1}.${mac}`;
    for (const wechatRef of [forged, alteredOld, 'garbage']) {
      const response = await submit(app, { ...guo(), wechatRef });
      expect(response.statusCode, wechatRef).toBe(400);
      expect(response.json().error.fields).toEqual([
        { field: 'wechatRef', reason: '微信链接无效，请从公众号重新打开申请页面' },
      ]);
    }
    expect(of('dispute.intake.v1')).toHaveLength(0);
    const noLink = await submit(app, { ...guo(), wechatRef: '' });
    expect(noLink.statusCode).toBe(202);
    expect(noLink.json()).toMatchObject({ wechatUpdates: false });
    expect(noLink.json()).not.toHaveProperty('notice');
    expect(of('dispute.intake.v1')[0]!.parties[0]!.wechatOpenId).toBeUndefined();
  });
});

describe('POST /v1/applications/lookup', () => {
  it('shows received, then the case status it hears of, to whoever knows the phone’s last four digits', async () => {
    const { app, deliver } = make();
    const body = guo();
    const { trackingNo, receivedAt } = (await submit(app, body)).json();
    await startConsuming(app);
    const look = (last4: string, no = trackingNo) => lookUp(app, no, last4, '10.0.0.5');
    const received = await look('1234');
    expect(received.statusCode).toBe(200);
    expect(received.json()).toEqual({
      trackingNo,
      receivedAt,
      town: { code: '350802107', name: '江山镇', label: '新罗区江山镇' },
      status: 'received',
      statusLabel: '已受理',
      statusAt: receivedAt,
    });

    const disputeId = disputeIdFor('wechat', trackingNo);
    const caseStatus = (status: 'assigned' | 'mediating', occurredAt: string) =>
      deliver('case.status.v1', {
        caseId: crypto.randomUUID(),
        disputeIds: [disputeId],
        status,
        previousStatus: null,
        occurredAt,
        category: 'labor',
        divisionCode: '350802107',
      });
    // Delivery order is the case's order, even when the times say otherwise: cases stamps an
    // assignment with routing's decision time, which can precede the case's opening.
    await caseStatus('assigned', '2030-01-01T10:00:00.400+08:00');
    expect((await look('1234')).json()).toMatchObject({ status: 'assigned', statusLabel: '已分派调解员' });
    await caseStatus('mediating', '2030-01-01T10:00:00.100+08:00');
    expect((await look('1234')).json()).toMatchObject({
      status: 'mediating',
      statusLabel: '调解中',
      statusAt: '2030-01-01T10:00:00.100+08:00',
    });
    expect((await look('1234', trackingNo.toLowerCase())).statusCode).toBe(200);
  });

  it('an application that joins another open case (a repeat, or merged) is not shown as 已办结', async () => {
    const { app, deliver } = make();
    const { trackingNo } = (await submit(app, guo())).json();
    await startConsuming(app);
    const look = async () => (await lookUp(app, trackingNo, '1234', '10.0.0.6')).json();
    const disputeId = disputeIdFor('wechat', trackingNo);
    const ownCase = crypto.randomUUID();
    const openCase = crypto.randomUUID();
    await deliver('case.status.v1', {
      caseId: ownCase,
      disputeIds: [disputeId],
      status: 'received',
      previousStatus: null,
      occurredAt: '2030-01-01T10:00:00+08:00',
      category: null,
      divisionCode: '350802107',
    });
    // Guo had reported the same matter before: cases folds his new case into the open one, and
    // announces the folded case closed, merged into that one.
    await deliver('case.status.v1', {
      caseId: ownCase,
      disputeIds: [disputeId],
      status: 'closed',
      previousStatus: 'received',
      mergedInto: openCase,
      occurredAt: '2030-01-01T10:00:01+08:00',
      category: 'labor',
      divisionCode: '350802107',
      reason: `merged into ${openCase}: same caller, same category and place`,
    });
    expect(await look()).toMatchObject({ status: 'received', statusLabel: '已受理' });
    // The case it joined moves on: the application follows it.
    await deliver('case.status.v1', {
      caseId: openCase,
      disputeIds: [crypto.randomUUID(), disputeId],
      status: 'mediating',
      previousStatus: 'accepted',
      occurredAt: '2030-01-02T10:00:00+08:00',
      category: 'labor',
      divisionCode: '350802107',
    });
    expect(await look()).toMatchObject({ status: 'mediating', statusLabel: '调解中' });
  });

  it('a wrong last four and an unknown number answer alike; a bad query is a 400', async () => {
    const { app } = make();
    const { trackingNo } = (await submit(app, guo())).json();
    const wrong = await lookUp(app, trackingNo, '0000');
    const unknown = await lookUp(app, `WX${'2'.repeat(12)}`, '1234');
    expect(wrong.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(wrong.json()).toEqual(unknown.json());
    const bad = await lookUp(app, 'nope', '12');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields.map((f: { field: string }) => f.field)).toEqual([
      'trackingNo',
      'phoneLast4',
    ]);
  });

  it('the last four as a Chinese keyboard types them (full-width, spaced) find the application', async () => {
    const { app } = make();
    const { trackingNo } = (await submit(app, guo())).json();
    for (const last4 of ['１２３４', ' 12 34 ', '１２ ３４']) {
      const lookup = await lookUp(app, trackingNo, last4);
      expect(lookup.statusCode, last4).toBe(200);
      expect(lookup.json().trackingNo).toBe(trackingNo);
    }
    // Still exactly four digits, and they must be the right ones.
    for (const last4 of ['１２３', '12345', '１２３５']) {
      const lookup = await lookUp(app, trackingNo, last4);
      expect(lookup.statusCode, last4).toBe(last4 === '１２３５' ? 404 : 400);
    }
  });

  it('a few attempts an hour per application: the four digits cannot be walked', async () => {
    const { app } = make({}, testSettings({ limits: { lookupsPerApplicationPerHour: 3 } }));
    const { trackingNo } = (await submit(app, guo())).json();
    const statuses: number[] = [];
    for (const last4 of ['0000', '0001', '0002', '1234']) {
      statuses.push((await lookUp(app, trackingNo, last4)).statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
  });

  it('a body that is not the two fields is a 400 on both; over 1 KiB it is refused unread (413)', async () => {
    const { app } = make();
    const { trackingNo } = (await submit(app, guo())).json();
    for (const payload of ['[]', '"WX"', '{"trackingNo":1234,"phoneLast4":1234}']) {
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/applications/lookup',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(refused.statusCode, payload).toBe(400);
      expect(refused.json().error.fields.map((f: { field: string }) => f.field)).toEqual([
        'trackingNo',
        'phoneLast4',
      ]);
    }
    const padded = await app.inject({
      method: 'POST',
      url: '/v1/applications/lookup',
      payload: { trackingNo, phoneLast4: '1234', padding: 'x'.repeat(1024) },
    });
    expect(padded.statusCode).toBe(413);
    expect(padded.json().error.code).toBe('body_too_large');
  });

  it('the former GET, with the digits in its URL, finds nothing and names the POST (410)', async () => {
    const { app } = make();
    const { trackingNo } = (await submit(app, guo())).json();
    const old = await app.inject({ url: `/v1/applications/${trackingNo}?phoneLast4=1234` });
    expect(old.statusCode).toBe(410);
    expect(old.json()).toEqual({
      error: { code: 'gone', message: expect.stringContaining('POST /v1/applications/lookup'), fields: [] },
    });
    expect(old.body).not.toContain('350802107');
  });
});

describe('logs', () => {
  it('never carry the applicant’s name, phone or what happened', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      const { createLogger } = await import('@huijie/service-kit/logger.ts');
      const { app, state } = make({ logger: createLogger({ service: 'ingest-wechat', level: 'debug' }) });
      const body = guo();
      await submit(app, body);
      await submit(app, { ...guo(), applicant: { name: '郭某', phone: 'bad' } });
      state.failing = true;
      await submit(app, guo());
      await lookUp(app, trackingNoFor(body.submissionId), '1234');
    } finally {
      process.stdout.write = write;
    }
    const output = lines.join('');
    expect(output).toContain('application accepted');
    expect(output).toContain('application not written');
    for (const secret of ['郭某', '13800001234', '1234"', '水库', '包工头'])
      expect(output).not.toContain(secret);
  });
});
