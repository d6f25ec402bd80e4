import { checkEvent, type EventName, type EventOf, eventNameOfType } from '@huijie/contracts/catalogue.ts';
import { ceHeaders, dlqHeaders, fromHeaders, redriveHeaders } from '@huijie/contracts/cloudevents.ts';
import { deadLetterTopic } from '@huijie/contracts/topics.ts';
import { errorForLog, errorReason, maskPersonalData } from '@huijie/database/error-for-log.ts';
import { isDatabaseUnavailable } from '@huijie/database/unavailable.ts';
import type { DeliveryContext, Engine, RawMessage } from './engine.ts';

export interface HandlerContext {
  eventId: string;
  key: string;
  topic: string;
  partition: number;
  offset: string;
  time: string;
  correlationId: string | undefined;
  /** 1 on first delivery to the handler, counting up with each retry. */
  attempt: number;
  signal: AbortSignal;
}

export type Handler<N extends EventName> = (event: EventOf<N>, ctx: HandlerContext) => Promise<void>;
export type HandlerMap = { [N in EventName]?: Handler<N> };

export interface RetryPolicy {
  /** Handler attempts before the message is dead-lettered. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * Failures that say a dependency is away (the database unreachable), not that the message is
   * bad: they do not count towards `attempts`, the handler is retried (with backoff) until it
   * succeeds or the subscription stops, and the partition waits. Dead-lettering them would
   * lose every event that arrived during an outage.
   */
  transient?: (error: unknown) => boolean;
}

/** What counts as transient when a policy does not say: the database could not be reached. */
const defaultTransient = isDatabaseUnavailable;
const transientMaxDelayMs = 3_000;

/** Throw from a handler when retrying cannot help (the event contradicts the state): dead-letter at once. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

export interface DeadLetterInfo {
  group: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  attempts: number;
}

/**
 * Where the runner says that it parked a message: the service's logger (pino's `warn` takes this
 * shape). The event bus does not depend on the service kit, whose logger this is.
 */
export interface BusLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface BusObserver {
  handled?(info: { group: string; topic: string; event: EventName; ms: number }): void;
  retried?(info: { group: string; topic: string; attempt: number; error: string }): void;
  deadLettered?(info: DeadLetterInfo): void;
}

type Outcome = { ok: true } | { ok: false; reason: string; attempts: number };

/**
 * The one place a consumed message becomes work: parse → validate → handle → bounded retry →
 * dead letter. It never throws for a bad message or a failing handler, so a partition always
 * moves on; it throws only when it could not park the message (the engine then redelivers)
 * or when the subscription is stopping mid-retry (the offset stays uncommitted).
 */
export async function runMessage(
  message: RawMessage,
  delivery: DeliveryContext,
  deps: {
    group: string;
    handlers: HandlerMap;
    retry: RetryPolicy;
    engine: Engine;
    observer?: BusObserver | undefined;
    logger?: BusLogger | undefined;
  },
): Promise<void> {
  // A dead letter sent again is for the group that parked it: the others handled it the first time.
  const redrivenFor = message.headers[redriveHeaders.group];
  if (redrivenFor !== undefined && redrivenFor !== deps.group) return;
  const outcome = await evaluate(message, delivery, deps);
  if (outcome.ok) return;
  // Operators and partner agencies read dead letters: the reason names what failed, never whom.
  const reason = maskPersonalData(outcome.reason).slice(0, 2000);
  const info: DeadLetterInfo = {
    group: deps.group,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    reason: outcome.reason,
    attempts: outcome.attempts,
  };
  const parkedOn = deadLetterTopic(message.topic);
  await deps.engine.produce([
    {
      topic: parkedOn,
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        // The topic as the services name it, like the group: under KAFKA_NAMESPACE the engine
        // adds the prefix on the way to the broker and takes it off on the way back
        // (namespaced-engine.ts), so the services, their metrics and a replay through a bus of
        // the same namespace all use this name. Meant, not lost: see README "Reliability".
        [dlqHeaders.topic]: message.topic,
        [dlqHeaders.partition]: String(message.partition),
        [dlqHeaders.offset]: message.offset,
        [dlqHeaders.group]: deps.group,
        [dlqHeaders.error]: reason,
        [dlqHeaders.attempts]: String(outcome.attempts),
        [dlqHeaders.failedAt]: new Date().toISOString(),
      },
    },
  ]);
  deps.observer?.deadLettered?.(info);
  // One line per message parked, where it came from and why: never the message's value, which
  // may hold names and phone numbers (the dead-letter topic keeps it for an operator to replay).
  deps.logger?.warn(
    {
      group: deps.group,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      ...eventOf(message),
      attempts: outcome.attempts,
      reason,
      deadLetterTopic: parkedOn,
    },
    'message dead-lettered',
  );
}

