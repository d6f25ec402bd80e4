import { sign } from '@huijie/service-kit/signing.ts';

export interface PushedOrder {
  /** The order's place in the pusher's sequence (1, 2, …). */
  sequence: number;
  orderNo: string;
  phone: string;
  disputeId: string;
  /** Tries until the 202, the 202 included. */
  tries: number;
  duplicate: boolean;
  /** When the order was first sent and when it was acknowledged (epoch ms). */
  firstAt: number;
  ackedAt: number;
}

/** What came back to the pusher, by kind: 202, 503, other statuses, network errors, timeouts. */
export type Answers = Record<string, number>;

/** Guo's work order (MISSION.md), with its own order number and caller phone each time. */
export function workOrder(orderNo: string, phone: string) {
  return {
    orderNo,
    receivedAt: new Date().toISOString(),
    content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
    caller: { name: '郭某', phone },
    location: { address: '福建省龙岩市新罗区江山镇' },
    category: { code: '0301', name: '劳动保障-欠薪' },
  };
}

/**
 * A 12345 hotline system pushing work orders at a steady rate, as the real one does: each
 * order is signed and sent until it is acknowledged with a 202; a 503, a refused connection
 * or no answer within `requestTimeoutMs` means "try again", after the server's Retry-After
 * (capped, so the test stays short) or a short pause.
 */
export class Pusher {
  /** Acknowledged orders by order number. */
  readonly acked = new Map<string, PushedOrder>();
  /** Orders given up on after `orderDeadlineMs` (a hotline system would raise an alarm). */
  readonly abandoned: string[] = [];
  /** Orders answered with a 4xx other than 429: a bug, never retried. */
  readonly rejected: { orderNo: string; status: number; body: string }[] = [];
  readonly answers: Answers = {};
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;

  constructor(
    private readonly options: {
      url: () => string;
      client: { id: string; secret: string };
      /** Prefix of order numbers and caller phones, unique to the test. */
      tag: string;
      perSecond: number;
      requestTimeoutMs?: number;
      orderDeadlineMs?: number;
      maxRetryAfterMs?: number;
    },
  ) {}

  get sent(): number {
    return this.sequence;
  }

  start(): void {
    const every = Math.round(1000 / this.options.perSecond);
    this.timer = setInterval(() => this.pushNext(), every);
  }

  /** Pushes `count` orders at once (outside the steady rate) and waits for their 202s. */
  async burst(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.pushNext()));
  }

  /** Stops sending new orders and waits until every order sent is acknowledged or abandoned. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** The dispute ids the platform acknowledged. */
  disputeIds(): string[] {
    return [...this.acked.values()].map((order) => order.disputeId);
  }

  /** Dispute ids of orders first sent after the `mark`-th, in the order they were sent. */
  acknowledgedAfter(mark: number): string[] {
    return [...this.acked.values()]
      .filter((order) => order.sequence > mark)
      .sort((a, b) => a.sequence - b.sequence)
      .map((order) => order.disputeId);
  }

  private count(kind: string) {
    this.answers[kind] = (this.answers[kind] ?? 0) + 1;
  }

  private pushNext(): Promise<void> {
    this.sequence += 1;
    const n = this.sequence;
    // Every order has its own caller: the same caller twice would rightly be one case (a repeat).
    const phone = `139${String(Number.parseInt(this.options.tag.slice(-4), 16) % 1000).padStart(3, '0')}${String(n).padStart(5, '0')}`;
    const order = workOrder(`${this.options.tag}-${n}`, phone);
    const work = this.pushUntilAcknowledged(n, order, phone).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
    return work;
  }

  private async pushUntilAcknowledged(
    sequence: number,
    order: ReturnType<typeof workOrder>,
    phone: string,
  ): Promise<void> {
    const raw = JSON.stringify(order);
    const firstAt = Date.now();
    const deadline = firstAt + (this.options.orderDeadlineMs ?? 120_000);
    for (let tries = 1; ; tries++) {
      let pauseMs = 250;
      try {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const answer = await fetch(`${this.options.url()}/v1/work-orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-huijie-client': this.options.client.id,
            'x-huijie-timestamp': timestamp,
            'x-huijie-signature': sign(this.options.client.secret, timestamp, raw),
          },
          body: raw,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
        });
        const body = await answer.text();
        this.count(String(answer.status));
        if (answer.status === 202) {
          const { disputeId, duplicate } = JSON.parse(body) as { disputeId: string; duplicate: boolean };
          this.acked.set(order.orderNo, {
            sequence,
            orderNo: order.orderNo,
            phone,
            disputeId,
            tries,
            duplicate,
            firstAt,
            ackedAt: Date.now(),
          });
          return;
        }
        if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
          this.rejected.push({ orderNo: order.orderNo, status: answer.status, body });
          return;
        }
        const retryAfter = Number(answer.headers.get('retry-after'));
        if (retryAfter > 0) pauseMs = Math.min(retryAfter * 1000, this.options.maxRetryAfterMs ?? 1_000);
      } catch (error) {
        const cause = (error as { cause?: { code?: string; name?: string } }).cause;
        this.count(
          (error as Error).name === 'TimeoutError'
            ? 'timeout'
            : `network error ${cause?.code ?? cause?.name ?? (error as Error).message}`,
        );
      }
      if (Date.now() + pauseMs > deadline) {
        this.abandoned.push(order.orderNo);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
