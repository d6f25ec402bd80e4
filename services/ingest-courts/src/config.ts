import { commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';
import { type CourtCode, courtCodes } from './courts.ts';

/** Where and how the outcome of a referral is reported back to the court client that made it. */
export interface CourtCallback {
  /** The client's endpoint for outcomes: https, or http only on this machine (demo, tests). */
  url: string;
  /** Signs callbacks; distinct from the client's own secret, so a captured callback can never pass as a referral. */
  secret: string;
}

/** One court system (or a gateway for several courts) allowed to push referrals. */
export interface CourtClient {
  secret: string;
  /** The courts this client may refer for: a referral for any other court is refused (403). */
  courts: ReadonlySet<CourtCode>;
  callback?: CourtCallback;
}

export interface IngestCourtsConfig {
  clients: ReadonlyMap<string, CourtClient>;
  /** Referrals per client per minute; a court pushes tens a day, so the limit only stops runaways. */
  rateLimitPerMinute: number;
}

const secret = z.string().min(8, 'a secret of 8+ characters');
const loopback = new Set(['localhost', '127.0.0.1', '[::1]']);

export const CourtClientEntry = z.object({
  id: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, ".", "-" and "_"'),
  secret,
  courts: z
    .array(z.enum(courtCodes, { error: `a court of Longyan: ${courtCodes.join(', ')}` }))
    .min(1, 'at least one court'),
  callback: z
    .object({
      url: z
        .url({ protocol: /^https?$/ })
        .refine(
          (url) => url.startsWith('https:') || loopback.has(new URL(url).hostname),
          'must be https (http only for localhost)',
        ),
      secret,
    })
    .optional(),
});
export type CourtClientEntry = z.input<typeof CourtClientEntry>;

/** The clients by id, from their entries (the environment variable, or standalone mode's demo client). */
export function courtClients(entries: CourtClientEntry[]): Map<string, CourtClient> {
  return new Map(
    entries.map((entry) => {
      const parsed = CourtClientEntry.parse(entry);
      const client: CourtClient = { secret: parsed.secret, courts: new Set(parsed.courts) };
      if (parsed.callback) client.callback = parsed.callback;
      return [parsed.id, client];
    }),
  );
}

/**
 * The clients' outcome endpoints by client id, in the shape notify's court channel takes
 * (`courtCallbacks`): one list of court clients configures both the intake and the callbacks.
 */
export function courtCallbackTargets(clients: ReadonlyMap<string, CourtClient>): Map<string, CourtCallback> {
  return new Map(
    [...clients].flatMap(([id, client]) => (client.callback ? [[id, client.callback] as const] : [])),
  );
}

/**
 * `COURT_CLIENTS`: a JSON array, one entry per client, e.g.
 * `[{"id":"yd-court","secret":"…","courts":["闽0803"],"callback":{"url":"https://…","secret":"…"}}]`.
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
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  REDIS_URL: commonEnv.REDIS_URL,
  COURT_CLIENTS: courtClientList,
  COURT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
});

export type IngestCourtsEnv = z.infer<typeof ingestCourtsConfigSchema>;
