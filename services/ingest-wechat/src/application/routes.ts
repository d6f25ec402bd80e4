import { createHmac } from 'node:crypto';
import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import { uuidv5 } from '@huijie/contracts/ids.ts';
import type { EventBus } from '@huijie/event-bus/bus.ts';
import { clientIp } from '@huijie/service-kit/client-ip.ts';
import { AppError, answerErrors, badRequest, fieldsOf, unavailable } from '@huijie/service-kit/errors.ts';
import { type IdempotencyStore, onceForKey } from '@huijie/service-kit/idempotency.ts';
import {
  enforceRateLimit,
  type RateLimiter,
  type RateLimitMessages,
} from '@huijie/service-kit/rate-limit.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Limits } from '../config.ts';
import type { TownDirectory } from '../towns.ts';
import { type ApplicantLinks, linkValidForMs } from '../wechat/applicant-link.ts';
import {
  type Application,
  applicationSchema,
  fingerprint,
  normaliseApplication,
  trackingNoFor,
  trackingNoPattern,
  wechatOpenIdOf,
} from './application.ts';
import { citizenErrorWording } from './citizen-errors.ts';
import type { ApplicationStore } from './store.ts';

export interface ApplicationRoutesOptions {
  bus: EventBus;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  applications: ApplicationStore;
  towns: TownDirectory;
  links: ApplicantLinks;
  /** Keys the per-phone limit's counter: Redis sees a keyed hash, never the phone number. */
  rateKeySecret: string;
  limits: Limits;
  trustedProxyHops: number;
  now: () => Date;
  count(outcome: string): void;
}

const day = 24 * 3600 * 1000;
const tenMinutes = 10 * 60 * 1000;
const hour = 3600 * 1000;
/** A tracking number and four digits: 1 KiB is plenty, and nothing bigger is parsed. */
const lookupBodyLimit = 1024;

const lookupMovedMessage =
  '查询方式已更改：请用 POST /v1/applications/lookup，在请求正文中提供 {"trackingNo","phoneLast4"}（受理编号和手机号后四位）';

/** What an applicant is told about each case status. */
export const statusLabels: Record<CaseStatus, string> = {
  received: '已受理',
  triage: '正在分派',
  assigned: '已分派调解员',
  accepted: '调解员已接收',
  mediating: '调解中',
  resolved: '调解成功',
  unresolved: '调解未成功',
  closed: '已办结',
};

/** The form and the progress page show the error's message to the citizen. */
export const citizenLimitMessages: RateLimitMessages = {
  limited: '操作过于频繁，请稍后再试',
  unavailable: '暂时无法处理，请稍后重试（您的填写内容不会丢失）',
};

/** Told to a citizen whose form came from a link older than 30 days: filed, but no WeChat news. */
export const expiredLinkNotice =
  '您打开申请页面的公众号链接已超过30天，办理进度不会通过公众号消息通知您。调解员会通过您填写的手机号与您联系，您也可以凭受理编号和手机号后四位查询办理进度。';

/** Told to a citizen whose form came from a link another application was filed from: filed, but no WeChat news. */
export const usedLinkNotice =
  '您打开申请页面的公众号链接已经提交过一份申请，这份申请的办理进度不会通过公众号消息通知您；如需公众号通知，请在公众号中重新打开申请页面。调解员会通过您填写的手机号与您联系，您也可以凭受理编号和手机号后四位查询办理进度。';

