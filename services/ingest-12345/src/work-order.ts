import { chinaTime } from '@huijie/contracts/calendar.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { mobileNumber } from '@huijie/contracts/phone.ts';
import { storable } from '@huijie/contracts/storable-text.ts';
import { CityDivisionCode, earliestInstant } from '@huijie/contracts/vocabulary.ts';
import { whenPresent } from '@huijie/service-kit/errors.ts';
import { fingerprint } from '@huijie/service-kit/revisions.ts';
import { z } from 'zod';

/**
 * A closed set of codes that hotline systems also write in Chinese: each code is accepted as
 * itself (case-insensitive) or as any of its Chinese labels, and always leaves as the code.
 */
function coded<const C extends string>(labels: Record<C, readonly string[]>) {
  const lookup = new Map<string, C>();
  for (const [code, aliases] of Object.entries(labels) as [C, readonly string[]][]) {
    lookup.set(code, code);
    for (const alias of aliases) lookup.set(alias, code);
  }
  const allowed = Object.entries(labels as Record<string, readonly string[]>)
    .map(([code, aliases]) => [code, ...aliases].join('/'))
    .join(', ');
  return z.string().transform((value, ctx) => {
    const code = lookup.get(value.trim().toLowerCase());
    if (code === undefined) {
      ctx.addIssue({ code: 'custom', message: `one of ${allowed}` });
      return z.NEVER;
    }
    return code;
  });
}

/** 受理渠道. */
export const intakeChannels = {
  phone: ['电话', '热线', '热线电话'],
  web: ['网站', '网页', '网络', '门户网站'],
  wechat: ['微信', '微信公众号', '小程序', '微信小程序'],
  app: ['客户端', '移动端', '闽政通'],
  sms: ['短信'],
  email: ['邮件', '邮箱', '电子邮件'],
  letter: ['来信', '信件'],
  visit: ['来访', '现场'],
  transfer: ['转办', '上级转办', '转派'],
  other: ['其他', '其它'],
} as const;

/** 诉求类型. */
export const requestTypes = {
  consultation: ['咨询'],
  help: ['求助'],
  complaint: ['投诉'],
  report: ['举报'],
  suggestion: ['建议'],
  other: ['其他', '其它'],
} as const;

/** 紧急程度. */
export const urgencies = {
  normal: ['一般', '普通', '正常'],
  urgent: ['紧急', '急'],
  very_urgent: ['特急', '特别紧急', '加急'],
} as const;

/** China Standard Time: every 12345 platform is in China. */
const chinaOffset = '+08:00';
const withOffset = /(?:Z|[+-]\d{2}:\d{2})$/;
const dateTimeReason =
  'an ISO 8601 date-time such as 2024-08-24T09:30:00+08:00 (without an offset it is China time), ' +
  'or "2024-08-24 09:30:00", or epoch milliseconds';

/**
 * Epoch milliseconds from 2001-09-09 on (13 digits): a smaller number is more likely seconds,
 * refused; up to the end of the year 9999 in China, the last an ISO 8601 date-time writes with
 * four digits (far beyond, a Date cannot be written out at all: it answered 500).
 */
const epochMs = { smallest: 1e12, largest: Date.UTC(9999, 11, 31, 15, 59, 59, 999) }; // 23:59:59.999 China time

/**
 * What Java systems write besides ISO 8601, as ISO 8601: a space for the `T` (`yyyy-MM-dd
 * HH:mm:ss`, the pattern most 12345 platforms' interfaces give), a basic offset (`+0800`, `+08`,
 * SimpleDateFormat's `Z`) and epoch milliseconds (fastjson's default for a Date). A value in none
 * of these is left as it came, for the format's own reason.
 */
function javaSpellings(value: unknown): unknown {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= epochMs.smallest && value <= epochMs.largest
      ? chinaTime(new Date(value))
      : value;
  if (typeof value !== 'string') return value;
  const spelled = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:([+-]\d{2})(\d{2})?)?$/.exec(
    value,
  );
  if (!spelled) return value;
  const [, date, time, offsetHours, offsetMinutes] = spelled;
  return `${date}T${time}${offsetHours ? `${offsetHours}:${offsetMinutes ?? '00'}` : ''}`;
}

/**
 * 受理时间, 办理时限, 催办时间: ISO 8601 with an offset, or without one as Java's LocalDateTime writes
 * it (2024-08-24T09:30:00, or 2024-08-24T09:30 when the seconds are 0), read as China time — as
 * the historical import reads its dates — or one of `javaSpellings`. It leaves with the offset
 * written out, so an order pushed once without and once with +08:00 is the same event, the same
 * fingerprint: a duplicate.
 */
const isoDateTime = z.iso.datetime({
  local: true,
  offset: true,
  error: whenPresent(dateTimeReason),
});
const dateTime = z.preprocess(
  javaSpellings,
  isoDateTime.transform((value) => {
    if (withOffset.test(value)) return value;
    // The event's format wants the seconds.
    const seconds = /T\d{2}:\d{2}$/.test(value) ? ':00' : '';
    return `${value}${seconds}${chinaOffset}`;
  }),
);

