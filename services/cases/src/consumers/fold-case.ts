import { type AgencyMatter, agencyView } from '@huijie/contracts/agency-copies.ts';
import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import { agencyTopic } from '@huijie/contracts/topics.ts';
import { mostSpecificDivision } from '@huijie/contracts/vocabulary.ts';
import { lockKeys } from '@huijie/database/advisory-locks.ts';
import { applyEvents, reportRefFields, stateOf } from '../actions/act-on-case.ts';
import { touchCase } from '../db/case-transaction.ts';
import { appendHistory } from '../db/history.ts';
import { decide, evolve, isOpen, laneLevel, openStatuses } from '../domain/lifecycle.ts';
import {
  type CandidateCase,
  channelsWithoutCaller,
  expressLaneAfterReports,
  phoneIdentifiesCaller,
  type RepeatEvidence,
  repeatReason,
  repeatWindowDays,
} from '../domain/repeats.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { firstReportOf, heldMatterOf, sendCopiesAgain } from '../outbox/agency-copies.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';

async function evidenceOf(tx: Tx, caseIds: string[]) {
  const [cases, parties, reports] = await Promise.all([
    tx.case.findMany({
      where: { id: { in: caseIds } },
      select: { id: true, category: true, townCode: true, countyCode: true },
    }),
    tx.party.findMany({
      where: { caseId: { in: caseIds } },
      select: { caseId: true, disputeId: true, role: true, phone: true, name: true },
    }),
    tx.report.findMany({ where: { caseId: { in: caseIds } }, select: { disputeId: true, channel: true } }),
  ]);
  const channelOf = new Map(reports.map((r) => [r.disputeId, r.channel]));
  return cases.map(
    (c): CandidateCase => ({
      id: c.id,
      category: c.category,
      townCode: c.townCode,
      countyCode: c.countyCode,
      phones: parties
        .filter(
          (p) =>
            p.caseId === c.id &&
            p.role !== 'respondent' &&
            p.phone &&
            phoneIdentifiesCaller(channelOf.get(p.disputeId) ?? ''),
        )
        .map((p) => p.phone!),
      respondents: parties
        .filter((p) => p.caseId === c.id && p.role === 'respondent' && p.name)
        .map((p) => p.name!),
    }),
  );
}

/** Whether the party aliased `alias` came with a report whose channel's phone says who reported (`phoneIdentifiesCaller`). */
const identifiesCaller = (alias: string) => Prisma.sql`NOT EXISTS (
  SELECT 1 FROM cases.reports r
  WHERE r.dispute_id = ${Prisma.raw(alias)}.dispute_id AND r.channel = ANY(${channelsWithoutCaller}::text[]))`;

/**
 * Reports of one phone are compared one at a time: a transaction lock per phone.
 */
const lockPhones = (tx: Tx, phones: string[]) => lockKeys(tx, 'repeat', phones);

/**
 * The window goes by when the reports were received, as the cases' received times do: a report
 * pushed days late (a hotline backlog) is compared with the cases received in the days before it.
 */
const windowStart = (receivedAt: Date) =>
  new Date(receivedAt.getTime() - repeatWindowDays * 24 * 3600 * 1000);

/**
 * Which of these newly routed cases might repeat another open case — one with a caller's phone
 * in common, received within the window — and so need `findRepeatTarget`'s comparison; the
 * others (nearly all) are certainly first reports. Holds the phones' locks from here on, so the
 * answer stays true until the transaction ends. `receivedAt`: when the earliest of the reports was
 * received (`receivedTime`).
 */
