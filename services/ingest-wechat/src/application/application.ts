import { createHash } from 'node:crypto';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { mobileNumber } from '@huijie/contracts/phone.ts';
import { z } from 'zod';
import type { Town, TownDirectory } from '../towns.ts';
import type { LinkCheck } from '../wechat/applicant-link.ts';

/**
 * The citizen's mediation application, as the form posts it. Every reason is in Chinese:
 * the form shows it next to the field it names, to a citizen on a phone.
 */

/**
 * No control character (NUL above all; tab and line breaks only where the text is multiline) and
 * no lone surrogate (isWellFormed, as the contracts judge text PostgreSQL can store:
 * storable-text.ts): refused here, in the citizen's words, before the contract would refuse it as
 * the platform's error.
 */
function plainText(value: string, multiline: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 || code === 0x7f) && !(multiline && (code === 0x09 || code === 0x0a || code === 0x0d)))
      return false;
  }
  return value.isWellFormed();
}

const blankToUndefined = (value: unknown) =>
  value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value;

function text(label: string, options: { min?: number; max: number; multiline?: boolean }) {
  const min = options.min ?? 1;
  return z
    .string({ error: (issue) => (issue.input === undefined ? `请填写${label}` : `${label}应为文字`) })
    .trim()
    .min(1, `请填写${label}`)
    .refine((value) => value.length === 0 || value.length >= min, `${label}至少需要${min}个字`)
    .max(options.max, `${label}不能超过${options.max}个字`)
    .refine((value) => plainText(value, options.multiline ?? false), `${label}含有无法识别的字符`);
}

/**
 * A phone number as typed on a phone: a Chinese keyboard may give full-width digits, ＋ and
 * brackets (NFKC makes them ASCII), and 。 for a dot. A mobile is then read as every channel
 * reads it (contracts/phone.ts: +86 or 0086, spaces, dashes, brackets, dots between its 3-4-4
 * groups), so repeats are found across channels.
 */
const typedPhone = (value: unknown) => {
  if (typeof value !== 'string') return value;
  const ascii = value.normalize('NFKC').replaceAll('。', '.');
  return mobileNumber(ascii) ?? ascii.replace(/[\s\-()]/g, '');
};

/** Mainland mobile numbers, written as people write them. */
const mobile = (label: string) =>
  z.preprocess(
    typedPhone,
    z
      .string({ error: (issue) => (issue.input === undefined ? `请填写${label}` : `${label}应为文字`) })
      .regex(/^1[3-9]\d{9}$/, `请填写11位手机号码`),
  );

/**
 * A respondent is often a shop or a company, known by its landline (0597-2233445, (020)12345678)
 * or a 400/800 number: accepted as well as a mobile, digits only.
 */
const anyPhone = (label: string) =>
  z.preprocess(
    typedPhone,
    z
      .string({ error: (issue) => (issue.input === undefined ? `请填写${label}` : `${label}应为文字`) })
      .regex(/^(?:1[3-9]\d{9}|0\d{9,11}|[48]00\d{7})$/, `请填写手机号码或带区号的固定电话`),
  );

const amount = z.preprocess(
  (value) => {
    const blank = blankToUndefined(value);
    if (typeof blank !== 'string') return blank;
    // Chinese keyboards type full-width digits and ￥ (NFKC makes them ASCII and ¥); people write
    // large sums in 万 (3.5万 = 35000 元), shifted in the digits so that 1.1万 is exactly 11000.
    const cleaned = blank
      .normalize('NFKC')
      .replace(/[,，\s]/g, '')
      .replace(/^¥/, '')
      .replace(/元$/, '');
    const match = /^(\d+)(?:\.(\d+))?(万)?$/.exec(cleaned);
    if (!match) return blank;
    const [, whole, fraction = '', wan] = match;
    if (!wan) return Number(cleaned);
    const digits = fraction.padEnd(4, '0');
    return Number(`${whole}${digits.slice(0, 4)}.${digits.slice(4) || '0'}`);
  },
  z
    .number({ error: '涉及金额应为数字（单位：元）' })
    .nonnegative('涉及金额不能为负数')
    .max(1_000_000_000, '涉及金额过大，请核对')
    .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, '金额最多保留两位小数')
    .optional(),
);

const link = z
  .string({ error: '附件链接应为网址' })
  .trim()
  .max(1_000, '附件链接过长')
  // `new URL` keeps a NUL or half a surrogate pair in the path: such a link was taken, then never
  // stored (PostgreSQL refuses both).
  .refine((value) => plainText(value, false), '附件链接含有无法识别的字符')
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.length > 0;
    } catch {
      return false;
    }
  }, '附件链接应为以 http:// 或 https:// 开头的网址');

/** The signed link the form was opened from: the applicant's OpenID and the link's id, or a link too old to carry it. */
export type WechatLink = { openId: string; linkId: string } | { expired: true };

/**
 * `checkLink` checks the signed applicant link the official account handed out (see
 * wechat/applicant-link.ts). An expired link does not stop the application: a citizen who
 * opened the form weeks ago still files it, only without WeChat news.
 */
