import { type AgencyMatter, type Involvement, outsideText } from '@huijie/contracts/agency-copies.ts';
import type { AgencyStatusV1 } from '@huijie/contracts/events/agency-status-v1.ts';
import type { CaseOutcome, CaseStatus, Confidentiality } from '@huijie/contracts/events/case-status-v1.ts';
import { outcomeLabel } from '@huijie/contracts/outcome-label.ts';
import { agencyStatusTopic } from '@huijie/contracts/topics.ts';
import { heldMatterOf } from './agency-copies.ts';
import { appendOutbox, type Tx } from './outbox.ts';

type Notice = Omit<AgencyStatusV1, 'disputeId' | 'version' | 'caseId' | 'department' | 'role' | 'occurredAt'>;

/**
 * Writes `notice` for each of `to`, on its own status topic, keyed as its copies of the matter are
 * (the case's first report's dispute id): the notices of one matter keep their order on the topic,
 * under the id the department knows it by; with the routing version its latest copy carries, so
 * that a consumer can tell which copy a notice is about. The outbox event id is the CloudEvents id
 * every relay of it carries: what a consumer deduplicates on.
 */
async function tellDepartments(
  tx: Tx,
  caseId: string,
  matter: AgencyMatter,
  to: readonly Involvement[],
  now: Date,
  notice: (involvement: Involvement) => Notice,
): Promise<void> {
  if (to.length === 0) return;
  await appendOutbox(
    tx,
    ...to.map((involvement) => ({
      name: 'agency.status.v1' as const,
      topic: agencyStatusTopic(involvement.department.code),
      key: matter.disputeId,
      data: {
        ...notice(involvement),
        disputeId: matter.disputeId,
        version: matter.version,
        caseId,
        department: involvement.department,
        role: involvement.role,
        occurredAt: now.toISOString(),
      },
    })),
  );
}

/**
 * The case ended with `outcome`: each department still on it (not one withdrawn) is told so on its
 * status topic, as notify tells an agency on webhooks (`case_result`): the summary masked for its
 * role (agency-copies.ts `outsideText`, as notify masks it from the same `confidentiality`), the
 * outcome in words (`result`). Nothing for a case no department was sent (a historical record).
 */
export async function tellCaseEnded(
  tx: Tx,
  row: { id: string; reports: readonly { disputeId: string }[] },
  status: CaseStatus,
  outcome: CaseOutcome,
  confidentiality: Confidentiality,
  now: Date,
): Promise<void> {
  const caseId = row.id;
  // Only an outcome ends a case (lifecycle.ts): resolved when mediated, unresolved otherwise.
  if (status !== 'resolved' && status !== 'unresolved')
    throw new Error(`case ${caseId} did not end: ${status}`);
  const held = await heldMatterOf(tx, caseId);
  if (!held) return;
  await tellDepartments(tx, caseId, held.matter, held.matter.involved, now, ({ role }) => ({
    kind: 'ended',
    ended: {
      disputeIds: row.reports.map((report) => report.disputeId),
      status,
      outcome:
        outcome.summary === undefined
          ? outcome
          : { ...outcome, summary: outsideText(outcome.summary, role, confidentiality) },
      result: outcomeLabel(outcome),
    },
  }));
}

/**
 * The case's lead is reminded of its deadline (`due_soon`, `overdue`) on its status topic, as
 * notify reminds an agency on webhooks (`sla_reminder`): the lead only. Nothing for a case without
 * a lead (in triage) or that no department was sent.
 */
export async function remindLead(
  tx: Tx,
  caseId: string,
  level: 'due_soon' | 'overdue',
  dueAt: Date,
  now: Date,
): Promise<void> {
  const held = await heldMatterOf(tx, caseId);
  if (!held) return;
  const lead = held.matter.involved.filter((involvement) => involvement.role === 'lead');
  await tellDepartments(tx, caseId, held.matter, lead, now, () => ({
    kind: 'reminder',
    reminder: { level, dueAt: dueAt.toISOString() },
  }));
}
