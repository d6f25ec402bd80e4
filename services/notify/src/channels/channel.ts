/**
 * A way to reach a recipient. Adapters never throw: they say whether it worked and whether to
 * retry. The delivery id is the same on every try of a delivery, and every adapter hands it to
 * the receiver (header, request id, client_msg_id): a receiver that got a try whose answer we
 * lost (a crash between send and mark) recognises the next try as the same message.
 */
export interface DeliveryChannel {
  readonly name: string;
  /**
   * A stand-in for a provider that is not configured: it writes to the outbox file, so what it
   * takes reaches nobody. Its deliveries are still `delivered`; the metrics count them apart.
   */
  readonly outboxFile?: true;
  send(message: OutgoingMessage): Promise<SendResult>;
}

export interface OutgoingMessage {
  deliveryId: string;
  kind: string;
  recipient: string;
  payload: unknown;
  /** 1 for the first try. */
  attempt: number;
}

export type SendResult =
  | { ok: true; detail: string; status?: number }
  | {
      ok: false;
      detail: string;
      retryable: boolean;
      status?: number;
      /** The receiver asked us to wait this long (Retry-After). */
      retryAfterMs?: number;
      /**
       * This person cannot be reached on this channel at all (a WeChat user who unfollowed the
       * account or refused its messages), as opposed to a fault of ours: another channel may reach them.
       */
      unreachable?: boolean;
    };

/** How long a receiver has to answer one try before it counts as failed (and is retried). */
export const defaultSendTimeoutMs = 5_000;
