import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';

/**
 * One delivery per department the decision involves, so a jointly handled case counts as
 * delivered only when each department got it. The dedupe key makes a redelivered event a no-op.
 * Agencies get what they need to act, never ID numbers; only the lead gets the contact.
 */
export async function recordAssignmentDeliveries(
  db: NotifyDb,
  decision: DisputeAssignedV1,
  channelFor: (departmentCode: string) => string,
): Promise<number> {
  const recipients = [
    ...(decision.lead ? [{ department: decision.lead, role: 'lead' as const }] : []),
    ...decision.coHandlers.map((department) => ({ department, role: 'co' as const })),
  ];
  if (recipients.length === 0) return 0;
  const { dispute } = decision;
  const contact = dispute.parties.find((party) => party.role === 'applicant' || party.role === 'caller');
  const created = await db.delivery.createMany({
    data: recipients.map(({ department, role }) => ({
      dedupeKey: `assignment:${decision.disputeId}:v${decision.version}:${department.code}`,
      kind: 'assignment',
      channel: channelFor(department.code),
      recipient: department.code,
      disputeId: decision.disputeId,
      payload: {
        disputeId: decision.disputeId,
        version: decision.version,
        role,
        department: department.name,
        category: decision.category,
        severity: decision.severity,
        place: decision.jurisdiction.names,
        dueAt: decision.dueAt,
        expressLane: decision.expressLane?.level ?? null,
        title: dispute.title ?? null,
        content: dispute.content,
        ...(role === 'lead' &&
          contact && { contact: { name: contact.name ?? null, phone: contact.phone ?? null } }),
      } as Prisma.InputJsonValue,
    })),
    skipDuplicates: true,
  });
  return created.count;
}
