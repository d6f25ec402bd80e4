import { commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';

/** What `buildIngest12345App` needs to know; everything but the clients has a default. */
export interface Ingest12345Settings {
  /** Client id → secret: each hotline system signs its pushes with its own secret. */
  clients: ReadonlyMap<string, string>;
  /** Requests per client per minute (a batch is one request). Default {@link defaultRateLimitPerMinute}. */
  rateLimitPerMinute?: number;
  /** Per-client exceptions to `rateLimitPerMinute`. */
  rateLimits?: ReadonlyMap<string, number>;
}

/** Ten pushes a second from one hotline system is far above its real traffic: the limit stops runaways only. */
export const defaultRateLimitPerMinute = 600;

const clientId = /[\w.-]{1,64}/.source;

/** `id:secret` pairs, comma-separated: each hotline system signs with its own secret. */
export const clientList = z
  .string()
  .regex(
    new RegExp(`^${clientId}:[^,:]{8,}(,${clientId}:[^,:]{8,})*$`),
    'comma-separated client:secret pairs, ids of 1–64 letters, digits, ".", "-", "_", secrets of 8+ characters',
  )
  .transform((value) => new Map(value.split(',').map((pair) => pair.split(':') as [string, string])));

/** `id:limit` pairs, comma-separated: per-client requests per minute. */
export const rateLimitList = z
  .string()
  .regex(
    new RegExp(`^${clientId}:[1-9]\\d{0,6}(,${clientId}:[1-9]\\d{0,6})*$`),
    'comma-separated client:requests-per-minute pairs',
  )
  .transform(
    (value) =>
      new Map(
        value.split(',').map((pair) => {
          const [id, limit] = pair.split(':') as [string, string];
          return [id, Number(limit)] as const;
        }),
      ),
  );

export const ingest12345ConfigSchema = z.object({
  INGEST_12345_PORT: port(8101),
  HOST: commonEnv.HOST,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  METRICS_TOKEN: commonEnv.METRICS_TOKEN,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  REDIS_URL: commonEnv.REDIS_URL,
  HOTLINE_CLIENTS: clientList,
  HOTLINE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(defaultRateLimitPerMinute),
  HOTLINE_RATE_LIMITS: rateLimitList.optional(),
});

export type Ingest12345Config = z.infer<typeof ingest12345ConfigSchema>;

/** The app's settings from the parsed environment. */
export function settingsFrom(config: Ingest12345Config): Ingest12345Settings {
  return {
    clients: config.HOTLINE_CLIENTS,
    rateLimitPerMinute: config.HOTLINE_RATE_LIMIT_PER_MINUTE,
    ...(config.HOTLINE_RATE_LIMITS && { rateLimits: config.HOTLINE_RATE_LIMITS }),
  };
}