/** The CloudEvents type and id the message's headers give, when they give them: fit for a log. */
export function eventOf(message: RawMessage): { eventType?: string; eventId?: string } {
  // A producer's headers, unvalidated when the message was parked for them: the type is logged when
  // it is one of the platform's, the id when it has the shape of one. Any other text is the
  // producer's, a name as likely as not, which masking numbers would let through; the dead letter
  // keeps the headers as they came, for whoever replays it.
  const type = message.headers[ceHeaders.type];
  const eventType = type ? (eventNameOfType(type) ? type : '[unknown]') : undefined;
  // Every id the platform gives an event is a UUID (bus.ts, contracts' ids.ts).
  const id = message.headers[ceHeaders.id];
  const eventId = id ? (uuidShape.test(id) ? id : '[malformed]') : undefined;
  return { ...(eventType && { eventType }), ...(eventId && { eventId }) };
}

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function evaluate(
  message: RawMessage,
  delivery: DeliveryContext,
  deps: { group: string; handlers: HandlerMap; retry: RetryPolicy; observer?: BusObserver | undefined },
): Promise<Outcome> {
  const header = fromHeaders(message.headers);
  if (!header.ok)
    return { ok: false, reason: `header ${header.problem.field}: ${header.problem.reason}`, attempts: 0 };
  const name = eventNameOfType(header.attrs.type);
  // The type itself is not repeated: the reason is logged, and the dead letter keeps the header.
  if (!name) return { ok: false, reason: 'ce_type: not an event type this version knows', attempts: 0 };
  const handler = deps.handlers[name] as Handler<typeof name> | undefined;
  // A topic may carry events this consumer does not care about: that is not a failure.
  if (!handler) return { ok: true };

  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `body: not JSON (${errorForLog(error).reason})`, attempts: 0 };
  }
  const checked = checkEvent(name, json);
  if (!checked.ok) return { ok: false, reason: `body: invalid ${name}: ${checked.reason}`, attempts: 0 };

  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      await handler(checked.data as never, {
        eventId: header.attrs.id,
        key: message.key,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        time: header.attrs.time,
        correlationId: header.attrs.correlationId,
        attempt,
        signal: delivery.signal,
      });
      deps.observer?.handled?.({
        group: deps.group,
        topic: message.topic,
        event: name,
        ms: performance.now() - started,
      });
      return { ok: true };
    } catch (error) {
      const reason = `handler: ${errorReason(error)}`;
      if (error instanceof PermanentError) return { ok: false, reason, attempts: attempt };
      const transient = (deps.retry.transient ?? defaultTransient)(error);
      if (!transient) failures += 1;
      if (failures >= deps.retry.attempts) return { ok: false, reason, attempts: attempt };
      deps.observer?.retried?.({ group: deps.group, topic: message.topic, attempt, error: reason });
      const delay = backoff(attempt, deps.retry);
      // A dependency coming back is noticed within seconds, however long it was away.
      await sleep(transient ? Math.min(delay, transientMaxDelayMs) : delay, delivery.signal);
      await delivery.heartbeat();
    }
  }
}

/** Exponential backoff with jitter, so many failing consumers do not retry in lockstep. */
export function backoff(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('subscription stopping'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('subscription stopping'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
