import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisTokenStore } from '../src/channels/token-store.ts';
import { defaultWechatFields } from '../src/channels/wechat-channel.ts';
import { wechatAccessToken } from '../src/channels/wechat-token.ts';
import { assignment, departments, dispute, outcomeEvent, randomPhone } from './events.ts';
import { openWorld, type RunningNotify, startNotify, type World } from './harness.ts';
import { type FakeWechat, type Receiver, startFakeWechat, startReceiver } from './receivers.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

const smsSecret = 'sms-gateway-secret-0123456789';
const appId = 'wxtest0001';
const appSecret = 'test-app-secret-0123456789';
const windowMs = 3_000;

/** Every throttle decision, as the limiter made it. */
interface Hit {
  key: string;
  at: number;
  allowed: boolean;
}

describe.runIf(servers)(
  'providers: WeChat with a shared token, SMS throttles, the outbox (Kafka + PostgreSQL + Redis)',
  () => {
    let world: World;
    let notify: RunningNotify;
    let sms: Receiver;
    let wechat: FakeWechat;
    let outboxFile: string;
    const hits: Hit[] = [];
    const depts = departments(uniqueName('p'));
    const tokenKey = () => `${world.redisPrefix}wechat:token:${appId}`;
    const deliveryFor = async (disputeId: string, channel: string) =>
      eventually(
        async () => {
          const row = await notify.db.delivery.findFirst({
            where: { disputeId, channel },
            include: { attemptLog: { orderBy: { id: 'asc' } } },
          });
          return row?.state === 'delivered' ? row : undefined;
        },
        { what: `the ${channel} delivery`, timeoutMs: 30_000 },
      );
    const wechatApplicant = (openId: string) =>
      dispute({
        channel: 'wechat',
        parties: [
          { role: 'applicant', kind: 'person', name: '郭某', phone: '13800000000', wechatOpenId: openId },
        ],
      });

    beforeAll(async () => {
      world = await openWorld(servers!);
      sms = await startReceiver(smsSecret, () => ({ status: 200, body: '{"code":"OK"}' }));
      wechat = await startFakeWechat(appId, appSecret);
      outboxFile = join(mkdtempSync(join(tmpdir(), 'notify-outbox-')), 'outbox.jsonl');
      notify = await startNotify(
        world,
        {
          // No webhooks and no hotline callbacks configured: those go to the outbox file.
          outboxFile,
          sms: {
            provider: 'test-gateway',
            url: sms.url,
            secret: smsSecret,
            signName: '龙岩矛调',
            templateIds: {},
          },
          wechat: {
            account: { appId, appSecret, apiBase: wechat.apiBase },
            messaging: {
              api: 'template',
              templates: {
                accepted: { templateId: 'TPL_ACCEPTED', fields: defaultWechatFields.accepted },
                result: { templateId: 'TPL_RESULT', fields: defaultWechatFields.result },
              },
              linkBase: 'https://huijie.example/progress',
            },
            refreshMarginMs: 1_000,
          },
          throttles: {
            sms: { provider: { limit: 3, windowMs }, recipient: { limit: 1, windowMs } },
            wechat: { provider: { limit: 100, windowMs }, recipient: { limit: 100, windowMs } },
          },
          schedule: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 1_000 },
          dispatch: { intervalMs: 100 },
        },
        {
          wrapLimiter: (limiter): RateLimiter => ({
            async hit(key, limit, window) {
              const at = Date.now();
              const verdict = await limiter.hit(key, limit, window);
              hits.push({ key, at, allowed: verdict.allowed });
              return verdict;
            },
          }),
        },
      );
    });

    afterAll(async () => {
      await notify?.close();
      await sms?.close();
      await wechat?.close();
      await world?.release();
    });

    it('a WeChat applicant gets a template message; the access token is fetched once and kept in Redis', async () => {
      const first = wechatApplicant('oAPPLICANT0000000000000001');
      const second = wechatApplicant('oAPPLICANT0000000000000002');
      for (const report of [first, second]) {
        await world.publisher.publish([
          {
            name: 'dispute.assignment.v1',
            key: report.disputeId,
            data: assignment(report, { lead: depts.judicial }),
          },
        ]);
      }
      const delivered = [
        await deliveryFor(first.disputeId, 'wechat'),
        await deliveryFor(second.disputeId, 'wechat'),
      ];
      expect(wechat.tokenRequests).toBe(1);
      const message = wechat.messages.find((m) => m.body.client_msg_id === delivered[0]!.id)!;
      expect(message.path).toBe('/cgi-bin/message/template/send');
      expect(message.token).toBe('TOKEN-1');
      expect(message.body).toEqual({
        touser: 'oAPPLICANT0000000000000001',
        template_id: 'TPL_ACCEPTED',
        url: `https://huijie.example/progress?ref=${first.sourceRef}`,
        data: {
          character_string1: { value: first.sourceRef },
          thing2: { value: '下洋镇司法所' },
          time3: { value: expect.stringMatching(/^\d{4}年\d{1,2}月\d{1,2}日$/) },
        },
        client_msg_id: delivered[0]!.id,
      });
      const ttl = await world.redis.pttl(tokenKey());
      expect(ttl).toBeGreaterThan(7_000_000);
      expect(ttl).toBeLessThanOrEqual(7_200_000 - 1_000);
      expect(await world.redis.get(tokenKey())).toBe('TOKEN-1');
    });

    it('the token is replaced before it expires, and one WeChat rejects is dropped and replaced', async () => {
      // Tokens now live 3 s; with a 1 s margin they are cached for 2 s.
      wechat.expiresIn = 3;
      await world.redis.del(tokenKey());
      const before = wechat.tokenRequests;
      const a = wechatApplicant('oAPPLICANT0000000000000003');
      await world.publisher.publish([
        { name: 'dispute.assignment.v1', key: a.disputeId, data: assignment(a, { lead: depts.judicial }) },
      ]);
      const first = await deliveryFor(a.disputeId, 'wechat');
      expect(wechat.tokenRequests).toBe(before + 1);
      const issued = Date.now();
      await eventually(async () => (await world.redis.pttl(tokenKey())) === -2, {
        what: 'the cached token to lapse',
        timeoutMs: 5_000,
      });
      // Lapsed from the cache while WeChat still accepts it: the next message brings a new one.
      expect(Date.now() - issued).toBeLessThan(3_000);
      const b = wechatApplicant('oAPPLICANT0000000000000004');
      await world.publisher.publish([
        { name: 'dispute.assignment.v1', key: b.disputeId, data: assignment(b, { lead: depts.judicial }) },
      ]);
      const second = await deliveryFor(b.disputeId, 'wechat');
      expect(wechat.tokenRequests).toBe(before + 2);
      // Never a message sent with an expired token.
      expect([first, second].map((row) => row.attemptLog.map((attempt) => attempt.detail))).toEqual([
        [expect.stringMatching(/^errcode 0/)],
        [expect.stringMatching(/^errcode 0/)],
      ]);

      wechat.expiresIn = 7200;
      wechat.failNextWith(40001);
      const c = wechatApplicant('oAPPLICANT0000000000000005');
      await world.publisher.publish([
        { name: 'dispute.assignment.v1', key: c.disputeId, data: assignment(c, { lead: depts.judicial }) },
      ]);
      const third = await deliveryFor(c.disputeId, 'wechat');
      expect(
        third.attemptLog.map((attempt) => [attempt.ok, attempt.detail.replace(/msgid \d+/, 'msgid N')]),
      ).toEqual([
        [false, 'errcode 40001 (token rejected)'],
        [true, 'errcode 0, msgid N'],
      ]);
      expect(wechat.tokenRequests).toBe(before + 3);
    });

    it('replicas share one token: concurrent refreshes fetch it once', async () => {
      await world.redis.del(tokenKey());
      const before = wechat.tokenRequests;
      const replicas = Array.from({ length: 4 }, () =>
        wechatAccessToken(
          { appId, appSecret, apiBase: wechat.apiBase },
          redisTokenStore(world.redis, world.redisPrefix),
        ),
      );
      const tokens = await Promise.all(replicas.map((replica) => replica.get()));
      expect(new Set(tokens).size).toBe(1);
      expect(wechat.tokenRequests).toBe(before + 1);
    });

    it('SMS throttles: one message per number per window, at most three per window in all; a deferral is not a try', async () => {
      hits.length = 0;
      const phone = '13600000001';
      const sameCaller = [0, 1].map(() =>
        dispute({ parties: [{ role: 'caller', kind: 'person', name: '杨某', phone }] }),
      );
      const others = [2, 3, 4, 5, 6].map((n) =>
        dispute({ parties: [{ role: 'caller', kind: 'person', name: '某某', phone: `1360000000${n}` }] }),
      );
      const publishAll = async (reports: typeof others) => {
        for (const report of reports) {
          await world.publisher.publish([
            {
              name: 'dispute.assignment.v1',
              key: report.disputeId,
              data: assignment(report, { lead: depts.court }),
            },
          ]);
        }
      };
      const rows: Awaited<ReturnType<typeof deliveryFor>>[] = [];
      // The caller's two at the start of a window, so both come up in it whatever the load.
      await new Promise((resolve) => setTimeout(resolve, windowMs - (Date.now() % windowMs)));
      await publishAll(sameCaller);
      for (const report of sameCaller) rows.push(await deliveryFor(report.disputeId, 'sms'));
      await publishAll(others);
      for (const report of others) rows.push(await deliveryFor(report.disputeId, 'sms'));
      // Each was sent in one try, however long it waited for room.
      expect(rows.map((row) => row.attemptLog.length)).toEqual(Array(7).fill(1));
      expect(
        sms.requests.filter((request) => rows.some((row) => row.id === request.deliveryId)),
      ).toHaveLength(7);

      const smsHits = hits.filter((hit) => hit.key.startsWith('notify:sms:'));
      const windowOf = (hit: Hit) => Math.floor(hit.at / windowMs);
      // The repeated caller: the second message waited for the next window.
      const toCaller = smsHits.filter((hit) => hit.key.includes(':to:'));
      const refusals = toCaller.filter((hit) => !hit.allowed).length;
      expect(refusals).toBeGreaterThan(0);
      const perNumber = new Map<string, number[]>();
      for (const hit of toCaller.filter((h) => h.allowed))
        perNumber.set(hit.key, [...(perNumber.get(hit.key) ?? []), windowOf(hit)]);
      expect([...perNumber.values()].map((windows) => windows.length).sort()).toEqual([1, 1, 1, 1, 1, 2]);
      for (const windows of perNumber.values()) expect(new Set(windows).size).toBe(windows.length);
      // The provider: never more than three in one window. Its count comes first, so a
      // message it defers keeps its recipient's allowance; one the recipient refuses used a slot.
      const perWindow = new Map<number, number>();
      for (const hit of smsHits.filter((h) => h.allowed && h.key === 'notify:sms:all'))
        perWindow.set(windowOf(hit), (perWindow.get(windowOf(hit)) ?? 0) + 1);
      expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(3);
      expect([...perWindow.values()].reduce((sum, n) => sum + n, 0)).toBe(7 + refusals);
      // No phone number in the limiter's keys, nor a hash anyone could recompute from one.
      expect(smsHits.every((hit) => !hit.key.includes('1360000000'))).toBe(true);
      const unkeyed = [phone, ...[2, 3, 4, 5, 6].map((n) => `1360000000${n}`)].map((number) =>
        createHash('sha256').update(number).digest('base64url').slice(0, 16),
      );
      expect(toCaller.filter((hit) => unkeyed.some((hash) => hit.key.includes(hash)))).toEqual([]);
    });

    it("an order that came in past its expected date: the acceptance's text promises no date already past; the templates' parameters stay whole", async () => {
      // Pushed today with the hotline's deadline three days ago (an order from a backlog).
      const overdue = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
      const phone = randomPhone();
      const call = dispute({ parties: [{ role: 'caller', kind: 'person', name: '郭某', phone }] });
      const applicant = wechatApplicant('oOVERDUE00000000000000001');
      for (const report of [call, applicant]) {
        await world.publisher.publish([
          {
            name: 'dispute.assignment.v1',
            key: report.disputeId,
            data: assignment(report, { lead: depts.judicial, dueAt: overdue }),
          },
        ]);
      }
      const texted = await deliveryFor(call.disputeId, 'sms');
      const sent = sms.requests.find((r) => r.deliveryId === texted.id)!.json as {
        text: string;
        params: Record<string, string>;
      };
      expect(sent.text).toBe(
        `【龙岩矛调】您反映的矛盾纠纷（编号${call.sourceRef}）已受理，由下洋镇司法所负责办理，将尽快办结，请保持电话畅通。`,
      );
      // A carrier refuses an approved template with a variable missing: the citizen would get nothing.
      expect(Object.keys(sent.params).sort()).toEqual(['department', 'dueDate', 'ref']);

      await deliveryFor(applicant.disputeId, 'wechat');
      const message = wechat.messages.find((m) => m.body.touser === 'oOVERDUE00000000000000001')!;
      expect(message.body).toMatchObject({ template_id: 'TPL_ACCEPTED' });
      expect(Object.keys(message.body.data as object).sort()).toEqual([
        'character_string1',
        'thing2',
        'time3',
      ]);
    });

    it('without a webhook or a hotline callback configured, deliveries are written to the outbox file', async () => {
      const caseId = randomUUID();
      const call = dispute({ sourceClient: 'longyan-12345' });
      await world.publisher.publish([
        {
          name: 'dispute.assignment.v1',
          key: call.disputeId,
          data: assignment(call, { lead: depts.station }),
        },
      ]);
      await deliveryFor(call.disputeId, 'outbox');
      await world.publisher.publish([
        { name: 'case.status.v1', key: caseId, data: outcomeEvent(caseId, [call]) },
      ]);
      await deliveryFor(call.disputeId, 'hotline');
      const lines = readFileSync(outboxFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(
        lines.find((line) => line.kind === 'assignment' && line.data.disputeId === call.disputeId),
      ).toMatchObject({
        channel: 'outbox',
        recipient: depts.station.code,
        data: { department: '下洋派出所', role: 'lead' },
      });
      expect(
        lines.find((line) => line.channel === 'hotline' && line.data.orderNo === call.sourceRef),
      ).toMatchObject({
        kind: 'result_callback',
        recipient: 'longyan-12345',
        data: { result: '调解成功，涉及金额3800元', status: 'resolved' },
      });
      // Recorded delivered, but nobody was reached: the metrics count them apart from real sends.
      // (Counted just after the delivery is recorded.)
      const counted = (metrics: string, channel: string) =>
        new RegExp(
          `^huijie_notify_sends_total\\{channel="${channel}",outcome="outbox_file"[^}]*\\} [1-9]`,
          'm',
        ).test(metrics);
      const metrics = await eventually(
        async () => {
          const body = (await notify.app.inject({ method: 'GET', url: '/metrics' })).body;
          return counted(body, 'outbox') && counted(body, 'hotline') && body;
        },
        { what: 'the outbox file sends counted' },
      );
      for (const channel of ['outbox', 'hotline'])
        expect(metrics).not.toContain(`huijie_notify_sends_total{channel="${channel}",outcome="delivered"`);
    });

    it('a citizen who unfollowed the account is texted instead, once, and by SMS from then on; a fault of ours stays a dead letter', async () => {
      const phone = randomPhone();
      const applicant = (openId: string) =>
        dispute({
          channel: 'wechat',
          parties: [{ role: 'applicant', kind: 'person', name: '郭某', phone, wechatOpenId: openId }],
        });
      const unfollowed = applicant('oUNFOLLOWED000000000000001');
      const misconfigured = applicant('oBADTEMPLATE00000000000001');
      // Unfollowed too, but gave no mobile number: nobody can be texted.
      const unreachable = dispute({
        channel: 'wechat',
        parties: [
          { role: 'applicant', kind: 'person', name: '郭某', wechatOpenId: 'oNOMOBILE0000000000000001' },
        ],
      });
      wechat.refuse('oUNFOLLOWED000000000000001', 43004);
      wechat.refuse('oBADTEMPLATE00000000000001', 40037);
      wechat.refuse('oNOMOBILE0000000000000001', 43004);
      const decided = (report: typeof unfollowed) => ({
        name: 'dispute.assignment.v1' as const,
        key: report.disputeId,
        data: assignment(report, { lead: depts.judicial }),
      });
      // The decision delivered twice: one notice, one fallback.
      await world.publisher.publish([
        decided(unfollowed),
        decided(unfollowed),
        decided(misconfigured),
        decided(unreachable),
      ]);
      const texts = async (disputeId: string, n: number) =>
        eventually(
          async () => {
            const rows = await notify.db.delivery.findMany({
              where: { disputeId, channel: 'sms' },
              orderBy: { createdAt: 'asc' },
            });
            return rows.length === n && rows.every((row) => row.state === 'delivered') ? rows : undefined;
          },
          { what: `${n} SMS delivered`, timeoutMs: 30_000 },
        );
      const [accepted] = await texts(unfollowed.disputeId, 1);
      const refused = await notify.db.delivery.findFirstOrThrow({
        where: { disputeId: unfollowed.disputeId, channel: 'wechat' },
      });
      // Final, not a dead letter: a replay would reach a citizen who followed again twice.
      expect(refused).toMatchObject({
        state: 'replaced',
        attempts: 1,
        lastError: 'errcode 43004: not reachable on WeChat; sent by SMS instead',
      });
      expect(accepted).toMatchObject({
        kind: 'citizen_notice',
        recipient: phone,
        dedupeKey: `${refused.dedupeKey}:sms`,
        payload: refused.payload,
      });

      // The result: texted straight away, not tried on WeChat first.
      const caseId = randomUUID();
      await world.publisher.publish([
        { name: 'case.status.v1', key: caseId, data: outcomeEvent(caseId, [unfollowed]) },
      ]);
      const [, result] = await texts(unfollowed.disputeId, 2);
      expect(result).toMatchObject({ kind: 'citizen_notice', caseId, recipient: phone });
      expect(wechat.messages.filter((m) => m.body.touser === 'oUNFOLLOWED000000000000001')).toHaveLength(1);
      const ref = unfollowed.sourceRef;
      expect(
        sms.requests
          .filter((r) => (r.json as { phone?: string } | undefined)?.phone === phone)
          .map((r) => r.json),
      ).toEqual([
        expect.objectContaining({
          requestId: accepted!.id,
          text: expect.stringMatching(
            new RegExp(
              `^【龙岩矛调】您反映的矛盾纠纷（编号${ref}）已受理，由下洋镇司法所负责办理，预计\\d{4}年\\d{1,2}月\\d{1,2}日前办结，请保持电话畅通。$`,
            ),
          ),
        }),
        expect.objectContaining({
          requestId: result!.id,
          text: `【龙岩矛调】您反映的矛盾纠纷（编号${ref}）已办结，结果：调解成功，涉及金额3800元。感谢您的支持。`,
        }),
      ]);

      // A template WeChat rejects is ours to fix: a dead letter, nobody texted.
      const dead = await eventually(
        async () => {
          const rows = await notify.db.delivery.findMany({
            where: { disputeId: misconfigured.disputeId, kind: 'citizen_notice' },
          });
          return rows.length > 0 && rows.every((row) => row.state === 'failed') ? rows : undefined;
        },
        { what: 'the dead letter', timeoutMs: 10_000 },
      );
      expect(dead.map((row) => [row.channel, row.state, row.lastError])).toEqual([
        ['wechat', 'failed', 'errcode 40037'],
      ]);
      // Unreachable on WeChat with no mobile: told nothing, so a dead letter for an operator.
      const untold = await eventually(
        async () => {
          const rows = await notify.db.delivery.findMany({
            where: { disputeId: unreachable.disputeId, kind: 'citizen_notice' },
          });
          return rows.length > 0 && rows.every((row) => row.state === 'failed') ? rows : undefined;
        },
        { what: 'the untold citizen dead letter', timeoutMs: 10_000 },
      );
      expect(untold.map((row) => [row.channel, row.state, row.lastError])).toEqual([
        ['wechat', 'failed', 'errcode 43004: not reachable on WeChat; no mobile number to text'],
      ]);
    });

    it('a citizen who unfollows after being told of acceptance gets the result texted once, however often the outcome is delivered', async () => {
      const phone = randomPhone();
      const openId = 'oLATEUNFOLLOW0000000000001';
      const report = dispute({
        channel: 'wechat',
        parties: [{ role: 'applicant', kind: 'person', name: '郭某', phone, wechatOpenId: openId }],
      });
      await world.publisher.publish([
        {
          name: 'dispute.assignment.v1',
          key: report.disputeId,
          data: assignment(report, { lead: depts.judicial }),
        },
      ]);
      await deliveryFor(report.disputeId, 'wechat');
      wechat.refuse(openId, 43004);
      const caseId = randomUUID();
      const outcome = outcomeEvent(caseId, [report]);
      await world.publisher.publish([{ name: 'case.status.v1', key: caseId, data: outcome }]);
      const texted = () =>
        notify.db.delivery.findMany({ where: { disputeId: report.disputeId, channel: 'sms' } });
      await eventually(async () => (await texted()).some((row) => row.state === 'delivered') || undefined, {
        what: 'the result texted',
        timeoutMs: 30_000,
      });
      // The same outcome delivered again (a rebalance, a replay): the citizen is now routed to SMS,
      // and the text already sent is that notice. Then a later event of the same case (same
      // partition) shows the consumer is past the repeat.
      const other = dispute({
        channel: 'wechat',
        parties: [{ role: 'applicant', kind: 'person', name: '杨某', phone: randomPhone() }],
      });
      await world.publisher.publish([
        {
          name: 'dispute.assignment.v1',
          key: other.disputeId,
          data: assignment(other, { lead: depts.judicial }),
        },
      ]);
      await deliveryFor(other.disputeId, 'sms');
      await world.publisher.publish([{ name: 'case.status.v1', key: caseId, data: outcome }]);
      await world.publisher.publish([
        { name: 'case.status.v1', key: caseId, data: outcomeEvent(caseId, [other]) },
      ]);
      await eventually(
        async () =>
          (await notify.db.delivery.count({ where: { disputeId: other.disputeId, caseId } })) > 0 ||
          undefined,
        { what: 'the later event recorded', timeoutMs: 30_000 },
      );
      expect((await texted()).map((row) => [row.kind, row.state])).toEqual([['citizen_notice', 'delivered']]);
      expect(
        sms.requests.filter((r) => (r.json as { phone?: string } | undefined)?.phone === phone),
      ).toHaveLength(1);
    });
  },
);
