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
  const [created] = await db.$transaction([
    db.delivery.createMany({
      data: firing.map((reminder) => ({
        dedupeKey: reminder.dedupeKey,
        kind: 'sla_reminder',
        channel: reminder.channel,
        recipient: reminder.recipient,
        disputeId: reminder.disputeId,
        version: reminder.version,
        divisionCode: reminder.divisionCode,
        payload: reminder.payload as Prisma.InputJsonValue,
      })),
      skipDuplicates: true,
    }),
    db.slaReminder.deleteMany({ where: { dedupeKey: { in: due.map((reminder) => reminder.dedupeKey) } } }),
  ]);
  return created.count;
}