/**
 * The instant of a date-time field once it passed `dateTime` (which wrote its offset out), or
 * undefined when it did not: the order's own refinements still run when a field failed, and
 * Date.parse would read a time in another format ("2026/11/30 09:30") in the server's time zone.
 */
function instantOf(value: unknown): number | undefined {
  return typeof value === 'string' && withOffset.test(value) && isoDateTime.safeParse(value).success
    ? Date.parse(value)
    : undefined;
}

/**
 * How far ahead of our clock a 受理时间 may be: the hotline's clock is not ours. Beyond it the time
 * cannot be the hotline's intake, only a wrong clock or a wrong field.
 */
export const clockSkewMs = 10 * 60_000;

/** Free text that may be blank: trimmed, and blank counts as absent. */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((value) => value || undefined)
    .optional();

/**
 * A phone number: at least 5 digits, with the separators people write (`-`, spaces, brackets
 * round an area code), optionally an extension (转 / 分机 / ext / #).
 */
const phoneNumber = /^(?=(?:\D*\d){5})\+?[\d\s()（）-]{5,20}(?:\s*(?:转|分机|ext\.?|x|#)\s*\d{1,6})?$/i;

/** What the hotline writes as the name of a caller who gave none (匿名). */
const anonymousNames = new Set(['匿名', '匿名用户', '匿名来电', '匿名来电人', '匿名市民', '匿名群众']);
const isAnonymous = (caller: { name?: string | undefined; anonymous?: boolean | undefined }) =>
  caller.anonymous === true || (caller.name !== undefined && anonymousNames.has(caller.name));

const classificationLevel = z.object({
  code: optionalText(50),
  name: z.string().trim().min(1, 'must not be empty').max(100),
});

const workOrderShape = z.object({
  /** 工单编号: the hotline's own id of the order, the same on every push of it. */
  orderNo: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\w-]+$/, 'letters, digits, "-" and "_" only'),
  /** 受理时间: with an offset, or China time without one; not more than clockSkewMs ahead of our clock. */
  receivedAt: dateTime,
  intakeChannel: coded(intakeChannels).optional(),
  requestType: coded(requestTypes).optional(),
  /**
   * The hotline's classification: `{code?, name?}` as one value (e.g. `劳动保障-欠薪`), or up to
   * three `levels` from the broadest to the most specific.
   */
  category: z
    .object({
      code: optionalText(50),
      name: optionalText(100),
      levels: z.array(classificationLevel).min(1).max(3, 'at most three levels').optional(),
    })
    .optional(),
  title: optionalText(200),
  content: z.string().trim().min(1, 'must not be empty').max(20_000),
  caller: z
    .object({
      name: optionalText(100),
      /** Mobile or landline as the hotline writes it: 0597-2345678, (0597)2345678, 0597-2345678转801. */
      phone: z.string().trim().max(30, 'a phone number').regex(phoneNumber, 'a phone number').optional(),
      /** 匿名: the caller gave no name; a name sent anyway is not passed on. */
      anonymous: z.boolean().optional(),
      /** 保密: the caller's name and phone stay with the platform, never with the agencies. */
      confidential: z.boolean().optional(),
    })
    .refine((caller) => caller.phone !== undefined || isAnonymous(caller), {
      path: ['phone'],
      message: 'a phone number is required unless the caller is anonymous',
    }),
  location: z
    .object({ address: optionalText(500), divisionCode: CityDivisionCode.optional() })
    .refine(
      (location) => location.address !== undefined || location.divisionCode !== undefined,
      'an address or a division code is required',
    ),
  urgency: coded(urgencies).optional(),
  /** 办理时限: when the handling must be finished. */
  dueAt: dateTime.optional(),
  /** 催办: the caller pressed again; `count` (or `lastAt`) grows with each reminder. */
  reminder: z
    .object({
      count: z.number().int().min(1).max(1000),
      lastAt: dateTime.optional(),
      note: optionalText(2000),
    })
    .optional(),
  attachments: z
    .array(
      z.object({
        url: z
          .url({
            protocol: /^https?$/,
            error: whenPresent('an http(s) link'),
          })
          .max(2000),
        name: optionalText(200),
      }),
    )
    .max(50)
    .optional(),
});

/**
 * A 12345 work order (工单) as the hotline system holds it and pushes it, judged by the given
 * clock. Unknown fields are ignored.
 */
export function workOrderSchema(now: () => Date = () => new Date()) {
  const checked = workOrderShape.superRefine((order, ctx) => {
    // Only a time in an accepted format is judged: a malformed one has its own reason already.
    const times = [
      [['receivedAt'], order.receivedAt],
      [['dueAt'], order.dueAt],
      [['reminder', 'lastAt'], order.reminder?.lastAt],
    ] as const;
    for (const [path, value] of times) {
      const at = instantOf(value);
      if (at !== undefined && at < earliestInstant.ms)
        ctx.addIssue({ code: 'custom', path: [...path], message: earliestInstant.reason });
    }
    const received = instantOf(order.receivedAt);
    if (received === undefined) return;
    const at = now();
    if (received > at.getTime() + clockSkewMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['receivedAt'],
        message: `is in the future (it is ${chinaTime(at)} in China; at most ${clockSkewMs / 60_000} minutes ahead is allowed for clock skew)`,
      });
    }
    const due = instantOf(order.dueAt);
    if (due !== undefined && due < received) {
      ctx.addIssue({ code: 'custom', path: ['dueAt'], message: 'must not be before receivedAt' });
    }
  });
  return storable(checked);
}

