import { commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';
import { type CourtCode, courtCodes } from './courts.ts';

/** One court system (or a gateway for several courts) allowed to push referrals. */
export interface CourtClient {
  secret: string;
  /** The courts this client may refer for: a referral for any other court is refused (403). */
  courts: ReadonlySet<CourtCode>;
}

export interface IngestCourtsConfig {
  clients: ReadonlyMap<string, CourtClient>;
  /** Referrals per client per minute; a court pushes tens a day, so the limit only stops runaways. */
  rateLimitPerMinute: number;
}

const secret = z.string().min(8, 'a secret of 8+ characters');

/** Strict: a misspelt key is refused, not ignored (a client whose settings silently do nothing). */
export const CourtClientEntry = z.strictObject({
  id: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, ".", "-" and "_"'),
  secret,
  courts: z
    .array(z.enum(courtCodes, { error: `a court of Longyan: ${courtCodes.join(', ')}` }))
    .min(1, 'at least one court'),
  // Outcomes go back through notify, which reads its own variable; here the key did nothing.
  callback: z
    .never({
      error: 'the outcomes\' callbacks are notify\'s: COURT_CALLBACKS={"<client id>":{"url","secret"}}',
    })
    .optional(),
});
export type CourtClientEntry = z.input<typeof CourtClientEntry>;

/** The clients by id, from their entries (the environment variable, or standalone mode's demo client). */
export function courtClients(entries: CourtClientEntry[]): Map<string, CourtClient> {
  return new Map(
    entries.map((entry) => {
      const parsed = CourtClientEntry.parse(entry);
      return [parsed.id, { secret: parsed.secret, courts: new Set(parsed.courts) }];
    }),
  );
}

/**
 * `COURT_CLIENTS`: a JSON array, one entry per client, e.g.
 * `[{"id":"yd-court","secret":"…","courts":["闽0803"]}]`. Where each client's outcomes go back is
 * notify's `COURT_CALLBACKS`.
 */
export const courtClientList = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of court clients' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(CourtClientEntry)
      .min(1, 'at least one court client')
      .refine(
        (list) => new Set(list.map((entry) => entry.id)).size === list.length,
        'client ids must be unique',
      ),
  )
  .transform(courtClients);

export const ingestCourtsConfigSchema = z.object({
  INGEST_COURTS_PORT: port(8103),
  HOST: commonEnv.HOST,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  METRICS_TOKEN: commonEnv.METRICS_TOKEN,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  REDIS_URL: commonEnv.REDIS_URL,
  COURT_CLIENTS: courtClientList,
  COURT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
});

export type IngestCourtsEnv = z.infer<typeof ingestCourtsConfigSchema>;
