/** A way to reach a recipient. Adapters never throw: they say whether it worked and whether to retry. */
export interface DeliveryChannel {
  readonly name: string;
  send(message: OutgoingMessage): Promise<SendResult>;
}

export interface OutgoingMessage {
  deliveryId: string;
  kind: string;
  recipient: string;
  payload: unknown;
}

export type SendResult = { ok: true; detail: string } | { ok: false; detail: string; retryable: boolean };