export async function possibleRepeats(
  tx: Tx,
  reports: { caseId: string; phones: string[] }[],
  receivedAt: Date,
): Promise<Set<string>> {
  const phones = reports.flatMap((report) => report.phones);
  if (phones.length === 0) return new Set();
  await lockPhones(tx, phones);
  // From the callers' phones to their cases (the phone index), not from the open cases to their
  // parties: nearly every case of the window is open, and there are many. The case is checked in
  // a subquery per party, not joined, so that no planner estimate can turn this around: as a join,
  // on a new database whose tables autovacuum had not analysed yet, PostgreSQL walked every open
  // case of the window for each batch (40 ms at 20,000 cases against 2, growing with the table).
  const holders = await tx.$queryRaw<{ caseId: string; phone: string }[]>`
    SELECT p.case_id::text AS "caseId", p.phone
    FROM cases.parties p
    WHERE p.phone = ANY(${[...new Set(phones)]}::text[])
      AND ${identifiesCaller('p')}
      AND (SELECT c.merged_into_id IS NULL AND c.status = ANY(${openStatuses}::text[])
                  AND c.created_at >= ${windowStart(receivedAt)}
           FROM cases.cases c WHERE c.id = p.case_id)`;
  const casesOf = new Map<string, Set<string>>();
  for (const { caseId, phone } of holders) {
    casesOf.set(phone, (casesOf.get(phone) ?? new Set()).add(caseId));
  }
  return new Set(
    reports
      .filter((report) =>
        report.phones.some((phone) => [...(casesOf.get(phone) ?? [])].some((id) => id !== report.caseId)),
      )
      .map((report) => report.caseId),
  );
}

/**
 * The open case that a newly routed report repeats, with the reason, or null.
 *
 * Reports of one phone are compared one at a time: consumers handle several reports at once (and
 * replicas run side by side), and two reports of the same caller each looking before the other
 * committed would both open a case. A transaction lock per phone, taken in a fixed order, makes
 * the second wait for the first and then see its case. `receivedAt`: when the report was received
 * (`receivedTime`).
 */
export async function findRepeatTarget(
  tx: Tx,
  caseId: string,
  report: RepeatEvidence & { channel?: string },
  receivedAt: Date,
): Promise<{ targetId: string; reason: string } | null> {
  if (report.phones.length === 0) return null;
  await lockPhones(tx, report.phones);
  // The callers' cases first (the phone index), by a party whose phone says who reported: WeChat
  // applications typed with the phone are no candidates, or twenty of them (four days of the
  // form's limit per phone) would fill the window's newest and hide the caller's own case.
  const candidates = await tx.$queryRaw<{ id: string }[]>`
    WITH callers AS MATERIALIZED (
      SELECT DISTINCT p.case_id FROM cases.parties p
      WHERE p.phone = ANY(${report.phones}::text[]) AND ${identifiesCaller('p')})
    SELECT c.id::text AS "id" FROM cases.cases c JOIN callers ON callers.case_id = c.id
    WHERE c.id <> ${caseId}::uuid AND c.merged_into_id IS NULL
      AND c.status = ANY(${openStatuses}::text[]) AND c.created_at >= ${windowStart(receivedAt)}
      -- A court referral is a lawsuit of its own, answered under its own case number: it never
      -- joins a case that already answers another referral (a company referring its claims
      -- against several debtors would get one outcome reported for all of them).
      AND (${report.channel !== 'court'}::boolean
           OR NOT EXISTS (SELECT 1 FROM cases.reports r WHERE r.case_id = c.id AND r.channel = 'court'))
    ORDER BY c.created_at DESC
    LIMIT 20`;
  if (candidates.length === 0) return null;
  const evidence = await evidenceOf(
    tx,
    candidates.map((c) => c.id),
  );
  for (const { id } of candidates) {
    const candidate = evidence.find((e) => e.id === id);
    const reason = candidate && repeatReason(report, candidate);
    if (reason) return { targetId: id, reason };
  }
  return null;
}

/**
 * The earliest deadline a court set on these reports (a referral's dueAt): a referral that joins
 * another case must still be answered to the court by then.
 */
