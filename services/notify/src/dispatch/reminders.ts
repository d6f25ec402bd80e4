import { lockDisputes } from '../consumers/dispute-lock.ts';
import { dueSoonIsMoot } from '../consumers/record-assignment.ts';
import { endStatuses } from '../consumers/record-status.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';

/**
 * Turns SLA reminders whose time has come into deliveries to the lead, except for cases that
 * have ended meanwhile, and a "due soon" whose deadline has passed by now (promoted late): it would
 * come after, or instead of, the truth that the work is overdue. Replicas may do this at once: the
 * delivery's dedupe key (the reminder's own) keeps it to one delivery, and the reminder is deleted
 * once it is one.
 *
 * A delivery of that key may exist already. Delivered, or still on its way (pending, sending, a
 * dead letter to replay): the lead has been reminded, and is not again. Cancelled: it never went
 * out. A re-routing took the lead away before it did, and a later one gave it back at the same
 * deadline (or a court's date moved a reminder onto that key): the reminder is due again, so that
 * delivery goes out after all, as this version's, as if recorded now.
 *
 * Under the disputes' locks (dispute-lock.ts), re-reading the reminders: a routing decision
 * recorded meanwhile has deleted those of a lead it replaced, and one that comes now waits, then
 * cancels what is promoted here. A department that no longer leads is never reminded.
 */
export async function promoteDueReminders(db: NotifyDb, now = new Date(), batch = 100): Promise<number> {
  const due = await db.slaReminder.findMany({
    where: { fireAt: { lte: now } },
    orderBy: { fireAt: 'asc' },
    take: batch,
  });
  if (due.length === 0) return 0;
  const ended = new Set(
    (
      await db.caseDispute.findMany({
        where: { disputeId: { in: due.map((reminder) => reminder.disputeId) }, status: { in: endStatuses } },
        select: { disputeId: true },
      })
    ).map((row) => row.disputeId),
  );
  const firing = due.filter(
    (reminder) =>
      !ended.has(reminder.disputeId) &&
      !dueSoonIsMoot(reminder.level, (reminder.payload as { dueAt: string }).dueAt, now),
  );
  return db.$transaction(async (tx) => {
    await lockDisputes(
      tx,
      firing.map((reminder) => reminder.disputeId),
    );
    const current = await tx.slaReminder.findMany({
      where: { dedupeKey: { in: firing.map((reminder) => reminder.dedupeKey) } },
    });
    const delivery = (reminder: (typeof current)[number]) => ({
      kind: 'sla_reminder',
      channel: reminder.channel,
      recipient: reminder.recipient,
      disputeId: reminder.disputeId,
      version: reminder.version,
      divisionCode: reminder.divisionCode,
      payload: reminder.payload as Prisma.InputJsonValue,
    });
    const created = await tx.delivery.createMany({
      data: current.map((reminder) => ({ dedupeKey: reminder.dedupeKey, ...delivery(reminder) })),
      skipDuplicates: true,
    });
    let revived = 0;
    for (const reminder of current) {
      const { count } = await tx.delivery.updateMany({
        where: { dedupeKey: reminder.dedupeKey, state: 'cancelled' },
        data: {
          ...delivery(reminder),
          state: 'pending',
          attempts: 0,
          lastError: null,
          leaseId: null,
          deliveredAt: null,
          nextAttemptAt: new Date(),
          // Its place in the order the lead hears of the dispute (the dispatcher's): after the
          // assignment that gave it the dispute back, not where the cancelled one was.
          createdAt: new Date(),
        },
      });
      revived += count;
    }
    await tx.slaReminder.deleteMany({
      where: { dedupeKey: { in: due.map((reminder) => reminder.dedupeKey) } },
    });
    return created.count + revived;
  });
}
