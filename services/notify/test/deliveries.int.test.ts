import { createHmac, randomUUID } from 'node:crypto';
import { AgencyWebhook } from '@huijie/contracts/webhooks/agency-webhook.ts';
import { webhookHeaders } from '@huijie/contracts/webhooks/envelope.ts';
import { CourtResultCallback, HotlineResultCallback } from '@huijie/contracts/webhooks/result-callbacks.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  assignment,
  courtReferral,
  departments,
  dispute,
  escalation,
  outcomeEvent,
  randomPhone,
  statusEvent,
} from './events.ts';
import { openWorld, operatorToken, type RunningNotify, startNotify, type World } from './harness.ts';
import { failFirst, ok, type Receiver, startReceiver } from './receivers.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

const agencySecret = 'agency-webhook-secret-0123456789';
const hotlineSecret = 'hotline-callback-secret-0123456789';
const courtSecret = 'court-callback-secret-0123456789';
const smsSecret = 'sms-gateway-secret-0123456789';

describe.runIf(servers)('notify on Kafka + PostgreSQL + Redis, to HTTP receivers on 127.0.0.1', () => {
  let world: World;
  let notify: RunningNotify;
  const receivers = {} as Record<
    'police' | 'court' | 'judicial' | 'hotline' | 'courtClient' | 'sms',
    Receiver
  >;
  const depts = departments(uniqueName('d'));
  const auth = { authorization: operatorToken() };
  const get = async (url: string) => {
    const response = await notify.app.inject({ url, headers: auth });
    return { status: response.statusCode, body: response.json() };
  };
  const deliveriesOf = (disputeId: string) =>
    notify.db.delivery.findMany({
      where: { disputeId },
      include: { attemptLog: { orderBy: { id: 'asc' } } },
      orderBy: { createdAt: 'asc' },
    });
  beforeAll(async () => {
    world = await openWorld(servers!);
    receivers.police = await startReceiver(agencySecret);
    receivers.court = await startReceiver(agencySecret);
    receivers.judicial = await startReceiver(agencySecret);
    receivers.hotline = await startReceiver(hotlineSecret);
    receivers.courtClient = await startReceiver(courtSecret);
    receivers.sms = await startReceiver(smsSecret, () => ({ status: 200, body: '{"code":"OK"}' }));
    const webhook = (receiver: Receiver) => ({ url: receiver.url, secret: agencySecret });
    notify = await startNotify(world, {
      // 下洋派出所 (station) has no webhook: it reads its Kafka topic; notify keeps an outbox record.
      webhooks: new Map([
        [depts.police.code, webhook(receivers.police)],
        [depts.court.code, webhook(receivers.court)],
        [depts.judicial.code, webhook(receivers.judicial)],
      ]),
      hotlineCallbacks: new Map([['longyan-12345', { url: receivers.hotline.url, secret: hotlineSecret }]]),
      courtCallbacks: new Map([['yd-court', { url: receivers.courtClient.url, secret: courtSecret }]]),
      sms: {
        provider: 'test-gateway',
        url: receivers.sms.url,
        secret: smsSecret,
        signName: '龙岩矛调',
        templateIds: { accepted: 'SMS_0001', result: 'SMS_0002', escalation: 'SMS_0003' },
      },
      expressLane: new Map([
        ['350803', [{ phone: '13700000003' }]],
        ['350800', [{ phone: '13700000001' }, { phone: '13700000002' }]],
      ]),
      schedule: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 1_000 },
      sendTimeoutMs: 500,
      dispatch: { intervalMs: 100 },
    });
  });

  afterAll(async () => {
    await notify?.close();
    for (const receiver of Object.values(receivers)) await receiver?.close();
    await world?.release();
  });

  it('joint handling: each department gets its own delivery; one failing its first 3 tries gets it on the 4th, once; the same event twice sends nothing twice', async () => {
    receivers.police.behave(failFirst(3));
    const yang = dispute({
      sourceClient: 'longyan-12345',
      parties: [{ role: 'caller', kind: 'person', name: '杨某', phone: '13900000001' }],
    });
    const decision = assignment(yang, { lead: depts.police, coHandlers: [depts.court, depts.station] });
    await world.publisher.publish([{ name: 'dispute.assignment.v1', key: yang.disputeId, data: decision }]);
    await world.publisher.publish([{ name: 'dispute.assignment.v1', key: yang.disputeId, data: decision }]);

    const summary = await eventually(
      async () => {
        const { status, body } = await get(`/v1/disputes/${yang.disputeId}/deliveries`);
        return status === 200 && body.delivered ? body : undefined;
      },
      { what: 'every department delivered', timeoutMs: 30_000 },
    );
    expect(summary.assignments).toHaveLength(1);
    expect(
      summary.assignments[0].recipients.map((r: { department: string; role: string; channel: string }) => [
        r.department,
        r.role,
        r.channel,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [depts.police.code, 'lead', 'webhook'],
        [depts.court.code, 'co', 'webhook'],
        [depts.station.code, 'co', 'outbox'],
      ]),
    );

    const rows = await deliveriesOf(yang.disputeId);
    const toPolice = rows.find((row) => row.recipient === depts.police.code)!;
    expect(toPolice.attemptLog.map((attempt) => attempt.statusCode)).toEqual([503, 503, 503, 200]);
    // Backoff: each wait is at least half its doubling ceiling (200, 400, 800 ms).
    const tries = receivers.police.requests.filter((request) => request.deliveryId === toPolice.id);
    expect(tries).toHaveLength(4);
    const gaps = tries.slice(1).map((request, i) => request.at - tries[i]!.at);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(100 * 2 ** i - 20);
    });
    expect(tries.map((request) => request.headers['x-huijie-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(tries.every((request) => request.signatureOk)).toBe(true);
    // Received once by every department, though the event came twice.
    expect([...receivers.police.applied.keys()]).toEqual([toPolice.id]);
    expect(receivers.court.requests).toHaveLength(1);
    expect(receivers.court.requests[0]!.json).toMatchObject({
      kind: 'assignment',
      data: {
        disputeId: yang.disputeId,
        role: 'co',
        department: '永定区人民法院',
        place: ['龙岩市', '永定区', '下洋镇'],
      },
    });
    expect(receivers.court.requests[0]!.json).not.toHaveProperty('data.contact');
    expect(tries[0]!.json).toMatchObject({ data: { role: 'lead', contact: { phone: '13900000001' } } });
    expect(rows.filter((row) => row.kind === 'assignment')).toHaveLength(3);

    // The caller is told once that the order was accepted, by SMS, in Chinese.
    const accepted = await eventually(() => {
      const found = receivers.sms.requests.filter(
        (request) => (request.json as { templateId?: string }).templateId === 'SMS_0001',
      );
      return found.length > 0 && found;
    });
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.json).toMatchObject({
      phone: '13900000001',
      signName: '龙岩矛调',
      params: { ref: yang.sourceRef, department: '永定区公安局' },
    });
    expect((accepted[0]!.json as { text: string }).text).toMatch(
      /^【龙岩矛调】您反映的矛盾纠纷（编号.+）已受理，由永定区公安局负责办理/,
    );
  });

  it('a receiver that times out: every try is cut at the timeout, others are not held up, the dead letter is listed and replayed under the same id', async () => {
    // The judicial office's endpoint takes 2 s to answer 200: past our 500 ms timeout, so we never see it succeed.
    receivers.judicial.behave(() => ({ holdMs: 2_000, status: 200 }));
    const referral = dispute();
    await world.publisher.publish([
      {
        name: 'dispute.assignment.v1',
        key: referral.disputeId,
        data: assignment(referral, { lead: depts.court, coHandlers: [depts.judicial] }),
      },
    ]);
    const failed = await eventually(
      async () => {
        const rows = await deliveriesOf(referral.disputeId);
        const row = rows.find((candidate) => candidate.recipient === depts.judicial.code);
        return row?.state === 'failed' ? rows : undefined;
      },
      { what: 'the dead letter', timeoutMs: 30_000 },
    );
    const toJudicial = failed.find((row) => row.recipient === depts.judicial.code)!;
    const toCourt = failed.find((row) => row.recipient === depts.court.code)!;
    expect(toJudicial.attemptLog.map((attempt) => attempt.detail)).toEqual(
      Array(4).fill('timed out after 500 ms'),
    );
    expect(
      toJudicial.attemptLog.every((attempt) => attempt.durationMs >= 490 && attempt.durationMs < 3_000),
    ).toBe(true);
    // The court's delivery went while the judicial office's first try was still hanging.
    expect(toCourt.state).toBe('delivered');
    expect(toCourt.deliveredAt!.getTime()).toBeLessThan(toJudicial.attemptLog[0]!.at.getTime() + 400);

    // Joint handling is not "delivered" while one department has not got it.
    const summary = (await get(`/v1/disputes/${referral.disputeId}/deliveries`)).body;
    expect(summary.delivered).toBe(false);
    expect(
      summary.assignments[0].recipients.map((r: { department: string; state: string }) => [
        r.department,
        r.state,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [depts.court.code, 'delivered'],
        [depts.judicial.code, 'failed'],
      ]),
    );
    const deadLetters = (await get('/v1/deliveries?state=failed&limit=200')).body.items;
    expect(deadLetters.map((item: { id: string }) => item.id)).toContain(toJudicial.id);

    // The endpoint is fixed; the operator replays. The receiver had in fact taken the first try
    // (it answered 200 after we gave up): it recognises the id and does not act twice.
    receivers.judicial.behave(ok);
    const replay = await notify.app.inject({
      method: 'POST',
      url: `/v1/deliveries/${toJudicial.id}/replay`,
      headers: auth,
    });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toMatchObject({ id: toJudicial.id, state: 'pending', replays: 1 });
    const replayed = await eventually(
      async () => {
        const row = await notify.db.delivery.findUnique({ where: { id: toJudicial.id } });
        return row?.state === 'delivered' ? row : undefined;
      },
      { what: 'the replayed delivery' },
    );
    expect(replayed.replayedBy).toBe('test-operator');
    const tries = receivers.judicial.requests.filter((request) => request.deliveryId === toJudicial.id);
    expect(tries).toHaveLength(5);
    expect(receivers.judicial.applied.get(toJudicial.id)).toBe(tries[0]);
    expect(receivers.judicial.duplicates.length).toBeGreaterThanOrEqual(1);
    expect((await get(`/v1/disputes/${referral.disputeId}/deliveries`)).body.delivered).toBe(true);

    // Delivered is final: a second replay is refused.
    const again = await notify.app.inject({
      method: 'POST',
      url: `/v1/deliveries/${toJudicial.id}/replay`,
      headers: auth,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'conflict',
      fields: [{ field: 'state', reason: 'is delivered' }],
    });
    const unknown = await notify.app.inject({
      method: 'POST',
      url: `/v1/deliveries/${randomUUID()}/replay`,
      headers: auth,
    });
    expect(unknown.statusCode).toBe(404);
    const anonymous = await notify.app.inject({
      method: 'POST',
      url: `/v1/deliveries/${toJudicial.id}/replay`,
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('the outcome goes back to the source: 办结反馈 to the 12345 client, the outcome to the referring court, one SMS to a citizen who reported twice', async () => {
    const caseId = randomUUID();
    const phone = '13900000077';
    const call = dispute({
      sourceClient: 'longyan-12345',
      parties: [{ role: 'caller', kind: 'person', name: '杨某', phone }],
    });
    const referral = courtReferral({
      parties: [
        { role: 'applicant', kind: 'person', name: '杨某', phone },
        { role: 'respondent', kind: 'person', name: '胡某' },
      ],
    });
    for (const report of [call, referral]) {
      await world.publisher.publish([
        {
          name: 'dispute.assignment.v1',
          key: report.disputeId,
          data: assignment(report, { lead: depts.police, coHandlers: [depts.court] }),
        },
      ]);
    }
    await eventually(
      async () =>
        (await notify.db.disputeSource.count({
          where: { disputeId: { in: [call.disputeId, referral.disputeId] } },
        })) === 2,
      {
        what: 'both reports known',
      },
    );
    const resolved = outcomeEvent(caseId, [call, referral]);
    await world.publisher.publish([{ name: 'case.status.v1', key: caseId, data: resolved }]);
    await world.publisher.publish([{ name: 'case.status.v1', key: caseId, data: resolved }]);
    await world.publisher.publish([
      {
        name: 'case.status.v1',
        key: caseId,
        data: outcomeEvent(caseId, [call, referral], { status: 'closed', previousStatus: 'resolved' }),
      },
    ]);

    const toHotline = await eventually(() =>
      receivers.hotline.requests.find(
        (r) => (r.json as { data?: { caseId?: string } }).data?.caseId === caseId,
      ),
    );
    expect(toHotline.signatureOk).toBe(true);
    expect(toHotline.json).toMatchObject({
      kind: 'result_callback',
      data: {
        orderNo: call.sourceRef,
        status: 'resolved',
        outcome: 'mediated',
        result: '调解成功，涉及金额3800元',
        feedback: '调解成功，涉及金额3800元。双方达成赔偿协议，当场履行',
        amount: 3800,
        handledBy: '永定区公安局',
      },
    });
    const toCourt = await eventually(() =>
      receivers.courtClient.requests.find(
        (r) => (r.json as { data?: { caseId?: string } }).data?.caseId === caseId,
      ),
    );
    expect(toCourt.signatureOk).toBe(true);
    expect(toCourt.json).toMatchObject({
      kind: 'result_callback',
      data: {
        caseNo: referral.sourceRef,
        outcome: 'mediated',
        mediated: true,
        amount: 3800,
        mediatedBy: '永定区公安局',
      },
    });
    const resultSms = await eventually(() => {
      const found = receivers.sms.requests.filter(
        (r) =>
          (r.json as { phone?: string; templateId?: string }).phone === phone &&
          (r.json as { templateId?: string }).templateId === 'SMS_0002',
      );
      return found.length > 0 && found;
    });
    expect((resultSms[0]!.json as { text: string }).text).toContain('已办结，结果：调解成功，涉及金额3800元');

    // The case's deliveries: both reports' assignments, the callbacks, the notice, the departments told.
    const view = await eventually(
      async () => {
        const { body } = await get(`/v1/cases/${caseId}/deliveries`);
        return body.deliveries?.every((d: { state: string }) => d.state === 'delivered') &&
          body.deliveries.length >= 8
          ? body
          : undefined;
      },
      { what: "the case's deliveries" },
    );
    expect(view.disputeIds.sort()).toEqual([call.disputeId, referral.disputeId].sort());
    expect(view.delivered).toBe(true);
    const kinds = view.deliveries.map((d: { kind: string }) => d.kind).sort();
    expect(kinds.filter((kind: string) => kind === 'result_callback')).toHaveLength(2);
    expect(kinds.filter((kind: string) => kind === 'case_result')).toHaveLength(2);
    expect(kinds.filter((kind: string) => kind === 'assignment')).toHaveLength(4);
    // A phone number is masked for operators.
    expect(view.deliveries.find((d: { channel: string }) => d.channel === 'sms').recipient).toBe(
      '139****0077',
    );
    // Three status events (twice resolved, then closed with the outcome again), one of each.
    expect(
      receivers.hotline.requests.filter(
        (r) => (r.json as { data: { caseId: string } }).data.caseId === caseId,
      ),
    ).toHaveLength(1);
    expect(
      receivers.courtClient.requests.filter(
        (r) => (r.json as { data: { caseId: string } }).data.caseId === caseId,
      ),
    ).toHaveLength(1);
    expect(resultSms).toHaveLength(1);
  });

  it("the outcome's summary as each receiver may read it: a confidential (保密) caller's name to no department, a mobile only to the lead of a case where nobody asked for confidentiality, an ID-card number to nobody outside the platform", async () => {
    const typed =
      '老板同意一次性支付郭建华工资3800元，联系电话13812345678；被申请人张伟（身份证350802199001011234，手机13911112222）当场履行';
    /** The outcome of a case with these reports, as the cases service announces it. */
    const ended = async (reports: ReturnType<typeof dispute>[], names: string[]) => {
      for (const report of reports) {
        await world.publisher.publish([
          {
            name: 'dispute.assignment.v1',
            key: report.disputeId,
            data: assignment(report, { lead: depts.judicial, coHandlers: [depts.court] }),
          },
        ]);
      }
      const ids = reports.map((report) => report.disputeId);
      await eventually(
        async () =>
          (await notify.db.delivery.count({ where: { disputeId: { in: ids }, kind: 'assignment' } })) ===
          2 * reports.length,
        { what: 'the reports assigned' },
      );
      const caseId: string = randomUUID();
      const resolved = outcomeEvent(caseId, reports, {
        outcome: { kind: 'mediated', summary: typed, amount: 3800 },
        confidentiality: { asked: names.length > 0, names },
      });
      await world.publisher.publish([{ name: 'case.status.v1', key: caseId, data: resolved }]);
      const received = (receiver: Receiver) =>
        eventually(() =>
          receiver.requests.find((r) => (r.json as { data?: { caseId?: string } }).data?.caseId === caseId),
        );
      const summaryTo = async (receiver: Receiver) =>
        ((await received(receiver)).json as { data: { outcome: { summary: string } } }).data.outcome.summary;
      return { caseId, received, summaryTo };
    };

    // 郭建华 called 12345 and asked for confidentiality; the court referred the same matter.
    const call = dispute({
      sourceClient: 'longyan-12345',
      content: '我叫郭建华，在下洋镇修水库，老板欠我工资3800元',
      parties: [{ role: 'caller', kind: 'person', name: '郭建华', phone: '13812345678', confidential: true }],
    });
    const referral = courtReferral({
      parties: [
        { role: 'applicant', kind: 'person', name: '李某', phone: randomPhone() },
        { role: 'respondent', kind: 'person', name: '张伟' },
      ],
    });
    const secret = await ended([call, referral], ['郭建华']);
    const masked =
      '老板同意一次性支付[保密当事人]工资3800元，联系电话[手机号]；被申请人张伟（身份证[身份证号]，手机[手机号]）当场履行';
    // The lead and the co-handler alike: a party asked for confidentiality, so the lead reads no mobile.
    expect(await secret.summaryTo(receivers.judicial)).toBe(masked);
    expect(await secret.summaryTo(receivers.court)).toBe(masked);
    // The hotline holds its caller's name and phone; an ID-card number leaves the platform for nobody.
    const toHotline = (await secret.received(receivers.hotline)).json as { data: { feedback: string } };
    expect(toHotline.data.feedback).toBe(
      '调解成功，涉及金额3800元。老板同意一次性支付郭建华工资3800元，联系电话13812345678；被申请人张伟（身份证[身份证号]，手机13911112222）当场履行',
    );
    // The referring court is a department that does not lead.
    const toCourt = (await secret.received(receivers.courtClient)).json as { data: { summary: string } };
    expect(toCourt.data.summary).toBe(masked);

    // Nobody asked for confidentiality: the lead reads the mobiles, the co-handler not; no ID number.
    const open = await ended([dispute({ sourceClient: 'longyan-12345' })], []);
    expect(await open.summaryTo(receivers.judicial)).toBe(
      '老板同意一次性支付郭建华工资3800元，联系电话13812345678；被申请人张伟（身份证[身份证号]，手机13911112222）当场履行',
    );
    expect(await open.summaryTo(receivers.court)).toBe(
      '老板同意一次性支付郭建华工资3800元，联系电话[手机号]；被申请人张伟（身份证[身份证号]，手机[手机号]）当场履行',
    );
    expect(
      ((await open.received(receivers.hotline)).json as { data: { feedback: string } }).data.feedback,
    ).toBe(
      '调解成功，涉及金额3800元。老板同意一次性支付郭建华工资3800元，联系电话13812345678；被申请人张伟（身份证[身份证号]，手机13911112222）当场履行',
    );
    const told = [receivers.judicial, receivers.court, receivers.hotline, receivers.courtClient].flatMap(
      (receiver) =>
        receiver.requests.filter((r) =>
          [secret.caseId, open.caseId].includes(
            (r.json as { data?: { caseId?: string } }).data?.caseId ?? '',
          ),
        ),
    );
    expect(told).toHaveLength(7);
    for (const request of told) expect(request.body).not.toContain('350802199001011234');
  });

  it('escalation notices go to the express lane of the level, once per level', async () => {
    const caseId = randomUUID();
    const report = dispute();
    await world.publisher.publish([
      {
        name: 'dispute.assignment.v1',
        key: report.disputeId,
        data: assignment(report, { lead: depts.court }),
      },
    ]);
    await world.publisher.publish([
      {
        name: 'case.status.v1',
        key: caseId,
        data: statusEvent(caseId, [report], 'mediating'),
      },
    ]);
    await eventually(async () => (await notify.db.caseDispute.count({ where: { caseId } })) === 1, {
      what: 'the case linked to its dispute',
    });
    const county = escalation(caseId, { level: 'county', reason: 'overdue', divisionCode: '350803' });
    await world.publisher.publish([{ name: 'case.escalation.v1', key: caseId, data: county }]);
    await world.publisher.publish([{ name: 'case.escalation.v1', key: caseId, data: county }]);
    await world.publisher.publish([
      {
        name: 'case.escalation.v1',
        key: caseId,
        data: escalation(caseId, { ...county, reason: 'repeated' }),
      },
    ]);
    await world.publisher.publish([
      {
        name: 'case.escalation.v1',
        key: caseId,
        data: escalation(caseId, {
          level: 'city',
          previousLevel: 'county',
          reason: 'major',
          divisionCode: '350800',
        }),
      },
    ]);
    const notices = await eventually(
      async () => {
        const rows = await notify.db.delivery.findMany({ where: { caseId, kind: 'escalation_notice' } });
        return rows.length === 3 && rows.every((row) => row.state === 'delivered') ? rows : undefined;
      },
      { what: 'three escalation notices' },
    );
    expect(notices.map((row) => row.recipient).sort()).toEqual(['13700000001', '13700000002', '13700000003']);
    const texts = receivers.sms.requests
      .filter((r) => notices.some((row) => row.id === r.deliveryId))
      .map((r) => r.json as { phone: string; text: string });
    expect(texts).toHaveLength(3);
    expect(texts.find((t) => t.phone === '13700000003')!.text).toBe(
      `【龙岩矛调】书记直通车：龙岩市永定区下洋镇一件损害赔偿纠纷已提级至县（市、区）委书记（超期未办结），案件编号${caseId.slice(0, 8)}，请及时督办。`,
    );
    expect(texts.find((t) => t.phone === '13700000001')!.text).toContain('已提级至市委书记（重大疑难）');
  });

  it('re-routing: the department dropped gets a withdrawal, the one kept an update; an older version arriving late changes nothing', async () => {
    receivers.police.behave(ok);
    const report = dispute();
    const v1 = assignment(report, { lead: depts.police, coHandlers: [depts.court] });
    await world.publisher.publish([{ name: 'dispute.assignment.v1', key: report.disputeId, data: v1 }]);
    await eventually(
      async () =>
        (await notify.db.delivery.count({
          where: { disputeId: report.disputeId, state: 'delivered', version: 1 },
        })) === 2,
      { what: 'version 1 delivered' },
    );
    const v2 = assignment(report, { version: 2, lead: depts.police, coHandlers: [depts.station] });
    await world.publisher.publish([{ name: 'dispute.assignment.v1', key: report.disputeId, data: v2 }]);
    await world.publisher.publish([{ name: 'dispute.assignment.v1', key: report.disputeId, data: v1 }]);
    const rows = await eventually(
      async () => {
        const all = await deliveriesOf(report.disputeId);
        const v2rows = all.filter((row) => row.version === 2);
        return v2rows.length === 3 && v2rows.every((row) => row.state === 'delivered') ? all : undefined;
      },
      { what: 'version 2 delivered' },
    );
    expect(
      rows
        .filter((row) => row.version === 2)
        .map((row) => [row.kind, row.recipient])
        .sort(),
    ).toEqual(
      [
        ['assignment', depts.station.code],
        ['assignment_update', depts.police.code],
        ['withdrawal', depts.court.code],
      ].sort(),
    );
    const withdrawal = receivers.court.requests.find(
      (r) =>
        (r.json as { kind: string; data: { disputeId: string } }).kind === 'withdrawal' &&
        (r.json as { data: { disputeId: string } }).data.disputeId === report.disputeId,
    );
    expect(withdrawal?.json).toMatchObject({ data: { version: 2, reason: 're-routed' } });
    // The late version 1 added nothing, and the summary follows the latest version.
    expect(rows.filter((row) => row.version === 1)).toHaveLength(2);
    const summary = (await get(`/v1/disputes/${report.disputeId}/deliveries`)).body;
    expect(summary.assignments[0].version).toBe(2);
    expect(summary.assignments[0].recipients.map((r: { department: string }) => r.department).sort()).toEqual(
      [depts.police.code, depts.station.code].sort(),
    );
  });

  it('SLA reminders reach the lead when due, and never for a case that ended first', async () => {
    receivers.court.behave(ok);
    const open = dispute();
    const dueAt = new Date(Date.now() + 2_000).toISOString();
    await world.publisher.publish([
      {
        name: 'dispute.assignment.v1',
        key: open.disputeId,
        data: assignment(open, { lead: depts.court, dueAt }),
      },
    ]);
    const ended = dispute();
    const endedDue = new Date(Date.now() + 3_000).toISOString();
    await world.publisher.publish([
      {
        name: 'dispute.assignment.v1',
        key: ended.disputeId,
        data: assignment(ended, { lead: depts.court, dueAt: endedDue }),
      },
    ]);
    const endedCase = randomUUID();
    await eventually(
      async () => (await notify.db.slaReminder.count({ where: { disputeId: ended.disputeId } })) > 0,
      {
        what: 'the reminders scheduled',
      },
    );
    await world.publisher.publish([
      {
        name: 'case.status.v1',
        key: endedCase,
        data: statusEvent(endedCase, [ended], 'resolved'),
      },
    ]);

    const reminders = await eventually(
      async () => {
        const rows = await notify.db.delivery.findMany({
          where: { disputeId: open.disputeId, kind: 'sla_reminder', state: 'delivered' },
        });
        return rows.length === 2 ? rows : undefined;
      },
      { what: 'both reminders', timeoutMs: 20_000 },
    );
    const overdue = reminders.find((row) => (row.payload as { level: string }).level === 'overdue')!;
    expect(overdue.deliveredAt!.getTime()).toBeGreaterThanOrEqual(new Date(dueAt).getTime());
    // The ended case: its reminders were dropped, and its due time passed without one.
    await eventually(() => Date.now() > new Date(endedDue).getTime() + 1_000, {
      what: 'the due time',
      timeoutMs: 10_000,
    });
    expect(await notify.db.slaReminder.count({ where: { disputeId: ended.disputeId } })).toBe(0);
    expect(
      await notify.db.delivery.count({
        where: { disputeId: ended.disputeId, kind: 'sla_reminder', state: 'delivered' },
      }),
    ).toBeLessThanOrEqual(1);
    expect(
      await notify.db.delivery.count({
        where: {
          disputeId: ended.disputeId,
          kind: 'sla_reminder',
          payload: { path: ['level'], equals: 'overdue' },
        },
      }),
    ).toBe(0);
  });

  // Runs after the tests above: what the receivers got from them is what is checked.
  it('every body a webhook or callback endpoint received is what its published schema says, headers and signature as documented', () => {
    const conforming = (receiver: Receiver, schema: z.ZodType, secret: string) =>
      receiver.requests.map((request) => {
        const parsed = schema.safeParse(request.json);
        expect(parsed.error?.issues, request.body).toBeUndefined();
        // Parsing drops what the schema does not name: a field sent and not documented shows here.
        expect(parsed.data, 'a field not in the published schema').toEqual(request.json);
        for (const header of Object.values(webhookHeaders)) expect(request.headers).toHaveProperty(header);
        const { [webhookHeaders.timestamp]: timestamp, [webhookHeaders.signature]: signature } =
          request.headers;
        const expected = createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex');
        expect(signature).toBe(expected);
        expect(request.headers[webhookHeaders.delivery]).toBe(
          (request.json as { deliveryId: string }).deliveryId,
        );
        return (request.json as { kind: string }).kind;
      });
    const agencyKinds = [receivers.police, receivers.court, receivers.judicial].flatMap((receiver) =>
      conforming(receiver, AgencyWebhook, agencySecret),
    );
    expect(new Set(agencyKinds)).toEqual(
      new Set(['assignment', 'assignment_update', 'withdrawal', 'sla_reminder', 'case_result']),
    );
    expect(conforming(receivers.hotline, HotlineResultCallback, hotlineSecret)).toContain('result_callback');
    expect(conforming(receivers.courtClient, CourtResultCallback, courtSecret)).toContain('result_callback');
  });

  it('operators see deliveries of their jurisdiction only, page by page', async () => {
    const county = { authorization: operatorToken('350803') };
    const other = { authorization: operatorToken('350802') };
    const mine = await notify.app.inject({ url: '/v1/deliveries?limit=2', headers: county });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items).toHaveLength(2);
    const next = await notify.app.inject({
      url: `/v1/deliveries?limit=2&after=${mine.json().next}`,
      headers: county,
    });
    expect(next.json().items.map((item: { id: string }) => item.id)).not.toContain(mine.json().items[0].id);
    const theirs = await notify.app.inject({ url: '/v1/deliveries', headers: other });
    expect(theirs.json().items).toEqual([]);
    const one = await notify.app.inject({ url: `/v1/deliveries/${mine.json().items[0].id}`, headers: other });
    expect(one.statusCode).toBe(404);
    const bad = await notify.app.inject({ url: '/v1/deliveries?state=lost', headers: county });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0].field).toBe('state');
    expect((await notify.app.inject({ url: '/v1/deliveries' })).statusCode).toBe(401);
  });
});
