import { randomUUID } from 'node:crypto';
import type { EventName, EventOf } from '@huijie/contracts/catalogue.ts';
import type { Prisma } from '../generated/prisma/client.ts';

export type Tx = Prisma.TransactionClient;

/** Writes an event in the same transaction as the change it announces; the relay publishes it later. */
export async function appendOutbox<N extends EventName>(
  tx: Tx,
  event: { name: N; key: string; data: EventOf<N>; topic?: string },
): Promise<void> {
  await tx.outboxEvent.create({
    data: {
      eventId: randomUUID(),
      eventName: event.name,
      topic: event.topic ?? event.name,
      key: event.key,
      data: event.data as Prisma.InputJsonValue,
    },
  });
}