export function applicationSchema(
  towns: TownDirectory,
  checkLink: (ref: string) => LinkCheck = () => ({ valid: false, expired: false }),
) {
  const wechatRef = z.preprocess(
    blankToUndefined,
    z
      .string({ error: '微信身份信息格式不正确' })
      .max(200, '微信身份信息格式不正确')
      .transform((ref, ctx): WechatLink => {
        const link = checkLink(ref);
        if (link.valid) return { openId: link.openId, linkId: link.id };
        if (link.expired) return { expired: true };
        // Forged or altered: someone trying to route another person's case news to themselves.
        ctx.addIssue({ code: 'custom', message: '微信链接无效，请从公众号重新打开申请页面' });
        return z.NEVER;
      })
      .optional(),
  );
  return z.object(
    {
      /** Made by the form when it loads: the same submission sent twice is one application. */
      submissionId: z
        .string({ error: '缺少提交编号，请刷新页面后重试' })
        .regex(/^[A-Za-z0-9-]{16,64}$/, '提交编号无效，请刷新页面后重试'),
      townCode: z
        .string({ error: '请选择纠纷发生的乡镇（街道）' })
        .refine((code) => towns.get(code) !== undefined, '请选择龙岩市内的乡镇（街道）'),
      applicant: z.object(
        { name: text('申请人姓名', { max: 50 }), phone: mobile('联系电话') },
        { error: '请填写申请人信息' },
      ),
      respondent: z.object(
        {
          name: text('对方姓名或单位名称', { max: 100 }),
          kind: z.enum(['person', 'organisation'], { error: '请选择对方是个人还是单位' }).default('person'),
          phone: z.preprocess(blankToUndefined, anyPhone('对方电话').optional()),
        },
        { error: '请填写对方当事人信息' },
      ),
      description: text('纠纷情况', { min: 10, max: 5_000, multiline: true }),
      amountClaimed: amount,
      address: z.preprocess(blankToUndefined, text('详细地点', { max: 200 }).optional()),
      attachments: z.array(link, { error: '附件链接格式不正确' }).max(9, '最多填写9个附件链接').default([]),
      agreed: z.literal(true, { error: '请阅读并同意个人信息使用说明' }),
      /** Present when the form was opened from the official account's reply; becomes the applicant's OpenID. */
      wechatRef,
    },
    { error: '申请内容应为 JSON 对象' },
  );
}

export type Application = z.infer<ReturnType<typeof applicationSchema>>;

/**
 * The tracking number (受理编号) of a submission: derived from the form's submission id, so a
 * retry after any failure — even one that lost the idempotency key — names the same
 * application, and so (through the UUIDv5 dispute id) the same dispute everywhere.
 * 12 characters from an alphabet without 0/O, 1/I/L: easy to read out over the phone.
 */
const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const trackingNoPattern = /^WX[2-9A-HJKMNP-Z]{12}$/;

export function trackingNoFor(submissionId: string): string {
  const digest = createHash('sha256').update(`wechat-application:${submissionId}`).digest();
  let out = 'WX';
  for (let i = 0; i < 12; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

/** The OpenID the application is filed with, if its link carried one. */
export const wechatOpenIdOf = (application: Application): string | undefined =>
  application.wechatRef && 'openId' in application.wechatRef ? application.wechatRef.openId : undefined;

/** What a submission says, minus its id: a resubmission with other content under the same id is refused. */
export function fingerprint(application: Application): string {
  const { submissionId: _, ...content } = application;
  // What is filed, the OpenID or none: an expired link files the same as no link.
  const filed = { ...content, wechatRef: wechatOpenIdOf(application) };
  return createHash('sha256').update(JSON.stringify(filed)).digest('hex').slice(0, 32);
}

/** The application in the platform's one shape. */
export function normaliseApplication(
  application: Application,
  trackingNo: string,
  town: Town,
  receivedAt: Date,
): DisputeReceivedV1 {
  const dispute: DisputeReceivedV1 = {
    disputeId: disputeIdFor('wechat', trackingNo),
    channel: 'wechat',
    sourceRef: trackingNo,
    revision: 1,
    receivedAt: receivedAt.toISOString(),
    title: `调解申请（${town.label}）`,
    content: application.description,
    location: {
      divisionCode: town.code,
      ...(application.address && { address: application.address }),
    },
    parties: [
      {
        role: 'applicant',
        kind: 'person',
        name: application.applicant.name,
        phone: application.applicant.phone,
        ...(wechatOpenIdOf(application) && { wechatOpenId: wechatOpenIdOf(application) }),
      },
      {
        role: 'respondent',
        kind: application.respondent.kind,
        name: application.respondent.name,
        ...(application.respondent.phone && { phone: application.respondent.phone }),
      },
    ],
    attachments: application.attachments.map((url) => ({ url })),
  };
  if (application.amountClaimed !== undefined) dispute.amountClaimed = application.amountClaimed;
  return dispute;
}
