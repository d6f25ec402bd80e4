import { type DeliveryChannel, defaultSendTimeoutMs } from './channel.ts';
import { postSigned, type SignedTarget } from './http-send.ts';

/** An agency's webhook, or a source's callback endpoint: where, and the secret that signs. */
export type WebhookTarget = SignedTarget;

/**
 * Signed JSON POSTs to targets chosen by recipient: agencies' webhooks (recipient = department
 * code), the 12345 hotline's and the courts' result callbacks (recipient = their client id).
 * The body is `{deliveryId, kind, data}`. The target is looked up at send time, so a delivery
 * that failed for want of configuration goes through on replay once the target is configured.
 */
export function signedPostChannel(
  name: string,
  targets: ReadonlyMap<string, SignedTarget>,
  timeoutMs = defaultSendTimeoutMs,
): DeliveryChannel {
  return {
    name,
    async send(message) {
      const target = targets.get(message.recipient);
      if (!target)
        return {
          ok: false,
          detail: `no ${name} endpoint configured for ${message.recipient}`,
          retryable: false,
        };
      const body = JSON.stringify({
        deliveryId: message.deliveryId,
        kind: message.kind,
        data: message.payload,
      });
      return postSigned(target, message, body, { timeoutMs });
    },
  };
}

/** An agency's webhook, for agencies that do not run a Kafka consumer. */
export function webhookChannel(
  targets: ReadonlyMap<string, WebhookTarget>,
  timeoutMs = defaultSendTimeoutMs,
): DeliveryChannel {
  return signedPostChannel('webhook', targets, timeoutMs);
}
