import { z } from 'zod';

/**
 * How far a signed request's timestamp may be from the receiver's clock: further, and it is
 * refused, so a captured request cannot be replayed later. The same for pushes we receive
 * (service-kit's signing) and requests we send.
 */
export const maxClockSkewSeconds = 300;

/**
 * The headers of every signed POST notify makes (agency webhooks, the hotline's and courts'
 * result callbacks). Named here so the published documents and the sender say the same thing.
 */
export const webhookHeaders = {
  delivery: 'x-huijie-delivery',
  kind: 'x-huijie-kind',
  attempt: 'x-huijie-attempt',
  idempotencyKey: 'idempotency-key',
  client: 'x-huijie-client',
  timestamp: 'x-huijie-timestamp',
  signature: 'x-huijie-signature',
} as const;

/** How a receiver checks a request and what it must do with a repeat: the same text in every document. */
export const webhookSigning = [
  'Every request is a JSON POST (`content-type: application/json; charset=utf-8`) signed with the secret agreed for the endpoint.',
  `\`${webhookHeaders.timestamp}\`: unix seconds when this try was signed; refuse one more than ${maxClockSkewSeconds} s from your clock, so a captured request cannot be replayed later.`,
  `\`${webhookHeaders.signature}\`: lowercase hex HMAC-SHA256, keyed with the secret, of \`timestamp + "." + body\` (the raw body bytes as received, before any JSON parsing); compare in constant time.`,
  `\`${webhookHeaders.client}\`: \`huijie-notify\`, the platform as the signer.`,
  `\`${webhookHeaders.delivery}\` (also \`${webhookHeaders.idempotencyKey}\`, and \`deliveryId\` in the body): the same on every try of one delivery. A try whose answer we lost is sent again: deduplicate on it and act once.`,
  `\`${webhookHeaders.kind}\`: the body's \`kind\`. \`${webhookHeaders.attempt}\`: 1 for the first try.`,
  'Answer 2xx once the delivery is stored. 408, 425, 429 and 5xx are retried with backoff (Retry-After is honoured, up to an hour), by default for at least 74 minutes (24 tries); other 4xx are not: the delivery waits as a dead letter that an operator can replay once the endpoint is fixed. Redirects are not followed; an answer later than the send timeout (5 s unless configured otherwise) counts as a failure and is retried.',
  'Deliveries of one dispute to you come in the order they were recorded: one waits while an earlier one of the same dispute is still being retried, so an `assignment_update` or a `withdrawal` never comes before the assignment it follows. A dead letter does not hold back what follows it, and is not replayed once something later of the same dispute has gone to you.',
  'Fields may be added within a kind; ignore those you do not know.',
].join('\n\n');

/** The body of one signed POST: the delivery's id, its kind and the kind's data. */
export function signedPostBody<K extends string, D extends z.ZodType>(kind: K, data: D, meaning: string) {
  return z
    .object({
      deliveryId: z
        .uuid()
        .describe(
          `The delivery: the same on every try of it (also in the ${webhookHeaders.delivery} header). Deduplicate on it.`,
        ),
      kind: z.literal(kind).describe(`\`${kind}\`: ${meaning}`),
      data: data.describe(meaning),
    })
    .describe(meaning);
}
