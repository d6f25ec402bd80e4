import { commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';

/** `{"<department code>": {"url": "...", "secret": "..."}}`: agencies that take webhooks instead of Kafka. */
const webhooks = z
  .string()
  .default('{}')
  .transform((value, ctx) => {
    try {
      return JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.object({ url: z.url(), secret: z.string().min(16) })));

export const notifyConfigSchema = z.object({
  NOTIFY_PORT: port(8106),
  HOST: commonEnv.HOST,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  DATABASE_URL: commonEnv.DATABASE_URL,
  JWT_SECRET: z.string().min(32, 'at least 32 characters'),
  AGENCY_WEBHOOKS: webhooks,
  /** Where deliveries to recipients without a webhook are written (one JSON line each). */
  NOTIFY_OUTBOX_FILE: z.string().default('data/notify-outbox.jsonl'),
});

export type NotifyConfig = z.infer<typeof notifyConfigSchema>;
