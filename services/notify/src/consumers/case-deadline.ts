import type { CaseStatusChangedV1 } from '@huijie/contracts/events/case-status-v1.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { changeHeldAssignments } from './assignment-update.ts';
import { lockDisputes } from './dispute-lock.ts';
import { dueSoonIsMoot, reminderFireAt, reminderKey } from './record-assignment.ts';
import type { Routing } from './routing.ts';

type CourtDeadline = NonNullable<CaseStatusChangedV1['mergedDeadline']>;

const later = (given: unknown, dueAt: string) =>
  typeof given === 'string' && Date.parse(given) > Date.parse(dueAt);

/**
 * A court referral folded into a case: its disputes are due by the court's date, as the cases
 * service records it. Remembered per dispute, so a later routing version gives no department more
 * time (recordAssignment reads it); and what the current version gave comes forward where it is
 * later: the assignment of each department that holds a dispute (not one a fold withdrew) —
 * changed where it has not gone out yet, else followed by an `assignment_update` with the new date
 * (assignment-update.ts) — and the lead's waiting due-soon and overdue reminders.
 * Never later: an earlier deadline stands, so a redelivered event changes nothing more.
 */
export async function bringDeadlineForward(
  db: NotifyDb,
  caseId: string,
  { dueAt, disputeIds }: CourtDeadline,
  routing: Routing,
  now = new Date(),
): Promise<number> {
  // Under the disputes' locks (dispute-lock.ts): a decision of one of them handled at the same
  // moment either reads the court's date, or has written what it hands out before that is read
  // below to be brought forward.
  await db.$transaction(async (tx) => {
    await lockDisputes(tx, disputeIds);
    await tx.$executeRaw`
      INSERT INTO notify.case_disputes (dispute_id, case_id, due_by)
      SELECT d, ${caseId}::uuid, ${dueAt}::timestamptz FROM unnest(${disputeIds}::uuid[]) AS d
      ON CONFLICT (dispute_id) DO UPDATE SET due_by = LEAST(case_disputes.due_by, excluded.due_by)`;
  });

  // Each department of the current version given a later date: the same assignment again, only
  // the deadline moves.
  const updated = await changeHeldAssignments(db, disputeIds, ({ disputeId, version, recipient, payload }) =>
    later(payload.dueAt, dueAt)
      ? {
          payload: { ...payload, dueAt },
          dedupeKey: `deadline:${disputeId}:v${version}:${recipient}:${dueAt}`,
        }
      : undefined,
  );

  for (const reminder of await db.slaReminder.findMany({ where: { disputeId: { in: disputeIds } } })) {
    const payload = reminder.payload as Prisma.JsonObject;
    if (!later(payload.dueAt, dueAt)) continue;
    const level = reminder.level as 'due_soon' | 'overdue';
    // By key, not by row: a reminder promoted meanwhile is gone, and its delivery has gone out.
    const where = { dedupeKey: reminder.dedupeKey };
    // The court's date has passed already: nothing is due soon, it is overdue.
    if (dueSoonIsMoot(level, dueAt, now)) {
      await db.slaReminder.deleteMany({ where });
      continue;
    }
    await db.slaReminder.updateMany({
      where,
      data: {
        // Keyed by its new deadline, as a later routing version keeping it would key it.
        dedupeKey: reminderKey(reminder.disputeId, reminder.recipient, level, dueAt),
        fireAt: reminderFireAt(level, dueAt, routing, now),
        payload: { ...payload, dueAt },
      },
    });
  }
  return updated;
}