export function courtDeadline(reports: { channel: string; intake: unknown }[]): Date | null {
  const deadlines = reports
    .filter((report) => report.channel === 'court')
    .flatMap((report) => (report.intake as { dueAt?: string }).dueAt ?? [])
    .map((dueAt) => new Date(dueAt).getTime());
  return deadlines.length > 0 ? new Date(Math.min(...deadlines)) : null;
}

/**
 * The court's date of each case a court referral joined, by case: a re-routing, whoever it makes
 * the lead, does not give the case more time than the court did.
 */
export async function courtDeadlines(tx: Tx, caseIds: string[]): Promise<Map<string, Date>> {
  if (caseIds.length === 0) return new Map();
  const reports = await tx.report.findMany({
    where: { caseId: { in: caseIds }, channel: 'court' },
    select: { caseId: true, channel: true, intake: true },
  });
  const deadlines = new Map<string, Date>();
  for (const caseId of new Set(reports.map((report) => report.caseId))) {
    const due = courtDeadline(reports.filter((report) => report.caseId === caseId));
    if (due) deadlines.set(caseId, due);
  }
  return deadlines;
}

/**
 * Folds one case into another: its reports and parties move over (each report keeps why), the
 * folded case is closed with a pointer to where it went, both histories say so. A court
 * referral's deadline becomes the joined case's when earlier. Three or more reports of one
 * unresolved matter put it in the express lane. Returns the dispute the joined case is known by.
 */
