import { sign } from '@huijie/service-kit/signing.ts';
import type { DeliveryChannel } from './channel.ts';

export interface WebhookTarget {
  url: string;
  secret: string;
}

/**
 * An agency's webhook: a signed JSON POST (same scheme as our own push APIs, plus a delivery id
 * the receiver can deduplicate on). 2xx is done; 4xx other than 408/429 will not get better.
 */
export function webhookChannel(targets: Map<string, WebhookTarget>, timeoutMs = 5_000): DeliveryChannel {
  return {
    name: 'webhook',
    async send(message) {
      const target = targets.get(message.recipient);
      if (!target) return { ok: false, detail: `no webhook for ${message.recipient}`, retryable: false };
      const body = JSON.stringify({
        deliveryId: message.deliveryId,
        kind: message.kind,
        data: message.payload,
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-huijie-delivery': message.deliveryId,
            'x-huijie-timestamp': timestamp,
            'x-huijie-signature': sign(target.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return { ok: true, detail: `HTTP ${response.status}` };
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        return { ok: false, detail: `HTTP ${response.status}`, retryable };
      } catch (error) {
        return {
          ok: false,
          detail: (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message,
          retryable: true,
        };
      }
    },
  };
}
