import { blankAsUnset, commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';

export const casesConfigSchema = z.object({
  CASES_PORT: port(8105),
  HOST: commonEnv.HOST,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  METRICS_TOKEN: commonEnv.METRICS_TOKEN,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  DATABASE_URL: commonEnv.DATABASE_URL,
  /** Shares the sign-in attempt limits between replicas; without it each replica counts its own. */
  REDIS_URL: commonEnv.REDIS_URL.optional(),
  /** Signs operators' bearer tokens; every replica must share it. */
  JWT_SECRET: z.string().min(32, 'at least 32 characters'),
  /**
   * After a case is overdue (or was routed, if it came in overdue), each further period of this many
   * hours moves it one level up the express lane; a period after it last went up at the soonest.
   */
  SLA_ESCALATION_PERIOD_HOURS: z.coerce.number().positive().default(72),
  /**
   * How many hours before its deadline a case's lead is told it is due soon on its agency status
   * topic; set it as notify's NOTIFY_SLA_REMINDER_HOURS, which says it on the lead's webhook.
   */
  // Blank is unset (as compose writes an unset one): a blank would be 0, which turns the reminders off.
  SLA_DUE_SOON_HOURS: blankAsUnset(z.coerce.number().min(0).default(24)),
  /**
   * The proxies (load balancers) in front of cases that append to X-Forwarded-For: sign-in limits
   * count per client address, and behind a proxy every operator's address is the proxy's.
   */
  TRUSTED_PROXY_HOPS: blankAsUnset(z.coerce.number().int().min(0).max(5).default(0)),
});

export type CasesConfig = z.infer<typeof casesConfigSchema>;
