/** A moment as the services hold it: an ISO string on the wire, a Date from the database. */
type Instant = string | Date;

const ms = (at: Instant) => (typeof at === 'string' ? Date.parse(at) : at.getTime());

/** `kept` when there is one and it is earlier, else `given`. */
export function sooner<T extends Instant>(kept: T | null | undefined, given: T): T {
  return kept !== null && kept !== undefined && ms(kept) < ms(given) ? kept : given;
}

/**
 * The deadlines a routing version gives a case and each of its departments. One rule for the
 * cases service (what the case records), notify (webhooks, reminders) and routing (each agency's
 * copy on its Kafka topic), so a department is told the deadline the case holds:
 * - the case's is the decision's, never later than the one its kept lead already works to (a
 *   催办 or a correction gives nobody more time), nor, whoever leads, than the date of a court
 *   whose referral joined the case;
 * - a department's is the case's, or the one it already holds in the same role when earlier; a
 *   department new to the case, or in another role, joins at the case's;
 * - but the court's date is the court's to set: when a court's revision moved it (委派调解期限,
 *   `courtMovedFrom` the former date), a deadline held at the former date was the court's, not
 *   one anybody was given on their own, and the court's new date replaces it — later too. A held
 *   deadline earlier than the court's former date came from elsewhere (a route's time limit) and
 *   still caps.
 *
 * `lead` is the decision's lead (none in triage); `held` what a department holds now in a role.
 */
export function routedDeadlines<T extends Instant>(routing: {
  decided: T;
  lead: string | null;
  held: (code: string, role: 'lead' | 'co') => T | null | undefined;
  court?: T | null | undefined;
  courtMovedFrom?: T | null | undefined;
}): { caseDue: T; dueFor: (code: string, role: 'lead' | 'co') => T } {
  const { decided, lead, court, courtMovedFrom } = routing;
  // The court caps every deadline of the case, so one held at (or past) its former date is that date.
  const held = (code: string, role: 'lead' | 'co') => {
    const kept = routing.held(code, role);
    return kept && courtMovedFrom && ms(kept) >= ms(courtMovedFrom) ? undefined : kept;
  };
  const caseDue = sooner(court, lead === null ? decided : sooner(held(lead, 'lead'), decided));
  return { caseDue, dueFor: (code, role) => sooner(held(code, role), caseDue) };
}