/** The work order schema on the real clock. */
export const WorkOrder = workOrderSchema();
export type WorkOrder = z.infer<typeof WorkOrder>;

export const orderChannel = 'hotline_12345' as const;

/** The hotline's classification as routing reads it: the levels joined with "-", most specific last. */
function sourceCategoryOf(category: WorkOrder['category']): DisputeReceivedV1['sourceCategory'] {
  if (!category) return undefined;
  const levels = category.levels ?? [];
  const name = category.name ?? (levels.length > 0 ? levels.map((level) => level.name).join('-') : undefined);
  const code = category.code ?? levels.findLast((level) => level.code !== undefined)?.code;
  if (name === undefined && code === undefined) return undefined;
  return { scheme: '12345', ...(code !== undefined && { code }), ...(name !== undefined && { name }) };
}

/**
 * The work order in the platform's one shape, at the given revision. The hotline's own
 * classification is kept as it came; routing maps it onto the platform's categories.
 */
export function normaliseWorkOrder(
  order: WorkOrder,
  context: { clientId?: string; revision?: number } = {},
): DisputeReceivedV1 {
  const { caller } = order;
  // An anonymous caller is kept confidential too: whatever number they left is not for agencies.
  const anonymous = isAnonymous(caller);
  const confidential = caller.confidential === true || anonymous;
  const dispute: DisputeReceivedV1 = {
    disputeId: disputeIdFor(orderChannel, order.orderNo),
    channel: orderChannel,
    sourceRef: order.orderNo,
    revision: context.revision ?? 1,
    receivedAt: order.receivedAt,
    content: order.content,
    location: {
      ...(order.location.divisionCode !== undefined && { divisionCode: order.location.divisionCode }),
      ...(order.location.address !== undefined && { address: order.location.address }),
    },
    parties: [
      {
        role: 'caller',
        kind: 'person',
        ...(caller.name !== undefined && !anonymous && { name: caller.name }),
        // A mobile as its 11 digits, as the WeChat form writes it (repeats are found by the
        // number); a landline as written.
        ...(caller.phone !== undefined && { phone: mobileNumber(caller.phone) ?? caller.phone }),
        ...(confidential && { confidential: true }),
      },
    ],
    attachments: (order.attachments ?? []).map((attachment) => ({
      url: attachment.url,
      ...(attachment.name !== undefined && { name: attachment.name }),
    })),
  };
  if (context.clientId !== undefined) dispute.sourceClient = context.clientId;
  if (order.title !== undefined) dispute.title = order.title;
  const sourceCategory = sourceCategoryOf(order.category);
  if (sourceCategory) dispute.sourceCategory = sourceCategory;
  if (order.dueAt !== undefined) dispute.dueAt = order.dueAt;
  const hotline: NonNullable<DisputeReceivedV1['hotline']> = {
    ...(order.intakeChannel !== undefined && { intakeChannel: order.intakeChannel }),
    ...(order.requestType !== undefined && { requestType: order.requestType }),
    ...(order.urgency !== undefined && { urgency: order.urgency }),
    ...(order.reminder !== undefined && {
      reminder: {
        count: order.reminder.count,
        ...(order.reminder.lastAt !== undefined && { lastAt: order.reminder.lastAt }),
        ...(order.reminder.note !== undefined && { note: order.reminder.note }),
      },
    }),
  };
  if (Object.keys(hotline).length > 0) dispute.hotline = hotline;
  return dispute;
}

const instant = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));

/**
 * What a push says about its order, as a short digest: two pushes of one order with the same
 * fingerprint are the same report (a retry), different fingerprints are a genuine update.
 *
 * It covers everything the intake event would carry (content, title, classification, caller,
 * place, urgency, due time, reminder, attachments…) and nothing about the push itself: not the
 * client that pushed, not the JSON's key order or spacing, not the spelling of a time (the same
 * instant written with another offset is the same time), not fields we do not read.
 * The `v1` prefix versions the rule: changing what it covers must keep old fingerprints comparable.
 */
export function fingerprintOf(dispute: DisputeReceivedV1): string {
  const { disputeId: _id, revision: _revision, sourceClient: _client, ...substance } = dispute;
  const normalised = {
    ...substance,
    receivedAt: instant(substance.receivedAt),
    dueAt: instant(substance.dueAt),
    hotline: substance.hotline && {
      ...substance.hotline,
      reminder: substance.hotline.reminder && {
        ...substance.hotline.reminder,
        lastAt: instant(substance.hotline.reminder.lastAt),
      },
    },
  };
  return fingerprint(normalised);
}
