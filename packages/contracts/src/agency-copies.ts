import type { AgencyAssignmentV1 } from './events/agency-assignment-v1.ts';
import type { Department, DisputeAssignedV1 } from './events/dispute-assignment-v1.ts';

/** The departments a decision involves, the lead first, each with its role. */
export function involvedIn(decision: DisputeAssignedV1): { department: Department; role: 'lead' | 'co' }[] {
  return [
    ...(decision.lead ? [{ department: decision.lead, role: 'lead' as const }] : []),
    ...decision.coHandlers.map((department) => ({ department, role: 'co' as const })),
  ];
}

/**
 * What one department's copy of a decision says of the matter, whatever it is told to do with it
 * (`action`, `role`): routing assigns and withdraws with it, the cases service withdraws the
 * copies of a report that joined another case. The contact is the caller's to add, for the lead.
 */
export function agencyView(
  decision: DisputeAssignedV1,
  department: Department,
  dueAt: string,
): Omit<AgencyAssignmentV1, 'action' | 'role'> {
  const { dispute, jurisdiction } = decision;
  return {
    disputeId: decision.disputeId,
    version: decision.version,
    department,
    partners: involvedIn(decision)
      .filter((partner) => partner.department.code !== department.code)
      .map(({ department: partner, role }) => ({ code: partner.code, name: partner.name, role })),
    category: decision.category,
    severity: decision.severity,
    place: {
      divisionCode: jurisdiction.townCode ?? jurisdiction.countyCode ?? jurisdiction.cityCode,
      names: jurisdiction.names,
    },
    dueAt,
    expressLane: decision.expressLane?.level ?? null,
    channel: dispute.channel,
    receivedAt: dispute.receivedAt,
    ...(dispute.title && { title: dispute.title }),
    content: dispute.content,
  };
}