export async function foldCase(
  tx: Tx,
  fromId: string,
  intoId: string,
  reason: string,
  actor: string,
): Promise<{ intoDisputeId: string }> {
  await touchCase(tx, fromId);
  await touchCase(tx, intoId);
  // One time for the fold's two status events (the folded case closed, its reports' new status):
  // they go out on the two cases' keys, and notify applies a dispute's status only over an older one.
  const occurredAt = new Date().toISOString();
  const moved = await tx.report.findMany({
    where: { caseId: fromId },
    select: { disputeId: true, channel: true, sourceRef: true, intake: true },
  });
  const courtDue = courtDeadline(moved);
  // Before the move: what the folded case's departments hold of it, on their topics.
  const held = await heldMatterOf(tx, fromId);
  // Before the move: a folded report received earlier must not pass for the one it joined.
  const { disputeId: intoDisputeId } = await firstReportOf(tx, intoId);
  // Read before the move: the reports whose departments and reminders notify brings forward.
  const joined = courtDue
    ? await tx.report.findMany({ where: { caseId: intoId }, select: { disputeId: true } })
    : [];
  await tx.report.updateMany({ where: { caseId: fromId }, data: { caseId: intoId, repeatReason: reason } });
  await tx.party.updateMany({ where: { caseId: fromId }, data: { caseId: intoId } });
  const before = await tx.case.findUniqueOrThrow({ where: { id: fromId }, select: { status: true } });
  const from = await tx.case.update({
    where: { id: fromId },
    data: { mergedIntoId: intoId, status: 'closed', closedAt: new Date() },
  });
  await appendHistory(tx, { caseId: fromId, type: 'merged', actor, detail: { into: intoId, reason } });
  await appendOutbox(tx, {
    name: 'case.status.v1',
    key: fromId,
    data: {
      caseId: fromId,
      disputeIds: moved.map((r) => r.disputeId),
      status: 'closed',
      previousStatus: before.status as CaseStatus,
      occurredAt,
      category: (from.category as never) ?? null,
      divisionCode: mostSpecificDivision(from),
      reason: `merged into ${intoId}: ${reason}`,
      mergedInto: intoId,
      mergedIntoDisputeId: intoDisputeId,
      ...(courtDue &&
        joined.length > 0 && {
          mergedDeadline: {
            dueAt: courtDue.toISOString(),
            disputeIds: joined.map((report) => report.disputeId),
          },
        }),
    },
  });

  if (held)
    await withdrawFoldedCopies(tx, held.matter, { caseId: intoId, disputeId: intoDisputeId }, held.dueAt);

  const reports = await tx.report.count({ where: { caseId: intoId } });
  const into = await tx.case.findUniqueOrThrow({
    where: { id: intoId },
    select: { searchGrams: true, dueAt: true },
  });
  const dueAt = courtDue && (!into.dueAt || courtDue < into.dueAt) ? courtDue : into.dueAt;
  const joinedCase = await tx.case.update({
    where: { id: intoId },
    // The folded reports' words become findable on the case they joined.
    data: {
      repeatCount: reports - 1,
      searchGrams: [...new Set([...into.searchGrams, ...from.searchGrams])].sort(),
      dueAt,
    },
  });
  if (courtDue) {
    // Routing gives a case's departments its deadline: they too must answer before the court's.
    const later = { caseId: intoId, status: { notIn: ['withdrawn', 'done'] }, dueAt: { gt: courtDue } };
    const broughtForward = await tx.assignment.findMany({ where: later, select: { departmentCode: true } });
    await tx.assignment.updateMany({ where: later, data: { dueAt: courtDue } });
    await sendCopiesAgain(tx, intoId, new Set(broughtForward.map((a) => a.departmentCode)));
  }
  await appendHistory(
    tx,
    ...moved.map((report) => ({
      caseId: intoId,
      type: 'repeat_attached',
      actor,
      detail: { disputeId: report.disputeId, sourceRef: report.sourceRef, reason },
    })),
  );
  // The folded reports now follow the case they joined: each channel that shows a report's progress
  // (the WeChat tracking page) learns that case's status now, not at its next change — a joined
  // case already mediating must not read 已受理. On the joined case's key, in order with its later
  // changes. No outcome and no report references: the joined case is open (a fold goes only into
  // an open case), and nobody is told a result until it ends.
  await appendOutbox(tx, {
    name: 'case.status.v1',
    key: intoId,
    data: {
      caseId: intoId,
      disputeIds: moved.map((report) => report.disputeId),
      status: joinedCase.status as CaseStatus,
      previousStatus: before.status as CaseStatus,
      occurredAt,
      category: (joinedCase.category as never) ?? null,
      divisionCode: mostSpecificDivision(joinedCase),
      reason: `joined ${intoId}: ${reason}`,
    },
  });
  if (reports >= expressLaneAfterReports) {
    const target = await tx.case.findUniqueOrThrow({
      where: { id: intoId },
      include: {
        assignments: true,
        reports: { select: reportRefFields },
      },
    });
    const before = stateOf(target);
    if (before.expressLevel === null && isOpen(before.status)) {
      await tx.case.update({ where: { id: intoId }, data: { severity: 'major' } });
      const events = decide(
        {
          type: 'escalate',
          by: actor,
          level: laneLevel('township', target),
          reason: 'repeated',
          detail: `${reports} reports of the same matter`,
        },
        before,
      );
      await applyEvents(tx, target, before, events.reduce(evolve, before), events, actor);
    }
  }
  return { intoDisputeId };
}

/**
 * A matter folded into an open case is no longer its departments' to handle — a repeat report
 * routing had sent out on its own, or a case an operator merged. Each is told so on its topic,
 * pointed at the case it joined: a department of that case carries on there, with one assignment
 * for the matter instead of two, and the others stop. (Notify withdraws their webhooks' copies
 * from the case.status.v1 of the fold.)
 */
export async function withdrawFoldedCopies(
  tx: Tx,
  matter: AgencyMatter,
  into: { caseId: string; disputeId: string },
  dueAt: (code: string) => string,
): Promise<void> {
  const copies = matter.involved.map(({ department }) => ({
    name: 'agency.assignment.v1' as const,
    topic: agencyTopic(department.code),
    key: matter.disputeId,
    data: {
      ...agencyView(matter, department, dueAt(department.code)),
      action: 'withdrawn' as const,
      role: null,
      mergedInto: into,
    },
  }));
  if (copies.length > 0) await appendOutbox(tx, ...copies);
}
