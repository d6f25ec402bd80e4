import { type DepartmentDirectory, loadDepartmentDirectory } from '@huijie/routing/domain/departments.ts';
import { blankAsUnset, commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';
import type { WechatTemplate } from './channels/wechat-channel.ts';
import type { ExpressLaneContact } from './consumers/routing.ts';
import type { ChannelLimits } from './dispatch/throttle.ts';
import { type Notice, notices } from './notices/notices.ts';

/** A JSON-valued variable, parsed then checked by `schema`; blank is `fallback`. */
function json<S extends z.ZodType>(schema: S, example: string, fallback = '{}') {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value?.trim() ? value : fallback) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be JSON, e.g. ${example}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const loopback = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Endpoints that receive personal data: https, or http only on this machine (demo, tests). */
const endpoint = z
  .url({ protocol: /^https?$/ })
  .refine(
    (url) => url.startsWith('https:') || loopback.has(new URL(url).hostname),
    'must be https (http only for localhost)',
  );
const target = z.object({ url: endpoint, secret: z.string().min(16, 'a secret of 16+ characters') });
const targets = (example: string) =>
  json(z.record(z.string().min(1), target), example).transform((value) => new Map(Object.entries(value)));

/**
 * `AGENCY_WEBHOOKS`, `{"<department code>": {"url","secret"}}`: agencies that take webhooks instead
 * of Kafka. Exported so the standalone platform reads the variable exactly as notify does.
 */
export const agencyWebhooksEnv = targets('{"350802107-judicial_office":{"url":"https://…","secret":"…"}}');

/**
 * `HOTLINE_CALLBACKS`, `{"<hotline client id>": {"url","secret"}}`: where each 12345 system takes
 * 办结反馈. Exported so the standalone platform reads the variable exactly as notify does.
 */
export const hotlineCallbacksEnv = targets('{"longyan-12345":{"url":"https://…","secret":"…"}}');

/**
 * `COURT_CALLBACKS`, `{"<court client id>": {"url","secret"}}`: where each court client takes
 * mediation outcomes. Exported so the standalone platform reads the variable exactly as notify does.
 */
export const courtCallbacksEnv = targets('{"yd-court":{"url":"https://…","secret":"…"}}');

/** How many single-character edits turn `a` into `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[b.length]!;
}

/** The department whose code is nearest `code`, if near enough to be what was meant (a typo or two). */
function closestDepartment(code: string, departments: DepartmentDirectory) {
  let best: { code: string; name: string; distance: number } | undefined;
  for (const department of departments.all()) {
    const distance = editDistance(code.toLowerCase(), department.code);
    if (!best || distance < best.distance) best = { code: department.code, name: department.name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(code.length / 5)) ? best : undefined;
}

/**
 * `AGENCY_WEBHOOKS` as notify takes it: every key a department of the city's directory (routing's,
 * `services/routing/data/departments-350800.json`), as deliveries name them. A misspelt code would
 * be taken and never called, its department's deliveries written to the outbox file. (Standalone
 * mode only says so at start: it is for trying a receiver.)
 */
const agencyWebhooksOfDepartments = agencyWebhooksEnv.superRefine((webhooks, ctx) => {
  if (webhooks.size === 0) return;
  const departments = loadDepartmentDirectory();
  for (const code of webhooks.keys()) {
    if (departments.get(code)) continue;
    const closest = closestDepartment(code, departments);
    ctx.addIssue({
      code: 'custom',
      path: [code],
      message: `not a department code of the city${
        closest ? ` (did you mean ${closest.code}, ${closest.name}?)` : ''
      }: its webhook would never be called; the codes are those of services/routing/data/departments-350800.json, e.g. 350802107-judicial_office`,
    });
  }
});

const noticeKey = z.enum(notices as [Notice, ...Notice[]]);
const phone = z.string().regex(/^\+?\d{5,20}$/, 'a phone number');
const limit = z.object({ limit: z.number().int().min(1), windowMs: z.number().int().min(1) });

export const notifyConfigSchema = z
  .object({
    NOTIFY_PORT: port(8106),
    HOST: commonEnv.HOST,
    LOG_LEVEL: commonEnv.LOG_LEVEL,
    METRICS_TOKEN: commonEnv.METRICS_TOKEN,
    KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
    DATABASE_URL: commonEnv.DATABASE_URL,
    /** Shared by replicas for throttling and the WeChat access token; required when WeChat is configured. */
    REDIS_URL: blankAsUnset(commonEnv.REDIS_URL.optional()),
    JWT_SECRET: z.string().min(32, 'at least 32 characters'),
    AGENCY_WEBHOOKS: agencyWebhooksOfDepartments,
    /** `{"<hotline client id>": {"url","secret"}}`: where each 12345 system takes 办结反馈. */
    HOTLINE_CALLBACKS: hotlineCallbacksEnv,
    COURT_CALLBACKS: courtCallbacksEnv,
    /** The HTTP SMS gateway; without it, SMS go to the outbox file. */
    SMS_GATEWAY_URL: blankAsUnset(endpoint.optional()),
    SMS_PROVIDER: blankAsUnset(
      z
        .string()
        .regex(/^[\w.-]{1,40}$/)
        .default('gateway'),
    ),
    SMS_SECRET: blankAsUnset(z.string().min(16, 'a secret of 16+ characters').optional()),
    SMS_ACCESS_KEY: blankAsUnset(z.string().min(1).optional()),
    /** The registered SMS signature (签名). */
    SMS_SIGN_NAME: blankAsUnset(z.string().min(2).max(12).default('龙岩矛调')),
    /** `{"accepted":"SMS_1","result":"SMS_2","escalation":"SMS_3"}`: carrier-approved template ids. */
    SMS_TEMPLATE_IDS: json(z.partialRecord(noticeKey, z.string().min(1)), '{"accepted":"SMS_123"}'),
    /** The official account that sends template/subscription messages; without it, they go to the outbox file. */
    WECHAT_APPID: blankAsUnset(
      z
        .string()
        .regex(/^[\w-]{4,64}$/, 'the official account AppID')
        .optional(),
    ),
    WECHAT_APP_SECRET: blankAsUnset(z.string().min(16).optional()),
    WECHAT_API_BASE: blankAsUnset(z.url({ protocol: /^https?$/ }).default('https://api.weixin.qq.com')),
    WECHAT_MESSAGE_API: blankAsUnset(z.enum(['template', 'subscribe']).default('template')),
    /** `{"accepted":{"templateId":"…","fields":{"character_string1":"ref",…}}}`; fields default per notice. */
    WECHAT_TEMPLATES: json(
      z.partialRecord(
        noticeKey,
        z.object({ templateId: z.string().min(1), fields: z.record(z.string(), z.string()).optional() }),
      ),
      '{"result":{"templateId":"abc"}}',
    ),
    /** Where a WeChat message leads (the progress page); `?ref=<number>` is appended. */
    WECHAT_LINK_BASE: blankAsUnset(endpoint.optional()),
    /** `{"<division code>": [{"phone":"…"} | {"wechatOpenId":"…"}]}`: the express lane's people per division. */
    EXPRESS_LANE_CONTACTS: json(
      z.record(
        z.string().regex(/^\d{6}(\d{3})?$/, 'a city, county or town code'),
        z.array(
          z
            .object({ phone: phone.optional(), wechatOpenId: z.string().min(1).optional() })
            .refine((c) => c.phone || c.wechatOpenId, 'a phone or a wechatOpenId'),
        ),
      ),
      '{"350802":[{"phone":"13800000000"}]}',
    ),
    /** Per channel overrides: `{"sms":{"provider":{"limit":600,"windowMs":60000},"recipient":{…}}}`. */
    NOTIFY_THROTTLES: json(
      z.record(z.string(), z.object({ provider: limit.optional(), recipient: limit.optional() })),
      '{"sms":{"recipient":{"limit":5,"windowMs":3600000}}}',
    ),
    NOTIFY_MAX_ATTEMPTS: blankAsUnset(z.coerce.number().int().min(1).max(50).default(24)),
    NOTIFY_RETRY_BASE_MS: blankAsUnset(z.coerce.number().int().min(10).default(1_000)),
    NOTIFY_RETRY_MAX_MS: blankAsUnset(z.coerce.number().int().min(100).default(600_000)),
    NOTIFY_SEND_TIMEOUT_MS: blankAsUnset(z.coerce.number().int().min(100).max(60_000).default(5_000)),
    /** Of the 8 sends in flight, the most one receiver (an agency's webhook, a callback client) holds. */
    NOTIFY_SENDS_PER_RECIPIENT: blankAsUnset(z.coerce.number().int().min(1).max(8).default(2)),
    NOTIFY_SLA_REMINDER_HOURS: blankAsUnset(z.coerce.number().min(0).default(24)),
    /** Where deliveries to unconfigured providers are written (one JSON line each). */
    NOTIFY_OUTBOX_FILE: blankAsUnset(z.string().default('data/notify-outbox.jsonl')),
  })
  .refine((env) => !env.SMS_GATEWAY_URL || env.SMS_SECRET, {
    path: ['SMS_SECRET'],
    message: 'required with SMS_GATEWAY_URL',
  })
  .refine((env) => !env.WECHAT_APPID || env.WECHAT_APP_SECRET, {
    path: ['WECHAT_APP_SECRET'],
    message: 'required with WECHAT_APPID',
  })
  // A secret without its AppID is an installation whose AppID did not reach notify (under compose
  // it is NOTIFY_WECHAT_APPID since ingest-wechat's became required): started so, notify would
  // write its citizens' WeChat notices to the outbox file and nobody would be told.
  .refine((env) => !env.WECHAT_APP_SECRET || env.WECHAT_APPID, {
    path: ['WECHAT_APPID'],
    message: 'required with WECHAT_APP_SECRET (docker compose passes NOTIFY_WECHAT_APPID as it)',
  })
  .refine((env) => !env.WECHAT_APPID || env.REDIS_URL, {
    path: ['REDIS_URL'],
    message: 'required with WECHAT_APPID: replicas must share one access token',
  });

export type NotifyConfig = z.infer<typeof notifyConfigSchema>;

export function expressLaneFrom(config: NotifyConfig): Map<string, ExpressLaneContact[]> {
  return new Map(Object.entries(config.EXPRESS_LANE_CONTACTS));
}

export function wechatTemplatesFrom(
  config: NotifyConfig,
  defaults: Record<Notice, Record<string, string>>,
): Partial<Record<Notice, WechatTemplate>> {
  return Object.fromEntries(
    Object.entries(config.WECHAT_TEMPLATES).map(([notice, template]) => [
      notice,
      { templateId: template.templateId, fields: template.fields ?? defaults[notice as Notice] },
    ]),
  );
}

export function throttlesFrom(
  config: NotifyConfig,
  defaults: Record<string, ChannelLimits>,
): Record<string, ChannelLimits> {
  const merged = { ...defaults };
  for (const [channel, override] of Object.entries(config.NOTIFY_THROTTLES)) {
    const base = merged[channel] ?? {
      provider: { limit: 1_000, windowMs: 60_000 },
      recipient: { limit: 100, windowMs: 60_000 },
    };
    merged[channel] = {
      provider: override.provider ?? base.provider,
      recipient: override.recipient ?? base.recipient,
    };
  }
  return merged;
}