export async function applicationRoutes(
  app: FastifyInstance,
  options: ApplicationRoutesOptions,
): Promise<void> {
  // The citizen reads every answer of these routes, Fastify's own refusals included.
  answerErrors(app, citizenErrorWording);
  const schema = applicationSchema(options.towns, (ref) => options.links.check(ref, options.now()));
  const { limits } = options;
  const phoneKey = (phone: string) =>
    createHmac('sha256', `huijie:wechat-phone-limit:${options.rateKeySecret}`)
      .update(phone)
      .digest('base64url');

  /** Every request to the form's API, per client address: the first line against a flood. */
  const limitPerAddress = (request: FastifyRequest) =>
    enforceRateLimit(
      options.rateLimiter,
      `wechat:ip:${clientIp(request, options.trustedProxyHops)}`,
      limits.requestsPerIpPer10Min,
      tenMinutes,
      citizenLimitMessages,
    );

  /**
   * New applications per applicant phone per day. A submission counts once: a form sent twice is
   * one application, and so is a form the citizen sends again after "暂时无法提交" (broker down),
   * which would otherwise use up the day's allowance without anything filed. The marker is kept
   * only for a submission that was allowed, so a refused one is checked again on its next send.
   */
  const limitPerPhone = async (submissionId: string, phone: string) => {
    const key = phoneKey(phone);
    const counted = `wechat:phone-counted:${submissionId}:${key}`;
    const first = await options.idempotency.claim(counted, day);
    if (!first.claimed) return;
    try {
      await enforceRateLimit(
        options.rateLimiter,
        `wechat:phone:${key}`,
        limits.applicationsPerPhonePerDay,
        day,
        citizenLimitMessages,
      );
    } catch (error) {
      await options.idempotency.release(counted).catch(() => {});
      throw error;
    }
  };

  /**
   * The OpenID to file with the application: a link's goes with the first submission filed from
   * it, and with that submission's sends again. A forwarded link would otherwise let whoever holds
   * it file applications whose news goes to the link owner's WeChat; another submission from it is
   * filed as from an expired link (news by SMS to the phone it gives), and says so. `unclaim`
   * frees the link again when this send claimed it and then filed nothing.
   */
  const openIdToFile = async (
    application: Application,
  ): Promise<{ openId?: string; unclaim: () => Promise<void> }> => {
    const link = application.wechatRef;
    const unchanged = { unclaim: async () => {} };
    if (!link || !('openId' in link)) return unchanged;
    const key = `wechat:link-filed:${link.linkId}`;
    // Being claimed by another send right now (pending, 30 s at most if it dies there) is "not ours".
    const claim = await onceForKey(options.idempotency, key, async () => application.submissionId, {
      ttlMs: linkValidForMs,
      waitMs: 0,
    });
    if ('busy' in claim || claim.value !== application.submissionId) return unchanged;
    return {
      openId: link.openId,
      unclaim: claim.duplicate ? unchanged.unclaim : () => options.idempotency.release(key).catch(() => {}),
    };
  };

  // Per address before the body is read: a body refused as malformed counts too, and past the
  // limit none is parsed (256 KiB of `{}` is ~87,000 objects to build).
  app.post('/v1/applications', { onRequest: limitPerAddress }, async (request, reply) => {
    const parsed = schema.safeParse(request.body);
    if (!parsed.success) {
      options.count('invalid');
      throw badRequest(fieldsOf(parsed.error), '申请内容有误，请按提示修改后再提交');
    }
    const application = parsed.data;
    const town = options.towns.get(application.townCode)!;
    const trackingNo = trackingNoFor(application.submissionId);
    const print = fingerprint(application);

    let outcome: Awaited<ReturnType<typeof onceForKey>>;
    try {
      outcome = await onceForKey(
        options.idempotency,
        `wechat:application:${application.submissionId}`,
        async () => {
          await limitPerPhone(application.submissionId, application.applicant.phone);
          const { openId, unclaim } = await openIdToFile(application);
          const receivedAt = options.now();
          const dispute = normaliseApplication(
            openId ? application : { ...application, wechatRef: undefined },
            trackingNo,
            town,
            receivedAt,
          );
          try {
            await options.applications.expect(dispute.disputeId, trackingNo);
            await options.bus.publish([
              {
                name: 'dispute.intake.v1',
                key: dispute.disputeId,
                data: dispute,
                id: uuidv5(`event:${dispute.disputeId}:1`),
                correlationId: dispute.disputeId,
              },
            ]);
          } catch (error) {
            // Nothing filed: a citizen who gives up on this form and opens the link again files with it.
            await unclaim();
            throw error;
          }
          await options.applications.save({
            trackingNo,
            disputeId: dispute.disputeId,
            townCode: town.code,
            receivedAt: dispute.receivedAt,
            phoneLast4: application.applicant.phone.slice(-4),
          });
          // Whether news goes to WeChat, for the answer to this send and to any send again.
          return `${trackingNo} ${print} ${openId ? 'wechat' : 'sms'}`;
        },
        { waitMs: 10_000 },
      );
    } catch (error) {
      if (error instanceof AppError) throw error;
      request.log.warn({ trackingNo, err: error }, 'application not written');
      options.count('unavailable');
      throw unavailable('暂时无法提交，请稍后重试（您的填写内容不会丢失）', 5);
    }
    if ('busy' in outcome) throw unavailable('该申请正在提交中，请稍候', 1);
    const [acceptedNo, acceptedPrint, news] = outcome.value.split(' ');
    // Kept before links filed their OpenID once (no third word): as the request's link says.
    const wechatUpdates = news === undefined ? wechatOpenIdOf(application) !== undefined : news === 'wechat';
    if (acceptedPrint !== print) {
      options.count('conflict');
      // In practice: the form's earlier send was accepted but its answer lost, and the citizen then
      // edited the form. The application exists; name it, so the citizen keeps their number.
      throw new AppError(
        409,
        'submission_conflict',
        `这份申请之前已经提交成功，受理编号：${acceptedNo}，请记下。之后修改的内容没有提交，调解员联系您时可以当面补充。`,
        [{ field: 'submissionId', reason: '已用于另一份申请' }],
        {},
        { trackingNo: acceptedNo },
      );
    }
    const record = await options.applications.find(acceptedNo!).catch(() => undefined);
    options.count(outcome.duplicate ? 'duplicate' : 'accepted');
    request.log.info(
      { trackingNo: acceptedNo, townCode: town.code, duplicate: outcome.duplicate },
      'application accepted',
    );
    return reply.status(202).send({
      trackingNo: acceptedNo,
      duplicate: outcome.duplicate,
      receivedAt: record?.receivedAt,
      town: { code: town.code, name: town.name, label: town.label },
      statusUrl: '/v1/applications/lookup',
      // Whether case news can reach the applicant on WeChat; the form says so only when it can.
      wechatUpdates,
      ...(application.wechatRef && 'expired' in application.wechatRef && { notice: expiredLinkNotice }),
      ...(wechatOpenIdOf(application) && !wechatUpdates && { notice: usedLinkNotice }),
    });
  });

  // The tracking number and the last four digits together open the application: they travel in
  // the body, because proxies, CDNs and gateways in front of the service log full URLs.
  app.post(
    '/v1/applications/lookup',
    { onRequest: limitPerAddress, bodyLimit: lookupBodyLimit },
    async (request) => {
      const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
        string,
        unknown
      >;
      const trackingNo = typeof body.trackingNo === 'string' ? body.trackingNo.toUpperCase() : '';
      // As the form's phone field takes them: full-width digits (Chinese keyboards) and spaces.
      const phoneLast4 =
        typeof body.phoneLast4 === 'string' ? body.phoneLast4.normalize('NFKC').replace(/\s+/g, '') : '';
      const problems = [];
      if (!trackingNoPattern.test(trackingNo))
        problems.push({ field: 'trackingNo', reason: '受理编号格式不正确' });
      if (!/^[0-9]{4}$/.test(phoneLast4)) {
        problems.push({ field: 'phoneLast4', reason: '请填写申请时所留手机号的后四位' });
      }
      if (problems.length > 0) throw badRequest(problems, '查询信息有误');
      // Four digits are guessable: each application answers a few attempts an hour, right or wrong.
      await enforceRateLimit(
        options.rateLimiter,
        `wechat:lookup:${trackingNo}`,
        limits.lookupsPerApplicationPerHour,
        hour,
        citizenLimitMessages,
      );
      const record = await options.applications.find(trackingNo);
      // Unknown number and wrong digits answer alike, so the API does not confirm which numbers exist.
      if (!record || record.phoneLast4 !== phoneLast4) {
        throw new AppError(404, 'not_found', '未找到该申请，请核对受理编号和手机号后四位');
      }
      const status = await options.applications.status(record.disputeId);
      const town = options.towns.get(record.townCode);
      const current = status?.status ?? 'received';
      return {
        trackingNo: record.trackingNo,
        receivedAt: record.receivedAt,
        town: town ? { code: town.code, name: town.name, label: town.label } : { code: record.townCode },
        status: current,
        statusLabel: statusLabels[current],
        statusAt: status?.at ?? record.receivedAt,
      };
    },
  );

  // Answered with the tracking number in the path and the digits in the query until the lookup
  // moved to the POST; statusUrls handed out in earlier 202 answers still name it. It reads
  // nothing and says where the lookup went, so a caller following an old URL learns why.
  app.get('/v1/applications/:trackingNo', { onRequest: limitPerAddress }, async () => {
    throw new AppError(410, 'gone', lookupMovedMessage);
  });
}
