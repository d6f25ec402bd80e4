import { type AgencyMatter, assignedCopy } from '@huijie/contracts/agency-copies.ts';
import { type DisputeReceivedV1, isHistoricalFiling } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { agencyTopic } from '@huijie/contracts/topics.ts';
import {
  type CategoryCode,
  type DepartmentKind,
  type Level,
  mostSpecificDivision,
  type Severity,
} from '@huijie/contracts/vocabulary.ts';
import { appendOutbox, type Tx } from './outbox.ts';

/**
 * A case's first report: routing publishes every version of the case for its dispute, so the
 * case's departments know the case by that dispute id.
 */
export const firstReportOf = (tx: Tx, caseId: string) =>
  tx.report.findFirstOrThrow({ where: { caseId }, orderBy: { receivedAt: 'asc' } });

/**
 * What a routed case's departments hold of it on their topics, as the case keeps it: its current
 * routing version under its first report's dispute, its departments still on it, its category,
 * place and lane, each department's deadline. Null when no agency was sent it (never routed, or
 * a historical record filed as it happened).
 */
export async function heldMatterOf(
  tx: Tx,
  caseId: string,
): Promise<{ matter: AgencyMatter; dueAt: (code: string) => string } | null> {
  const row = await tx.case.findUniqueOrThrow({
    where: { id: caseId },
    include: { assignments: { where: { status: { not: 'withdrawn' } } } },
  });
  if (row.routingVersion === 0 || row.assignments.length === 0 || !row.category) return null;
  const first = await firstReportOf(tx, caseId);
  const report = first.intake as unknown as DisputeReceivedV1;
  if (isHistoricalFiling(report, row.routingVersion)) return null;
  const roleRank = (role: string) => (role === 'lead' ? 0 : 1);
  const assignments = [...row.assignments].sort((a, b) => roleRank(a.role) - roleRank(b.role));
  const dueAt = new Map(assignments.map((a) => [a.departmentCode, a.dueAt.toISOString()]));
  return {
    matter: {
      disputeId: first.disputeId,
      version: row.routingVersion,
      involved: assignments.map((a) => ({
        department: {
          code: a.departmentCode,
          kind: a.departmentKind as DepartmentKind,
          name: a.departmentName,
          divisionCode: a.divisionCode,
        },
        role: a.role as 'lead' | 'co',
      })),
      category: row.category as CategoryCode,
      severity: row.severity as Severity,
      place: {
        divisionCode: mostSpecificDivision(row)!,
        names: row.placeNames,
      },
      expressLane: row.expressLevel as Level | null,
      report,
    },
    dueAt: (code) => dueAt.get(code)!,
  };
}

/**
 * What the departments' copies say of a case changed without a re-routing — a court's date
 * brought some of their deadlines forward, the case went onto or up the express lane: each of
 * those departments (`to`; every one still on the case when not given) gets its copy of the case's
 * current version again on its topic, as the case holds it now (as notify sends their webhooks an
 * `assignment_update`). The later copy of a version replaces the earlier one.
 */
export async function sendCopiesAgain(tx: Tx, caseId: string, to?: ReadonlySet<string>): Promise<void> {
  const held = to?.size !== 0 && (await heldMatterOf(tx, caseId));
  if (!held) return;
  const { matter, dueAt } = held;
  const copies = matter.involved
    .filter(({ department }) => !to || to.has(department.code))
    .map((involvement) => ({
      name: 'agency.assignment.v1' as const,
      topic: agencyTopic(involvement.department.code),
      key: matter.disputeId,
      data: assignedCopy(matter, involvement, dueAt(involvement.department.code)),
    }));
  if (copies.length > 0) await appendOutbox(tx, ...copies);
}
