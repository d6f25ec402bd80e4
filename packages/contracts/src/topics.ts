import type { EventName } from './catalogue.ts';

/** Topic names. Each event travels on the topic of its own name; agencies also get their own copy. */
export const topics = {
  intake: 'dispute.intake.v1',
  assignment: 'dispute.assignment.v1',
  caseStatus: 'case.status.v1',
  caseEscalation: 'case.escalation.v1',
  caseCorrection: 'case.correction.v1',
  operatorAccess: 'operator.access.v1',
} as const satisfies Record<string, EventName>;

/** Partitions per topic: the unit of parallelism of a consumer group. */
export const defaultPartitions = 6;

/** An agency's own assignment topic, so broker ACLs can keep each agency to its own work. */
export function agencyTopic(agencyCode: string): string {
  return `agency.${checkedAgencyCode(agencyCode)}.assignment.v1`;
}

/**
 * An agency's own status topic: what happens to the matters it holds (their end, their deadline's
 * reminders), beside its assignment topic: one per agency too, for the same ACLs.
 */
export function agencyStatusTopic(agencyCode: string): string {
  return `agency.${checkedAgencyCode(agencyCode)}.status.v1`;
}

/** A department code as a topic name may hold it: nothing that would name another topic. */
function checkedAgencyCode(agencyCode: string): string {
  if (!/^[a-z0-9_-]+$/i.test(agencyCode)) throw new Error(`invalid agency code: ${agencyCode}`);
  return agencyCode;
}

/**
 * A court's own outcome topic. Court codes are written in Chinese (闽0803); topic names are
 * ASCII: 闽 (Fujian) becomes `fj`, e.g. `court.fj0803.outcome.v1`.
 */
export function courtTopic(courtCode: string): string {
  const slug = courtCode.replace(/^闽/, 'fj');
  if (!/^[a-z0-9]+$/i.test(slug)) throw new Error(`invalid court code: ${courtCode}`);
  return `court.${slug.toLowerCase()}.outcome.v1`;
}

/** Where a consumer group parks a message it cannot process: one dead-letter topic per source topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
