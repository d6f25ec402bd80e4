import { webhookHeaders } from '@huijie/contracts/webhooks/envelope.ts';
import { sign, signingHeaders } from '@huijie/service-kit/signing.ts';
import type { OutgoingMessage, SendResult } from './channel.ts';

/** Headers every outgoing request of ours carries, besides the signature: as the webhook documents name them. */
export const deliveryHeaders = {
  /** Stable across tries: receivers deduplicate on it. */
  delivery: webhookHeaders.delivery,
  kind: webhookHeaders.kind,
  attempt: webhookHeaders.attempt,
} as const;

/** The client id our signed requests carry. */
export const notifyClientId = 'huijie-notify';

export interface SignedTarget {
  url: string;
  secret: string;
}

/**
 * POSTs a JSON body signed the way our own push APIs are (HMAC-SHA256 of `timestamp + "." +
 * body`, hex), with the delivery id as header and as Idempotency-Key.
 */
export async function postSigned(
  target: SignedTarget,
  message: Pick<OutgoingMessage, 'deliveryId' | 'kind' | 'attempt'>,
  body: string,
  options: {
    timeoutMs: number;
    headers?: Record<string, string>;
    inspect?: (status: number, text: string) => SendResult;
  },
): Promise<SendResult> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return postJson(target.url, body, {
    timeoutMs: options.timeoutMs,
    ...(options.inspect && { inspect: options.inspect }),
    headers: {
      ...options.headers,
      [deliveryHeaders.delivery]: message.deliveryId,
      [deliveryHeaders.kind]: message.kind,
      [deliveryHeaders.attempt]: String(message.attempt),
      [webhookHeaders.idempotencyKey]: message.deliveryId,
      // Who signs: receivers can check us with the same code that checks their pushes to us.
      [signingHeaders.client]: notifyClientId,
      [signingHeaders.timestamp]: timestamp,
      [signingHeaders.signature]: sign(target.secret, timestamp, body),
    },
  });
}

/**
 * One JSON POST and what its answer means for a retry: 2xx is done; 408, 425, 429 and 5xx may get
 * better; other 4xx will not; redirects are not followed (a webhook that moved is a configuration
 * matter). `inspect` lets an adapter read a 2xx body that can still say "failed" (SMS gateways).
 */
export async function postJson(
  url: string,
  body: string,
  options: {
    timeoutMs: number;
    headers?: Record<string, string>;
    inspect?: (status: number, text: string) => SendResult;
  },
): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    return { ok: false, detail: describeFetchError(error, options.timeoutMs), retryable: true };
  }
  const status = response.status;
  let text = '';
  try {
    text = options.inspect ? await readText(response, options.timeoutMs) : '';
  } catch (error) {
    return { ok: false, detail: describeFetchError(error, options.timeoutMs), retryable: true, status };
  } finally {
    await response.body?.cancel().catch(() => {});
  }
  if (status >= 200 && status < 300) {
    return options.inspect ? options.inspect(status, text) : { ok: true, detail: `HTTP ${status}`, status };
  }
  const retryable = status >= 500 || status === 408 || status === 425 || status === 429;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return {
    ok: false,
    detail: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`,
    retryable,
    status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

async function readText(response: Response, timeoutMs: number): Promise<string> {
  // A receiver that sends its headers and then stalls is as good as one that never answered.
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      response.text(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('body timed out'), { name: 'TimeoutError' })),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  // fetch says "fetch failed"; the reason (ECONNREFUSED, ECONNRESET…) is in its cause.
  return err.cause?.code ? `${err.message} (${err.cause.code})` : err.message;
}

/** Retry-After as seconds or an HTTP date; capped at an hour. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, 3_600_000);
}
