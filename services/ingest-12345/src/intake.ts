import { type DisputeReceivedV1, reminderPosition } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { intakeEventId } from '@huijie/contracts/ids.ts';
import type { EventBus, OutgoingEvent } from '@huijie/event-bus/bus.ts';
import type { ErrorBody } from '@huijie/service-kit/errors.ts';
import type { IdempotencyStore } from '@huijie/service-kit/idempotency.ts';
import {
  abandon,
  type Position,
  planRevision,
  type RevisionPlan,
  recordWritten,
} from '@huijie/service-kit/revisions.ts';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { fingerprintOf, normaliseWorkOrder, type WorkOrder } from './work-order.ts';

/** What became of one work order that passed validation. */
export type Outcome =
  | { status: 202; disputeId: string; duplicate: boolean; revision: number; superseded?: true }
  | { status: 409 | 503; error: ErrorBody['error']; retryAfterSeconds?: number };

export interface IntakeContext {
  clientId: string;
  bus: EventBus;
  store: IdempotencyStore;
  /** The request's logger: ids and outcomes only, never personal data. */
  log: Pick<FastifyBaseLogger, 'warn'>;
  /** How long a push waits for a concurrent push of the same order to finish writing. */
  waitMs?: number;
}

/**
 * Each revision of an order has its own key (revisions.ts). It does not name the client: the order
 * number is the hotline's, and the dispute id is derived from it alone, so two clients pushing one
 * order number speak of one dispute.
 */
export const revisionKey = (orderNo: string, revision: number) => `12345:order:${orderNo}:r${revision}`;

interface Prepared {
  dispute: DisputeReceivedV1;
  fingerprint: string;
  /**
   * How far the caller's reminders (催办) had gone when the hotline pushed: the count, then the
   * time of the last one (ms). It only grows on the hotline's side, so a push behind a revision
   * already taken is an older state of the order delivered late.
   */
  reminder: Position | undefined;
}

function prepare(order: WorkOrder, clientId: string): Prepared {
  // Checked against the contract once, by bus.publish, before anything is written; a failure
  // there is our bug and answered 500 (see takeInRound), never "broker down". What a valid
  // order normalises to always fits the contract, and parsing it changes nothing the
  // fingerprint covers (work-order.property.test.ts).
  const dispute = normaliseWorkOrder(order, { clientId });
  const reminder = dispute.hotline?.reminder;
  return {
    dispute,
    fingerprint: fingerprintOf(dispute),
    // Only a push that carries a 催办 is placed against those taken: one without is a plain update
    // (new content, a new place), which the hotline need not send with the reminder again.
    reminder: reminder && reminderPosition(reminder),
  };
}

const unavailable = (message: string, retryAfterSeconds: number): Outcome => ({
  status: 503,
  error: { code: 'unavailable', message, fields: [] },
  retryAfterSeconds,
});

/**
 * Takes validated work orders in: each becomes a new dispute (revision 1), an update of its
 * dispute (revision n + 1), or a duplicate of a revision already written. The events of every
 * order that needs one are written in one publish — one broker round trip — and an order is
 * answered 202 only when its event is durable. Orders sharing an order number are taken in
 * their order, one per round, so that the later one sees what the earlier one wrote.
 */
export async function takeIn(orders: WorkOrder[], context: IntakeContext): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(orders.length);
  const prepared = orders.map((order) => prepare(order, context.clientId));
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  orders.forEach((order, index) => {
    const round = seen.get(order.orderNo) ?? 0;
    seen.set(order.orderNo, round + 1);
    const members = rounds[round] ?? [];
    members.push(index);
    rounds[round] = members;
  });
  for (const round of rounds) await takeInRound(round, prepared, outcomes, context);
  return outcomes;
}

async function takeInRound(
  indexes: number[],
  prepared: Prepared[],
  outcomes: Outcome[],
  context: IntakeContext,
): Promise<void> {
  const plans = await Promise.all(
    indexes.map(async (index): Promise<RevisionPlan | { kind: 'store_down' }> => {
      const { dispute, fingerprint, reminder } = prepared[index]!;
      try {
        return await planRevision(context.store, (n) => revisionKey(dispute.sourceRef, n), fingerprint, {
          position: reminder,
          ...(context.waitMs !== undefined && { waitMs: context.waitMs }),
        });
      } catch (error) {
        context.log.warn({ orderNo: dispute.sourceRef, err: error }, 'store unreachable');
        return { kind: 'store_down' };
      }
    }),
  );
  const writes: { index: number; key: string; dispute: DisputeReceivedV1 }[] = [];
  indexes.forEach((index, position) => {
    const plan = plans[position]!;
    const { dispute } = prepared[index]!;
    switch (plan.kind) {
      case 'write':
        writes.push({ index, key: plan.key, dispute: { ...dispute, revision: plan.revision } });
        return;
      case 'duplicate':
        outcomes[index] = {
          status: 202,
          disputeId: dispute.disputeId,
          duplicate: true,
          revision: plan.revision,
        };
        return;
      case 'superseded':
        // Acknowledged (the hotline need not push it again), but the newer revision stands.
        outcomes[index] = {
          status: 202,
          disputeId: dispute.disputeId,
          duplicate: true,
          revision: plan.revision,
          superseded: true,
        };
        return;
      case 'busy':
        outcomes[index] = unavailable('the same order is being written by another request; retry', 1);
        return;
      case 'store_down':
        outcomes[index] = unavailable('the idempotency store is unavailable; retry later', 5);
        return;
      case 'exhausted':
        outcomes[index] = {
          status: 409,
          error: {
            code: 'too_many_revisions',
            message: 'this order already has the most revisions one order may have',
            fields: [{ field: 'orderNo', reason: 'too many updates of one order' }],
          },
        };
        return;
      default: {
        const unreachable: never = plan;
        throw new Error(`unknown plan ${JSON.stringify(unreachable)}`);
      }
    }
  });
  if (writes.length === 0) return;

  const events: OutgoingEvent[] = writes.map(({ dispute }) => ({
    name: 'dispute.intake.v1',
    key: dispute.disputeId,
    data: dispute,
    id: intakeEventId(dispute.disputeId, dispute.revision),
    correlationId: dispute.disputeId,
  }));
  try {
    await context.bus.publish(events);
  } catch (error) {
    await Promise.all(writes.map(({ key }) => abandon(context.store, key)));
    // An event that does not fit its contract was refused before anything was written: our bug, a 500.
    if (error instanceof z.ZodError) throw error;
    context.log.warn({ orders: writes.length, err: error }, 'work orders not written');
    for (const { index } of writes)
      outcomes[index] = unavailable('the event log is unavailable; retry later', 5);
    return;
  }
  await Promise.all(
    writes.map(async ({ index, key, dispute }) => {
      const { fingerprint, reminder } = prepared[index]!;
      try {
        await recordWritten(context.store, key, fingerprint, reminder);
        outcomes[index] = {
          status: 202,
          disputeId: dispute.disputeId,
          duplicate: false,
          revision: dispute.revision,
        };
      } catch (error) {
        // Written but not remembered: a retry writes the same event again (same event id, so
        // consumers drop it) — better than a 202 a retry could not reproduce.
        context.log.warn({ orderNo: dispute.sourceRef, err: error }, 'store unreachable');
        await abandon(context.store, key);
        outcomes[index] = unavailable('the idempotency store is unavailable; retry later', 5);
      }
    }),
  );
}
