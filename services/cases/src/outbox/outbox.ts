import { randomUUID } from 'node:crypto';
import type { EventName, EventOf } from '@huijie/contracts/catalogue.ts';
import { topics } from '@huijie/contracts/topics.ts';
import { insertRows } from '../db/insert-rows.ts';
import type { Prisma } from '../generated/prisma/client.ts';

export type Tx = Prisma.TransactionClient;

/**
 * The topics the outbox writes events to under their own names. cases creates them at start, so
 * that the broker does not create them on the first write with its own partition count; an event
 * not listed here must name its topic (a department's or a court's, created on first write).
 */
export const outboxTopics = [
  topics.caseStatus,
  topics.caseEscalation,
  topics.caseCorrection,
  topics.operatorAccess,
] as const;
type OwnTopicEvent = (typeof outboxTopics)[number];

type Outgoing =
  | { [N in OwnTopicEvent]: { name: N; key: string; data: EventOf<N>; topic?: undefined } }[OwnTopicEvent]
  | { [N in EventName]: { name: N; key: string; data: EventOf<N>; topic: string } }[EventName];

/** Writes events in the same transaction as the change they announce; the relay publishes them later. */
export async function appendOutbox(tx: Tx, ...events: Outgoing[]): Promise<void> {
  await insertRows(
    tx,
    'outbox',
    { event_id: 'uuid', event_name: 'text', topic: 'text', key: 'text', data: 'jsonb' },
    events.map((event) => ({
      event_id: randomUUID(),
      event_name: event.name,
      topic: event.topic ?? event.name,
      key: event.key,
      data: event.data,
    })),
  );
}
