import { blankAsUnset, commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';
import { parseEncodingAesKey } from './wechat/crypto.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const encodingAesKey = blankAsUnset(
  z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      try {
        parseEncodingAesKey(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
);

export const ingestWechatConfigSchema = z
  .object({
    INGEST_WECHAT_PORT: port(8102),
    HOST: commonEnv.HOST,
    LOG_LEVEL: commonEnv.LOG_LEVEL,
    METRICS_TOKEN: commonEnv.METRICS_TOKEN,
    KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
    REDIS_URL: commonEnv.REDIS_URL,
    /** The Token set in the official account's server configuration (3–32 letters and digits). */
    WECHAT_TOKEN: z.string().regex(/^[A-Za-z0-9]{3,32}$/, '3 to 32 letters and digits, as WeChat requires'),
    /** The official account's AppID: safe-mode envelopes must be addressed to it. */
    WECHAT_APPID: z.string().regex(/^[\w-]{4,64}$/, 'the official account AppID'),
    /** Set for safe (AES) and compatible modes. */
    WECHAT_ENCODING_AES_KEY: encodingAesKey,
    /**
     * The key in use before the last change in the account's console. WeChat's FAQ asks to keep
     * it: messages encrypted before the change still arrive (and are retried) with it.
     */
    WECHAT_PREVIOUS_ENCODING_AES_KEY: encodingAesKey,
    /** plaintext | compatible | safe, as set in the account; defaults to safe when a key is set, else plaintext. */
    WECHAT_MESSAGE_MODE: blankAsUnset(z.enum(['plaintext', 'compatible', 'safe']).optional()),
    /** Where citizens reach this service: the QR codes and the account's replies link to `<base>/apply`. */
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, '')),
    /** Proxies in front of the service that append to X-Forwarded-For (0: use the socket's address). */
    TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
    APPLICATIONS_PER_PHONE_PER_DAY: positiveInt(5),
    REQUESTS_PER_IP_PER_10_MIN: positiveInt(60),
    LOOKUPS_PER_APPLICATION_PER_HOUR: positiveInt(10),
    PAGES_PER_IP_PER_10_MIN: positiveInt(300),
  })
  .refine(
    (env) =>
      env.WECHAT_MESSAGE_MODE === 'plaintext' ||
      env.WECHAT_MESSAGE_MODE === undefined ||
      env.WECHAT_ENCODING_AES_KEY,
    {
      path: ['WECHAT_ENCODING_AES_KEY'],
      message: 'required for the compatible and safe message modes',
    },
  );

export type IngestWechatConfig = z.infer<typeof ingestWechatConfigSchema>;

/** What the app itself needs, apart from the process-level settings (port, host, brokers). */
export interface IngestWechatSettings {
  wechat: {
    token: string;
    appId: string;
    encodingAesKey?: string | undefined;
    /** The key before the last change, still tried on messages the current key cannot open. */
    previousEncodingAesKey?: string | undefined;
    mode: 'plaintext' | 'compatible' | 'safe';
    /** A signed request older or newer than this is refused (replay of a captured URL). */
    maxClockSkewSeconds?: number;
    /** WeChat gives up after 5 s and retries: answer before. */
    replyDeadlineMs?: number;
  };
  publicBaseUrl: string;
  trustedProxyHops?: number;
  limits?: Partial<Limits>;
}

export interface Limits {
  applicationsPerPhonePerDay: number;
  requestsPerIpPer10Min: number;
  lookupsPerApplicationPerHour: number;
  /** The form, the tracking page and the QR codes (a 2000-pixel PNG costs ~250 ms of CPU). */
  pagesPerIpPer10Min: number;
}

export const defaultLimits: Limits = {
  applicationsPerPhonePerDay: 5,
  requestsPerIpPer10Min: 60,
  lookupsPerApplicationPerHour: 10,
  pagesPerIpPer10Min: 300,
};

export function settingsFrom(config: IngestWechatConfig): IngestWechatSettings {
  return {
    wechat: {
      token: config.WECHAT_TOKEN,
      appId: config.WECHAT_APPID,
      encodingAesKey: config.WECHAT_ENCODING_AES_KEY,
      previousEncodingAesKey: config.WECHAT_PREVIOUS_ENCODING_AES_KEY,
      mode: config.WECHAT_MESSAGE_MODE ?? (config.WECHAT_ENCODING_AES_KEY ? 'safe' : 'plaintext'),
    },
    publicBaseUrl: config.PUBLIC_BASE_URL,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    limits: {
      applicationsPerPhonePerDay: config.APPLICATIONS_PER_PHONE_PER_DAY,
      requestsPerIpPer10Min: config.REQUESTS_PER_IP_PER_10_MIN,
      lookupsPerApplicationPerHour: config.LOOKUPS_PER_APPLICATION_PER_HOUR,
      pagesPerIpPer10Min: config.PAGES_PER_IP_PER_10_MIN,
    },
  };
}
