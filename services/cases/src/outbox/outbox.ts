import { randomUUID } from 'node:crypto';
import type { EventName, EventOf } from '@huijie/contracts/catalogue.ts';
import { insertRows } from '../db/insert-rows.ts';
import type { Prisma } from '../generated/prisma/client.ts';

export type Tx = Prisma.TransactionClient;

type Outgoing = { [N in EventName]: { name: N; key: string; data: EventOf<N>; topic?: string } }[EventName];

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
