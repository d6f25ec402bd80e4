import type { AgencyAssignmentV1 } from './events/agency-assignment-v1.ts';
import type { Department, DisputeAssignedV1 } from './events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from './events/dispute-intake-v1.ts';
import { type CategoryCode, type Level, mostSpecificDivision, type Severity } from './vocabulary.ts';
import type { AssignmentWebhookData } from './webhooks/agency-webhook.ts';

/** A department's part in a matter. */
export type Involvement = { department: Department; role: 'lead' | 'co' };

/**
 * What the agencies' copies say of one version of a matter. Routing's decision gives it
 * (`matterOfDecision`); so does a case the cases service keeps (its assignments, place and first
 * report), which has no decision at hand when an operator merges it.
 */
export type AgencyMatter = {
  disputeId: string;
  version: number;
  /** The lead first, each with its role. */
  involved: Involvement[];
  category: CategoryCode;
  severity: Severity;
  place: AgencyAssignmentV1['place'];
  expressLane: Level | null;
  /** The report the matter is known by: what the copies quote, and who the lead calls back. */
  report: Pick<DisputeReceivedV1, 'channel' | 'receivedAt' | 'title' | 'content' | 'parties'>;
};

/** The departments a decision involves, the lead first, each with its role. */
export function involvedIn(decision: DisputeAssignedV1): Involvement[] {
  return [
    ...(decision.lead ? [{ department: decision.lead, role: 'lead' as const }] : []),
    ...decision.coHandlers.map((department) => ({ department, role: 'co' as const })),
  ];
}

/** The matter as a routing decision has it. */
export function matterOfDecision(decision: DisputeAssignedV1): AgencyMatter {
  const { dispute, jurisdiction } = decision;
  return {
    disputeId: decision.disputeId,
    version: decision.version,
    involved: involvedIn(decision),
    category: decision.category,
    severity: decision.severity,
    place: {
      divisionCode: mostSpecificDivision(jurisdiction),
      names: jurisdiction.names,
    },
    expressLane: decision.expressLane?.level ?? null,
    report: dispute,
  };
}

/**
 * What one department's copy of a matter says of it, whatever it is told to do with it
 * (`action`, `role`): routing assigns and withdraws with it, the cases service withdraws the
 * copies of a case folded into another. The contact is the caller's to add, for the lead.
 */
export function agencyView(
  matter: AgencyMatter,
  department: Department,
  dueAt: string,
): Omit<AgencyAssignmentV1, 'action' | 'role'> {
  const { report } = matter;
  return {
    disputeId: matter.disputeId,
    version: matter.version,
    department,
    partners: matter.involved
      .filter((partner) => partner.department.code !== department.code)
      .map(({ department: partner, role }) => ({ code: partner.code, name: partner.name, role })),
    category: matter.category,
    severity: matter.severity,
    place: matter.place,
    dueAt,
    expressLane: matter.expressLane,
    channel: report.channel,
    receivedAt: report.receivedAt,
    ...(report.title && { title: report.title }),
    content: report.content,
  };
}

/** A department's copy that hands it the matter: always in a role. */
export type AssignedCopy = AgencyAssignmentV1 & { action: 'assigned'; role: Involvement['role'] };

/**
 * One department's `assigned` copy of a matter, due at `dueAt`. Only the lead calls the citizen
 * back (the others get the matter, not the phone number), and nobody gets the contact of a caller
 * the hotline marked confidential (保密).
 */
export function assignedCopy(
  matter: AgencyMatter,
  { department, role }: Involvement,
  dueAt: string,
): AssignedCopy {
  const data: AssignedCopy = { ...agencyView(matter, department, dueAt), action: 'assigned', role };
  // The person notify tells of the case's progress (the applicant, else the caller): the lead
  // calls back the same citizen the platform writes to.
  const { parties } = matter.report;
  const contact =
    parties.find((party) => party.role === 'applicant') ?? parties.find((party) => party.role === 'caller');
  if (role === 'lead' && contact && !contact.confidential) {
    data.contact = {
      ...(contact.name && { name: contact.name }),
      ...(contact.phone && { phone: contact.phone }),
    };
  }
  return data;
}

/**
 * The same assignment as an agency's webhook gets it (`assignment`, `assignment_update`): what its
 * Kafka copy says, so who is told what (the contact, the partners, the deadline) is decided once,
 * by `assignedCopy`. Only the published shapes differ: the webhook names the department and the
 * places, and says null where the copy leaves a field out.
 */
export function assignmentWebhookData(copy: AssignedCopy): AssignmentWebhookData {
  return {
    disputeId: copy.disputeId,
    version: copy.version,
    role: copy.role,
    department: copy.department.name,
    partners: copy.partners,
    category: copy.category,
    severity: copy.severity,
    place: copy.place.names,
    dueAt: copy.dueAt,
    expressLane: copy.expressLane,
    title: copy.title ?? null,
    content: copy.content,
    ...(copy.contact && { contact: { name: copy.contact.name ?? null, phone: copy.contact.phone ?? null } }),
  };
}
