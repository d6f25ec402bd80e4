import { randomUUID } from 'node:crypto';
import type { EventName, EventOf } from '@huijie/contracts/catalogue.ts';
import type { Prisma } from '../generated/prisma/client.ts';

export type Tx = Prisma.TransactionClient;

type Outgoing = { [N in EventName]: { name: N; key: string; data: EventOf<N>; topic?: string } }[EventName];

/** Writes events in the same transaction as the change they announce; the relay publishes them later. */
export async function appendOutbox(tx: Tx, ...events: Outgoing[]): Promise<void> {
  if (events.length === 0) return;
  await tx.outboxEvent.createMany({
    data: events.map((event) => ({
      eventId: randomUUID(),
      eventName: event.name,
      topic: event.topic ?? event.name,
      key: event.key,
      data: event.data as Prisma.InputJsonValue,
    })),
  });
}
