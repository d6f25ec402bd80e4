import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';

/**
 * The case lifecycle: which status may follow which. A case is received, routed (assigned,
 * or parked in triage when routing cannot place it), accepted by its lead, mediated, and ends
 * resolved or unresolved, then closed. Re-routing may assign a case again at any open stage.
 */
export const transitions: Record<CaseStatus, readonly CaseStatus[]> = {
  received: ['assigned', 'triage'],
  triage: ['assigned', 'triage'],
  assigned: ['assigned', 'triage', 'accepted'],
  accepted: ['assigned', 'mediating', 'resolved', 'unresolved'],
  mediating: ['assigned', 'resolved', 'unresolved'],
  resolved: ['closed'],
  unresolved: ['closed'],
  closed: [],
};

export function canMove(from: CaseStatus, to: CaseStatus): boolean {
  return transitions[from].includes(to);
}
