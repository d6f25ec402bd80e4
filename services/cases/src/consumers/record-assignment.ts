import { randomUUID } from 'node:crypto';
import { matterOfDecision } from '@huijie/contracts/agency-copies.ts';
import { routedDeadlines } from '@huijie/contracts/deadlines.ts';
import type { CaseEscalatedV1 } from '@huijie/contracts/events/case-escalation-v1.ts';
import type { CaseOutcome, CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import { type DisputeReceivedV1, isHistoricalFiling } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { type Level, laneRank, mostSpecificDivision } from '@huijie/contracts/vocabulary.ts';
import { outcomeColumns } from '../actions/act-on-case.ts';
import { askedBy, routeAgain, versionOf } from '../actions/route-again.ts';
import { touchCases } from '../db/case-transaction.ts';
import { appendHistory, laneReasons } from '../db/history.ts';
import { insertRows } from '../db/insert-rows.ts';
import { canBeRouted, laneDivision } from '../domain/lifecycle.ts';
import { receivedTime } from '../domain/received.ts';
import { phoneIdentifiesCaller } from '../domain/repeats.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { sendCopiesAgain } from '../outbox/agency-copies.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';
import {
  courtDeadlines,
  findRepeatTarget,
  foldCase,
  possibleRepeats,
  withdrawFoldedCopies,
} from './fold-case.ts';
import { isFirstReport, openCases, revisionReason } from './open-case.ts';

/**
 * dispute.assignment.v1 → the case takes the decision's place, category and departments and
 * moves to "assigned" (or "triage"), or stays where it is when the decision keeps its lead; or,
 * when the dispute repeats an open case, its report joins that case. Applied once per (dispute,
 * routing version): the processed-event key makes
 * a redelivery a no-op; a decision older than the case's is ignored.
 *
 * Many decisions are recorded together, inside the caller's `caseTransaction`, in a handful of
 * statements; only a report that may repeat another case is compared and folded on its own.
 */
export async function recordAssignments(tx: Tx, decisions: DisputeAssignedV1[]): Promise<void> {
  const keyOf = (decision: DisputeAssignedV1) => `assignment:${decision.disputeId}:v${decision.version}`;
  const fresh = new Set(
    await insertRows(
      tx,
      'processed_events',
      { event_id: 'text' },
      decisions.map((decision) => ({ event_id: keyOf(decision) })),
      { ignoreConflicts: true, returning: 'event_id' },
    ),
  );
  const todo = decisions.filter((decision) => fresh.delete(keyOf(decision)));
  if (todo.length === 0) return;
  const opened = await openCases(
    tx,
    todo.map((decision) => decision.dispute),
  );
  const caseOf = (decision: DisputeAssignedV1) => opened.get(decision.disputeId)!.caseId;
  await touchCases(tx, todo.map(caseOf));
  const cases = new Map(
    (await tx.case.findMany({ where: { id: { in: todo.map(caseOf) } }, select: routedFields })).map((row) => [
      row.id,
      row,
    ]),
  );

  const together: Routing[] = [];
  const firstReports: DisputeAssignedV1[] = [];
  const alone = new Set<DisputeAssignedV1>();
  const seen = new Set<string>();
  for (const decision of todo) {
    const current = cases.get(caseOf(decision))!;
    // Two decisions for one case (its reports were folded together) are applied in turn.
    if (seen.has(current.id)) alone.add(decision);
    else if (current.routingVersion !== 0) {
      if (decision.version > current.routingVersion)
        together.push({ current, decision, version: decision.version });
    } else if (isHistoricalFiling(decision.dispute, decision.version)) {
      // Filed as it happened, not handled now: no repeat folding into today's open cases.
      together.push({ current, decision, version: decision.version, filing: 'historical' });
    } else firstReports.push(decision);
    seen.add(current.id);
  }
  const suspects = await possibleRepeats(
    tx,
    firstReports.map((decision) => ({ caseId: caseOf(decision), phones: evidenceOf(decision).phones })),
    // The earliest: a case in the window of any of the reports is a suspect, checked one by one.
    firstReports.reduce((earliest, d) => receivedTime(d.dispute.receivedAt, earliest), new Date()),
  );
  for (const decision of firstReports) {
    if (suspects.has(caseOf(decision))) alone.add(decision);
    else together.push({ current: cases.get(caseOf(decision))!, decision, version: decision.version });
  }

  await applyDecisions(tx, together);
  // In the order they came, as they would have been one by one.
  for (const decision of todo) if (alone.has(decision)) await recordOne(tx, caseOf(decision), decision);
  await routeLaterRevisions(tx, todo);
}

/**
 * A revision that came before its case's first routing was applied (intake rev 1, rev 2, then
 * routing's answer to rev 1) asked nothing then: there was no routing to redo. Once a decision on
 * an earlier revision than its report now holds is the case's routing, the case is routed again
 * on the report as it reads now. A decision on the latest revision (routing saw rev 2 first) asks
 * nothing, nor does one while a later request is pending: that one reads the report as it is now.
 */
async function routeLaterRevisions(tx: Tx, decisions: DisputeAssignedV1[]): Promise<void> {
  const live = decisions.filter((decision) => decision.dispute.historical === undefined);
  if (live.length === 0) return;
  const reports = await tx.report.findMany({
    where: { disputeId: { in: live.map((decision) => decision.disputeId) } },
    select: { disputeId: true, caseId: true, revision: true },
  });
  for (const report of reports) {
    const decision = live.findLast((d) => d.disputeId === report.disputeId)!;
    if (report.revision <= decision.dispute.revision) continue;
    const row = await tx.case.findUniqueOrThrow({
      where: { id: report.caseId },
      include: { assignments: true },
    });
    if (row.routingVersion !== decision.version || !canBeRouted(row.status as CaseStatus)) continue;
    if (!(await isFirstReport(tx, row.id, report.disputeId))) continue;
    const asked = await tx.historyEntry.findMany({
      where: { caseId: row.id, type: { in: [...askedBy] } },
      orderBy: { id: 'asc' },
      select: { type: true, detail: true },
    });
    if (asked.some((entry) => versionOf(entry.detail) > decision.version)) continue;
    // A 催办 the case recorded after the revision routing decided on (the report as it reads now
    // may have left the block out since, or carry that one along unchanged: it says neither).
    const reminder = asked.findLast((entry) => {
      const detail = entry.detail as { disputeId?: string; revision?: number };
      return (
        entry.type === 'reminder' &&
        detail.disputeId === report.disputeId &&
        (detail.revision ?? 0) > decision.dispute.revision
      );
    })?.detail as { reminders?: number } | undefined;
    const { intake } = await tx.report.findUniqueOrThrow({
      where: { disputeId: report.disputeId },
      select: { intake: true },
    });
    const dispute = intake as unknown as DisputeReceivedV1;
    // A court that moved its date since the revision routing decided on: its departments follow.
    const decidedUnder = decision.dispute.channel === 'court' ? decision.dispute.dueAt : undefined;
    const courtMovedFrom =
      decidedUnder && dispute.dueAt && Date.parse(dispute.dueAt) !== Date.parse(decidedUnder)
        ? new Date(decidedUnder)
        : undefined;
    const version = await routeAgain(tx, row, {
      by: 'cases:revision',
      reason: revisionReason(dispute, reminder?.reminders),
      courtMovedFrom,
    });
    await appendHistory(tx, {
      caseId: row.id,
      type: 'revision_routed',
      actor: 'cases:revision',
      detail: {
        disputeId: report.disputeId,
        revision: report.revision,
        version,
        ...(courtMovedFrom && { courtMovedFrom: courtMovedFrom.toISOString() }),
      },
    });
  }
}

/** One decision whose report may repeat an open case, or that shares its case with another. */
async function recordOne(tx: Tx, caseId: string, decision: DisputeAssignedV1): Promise<void> {
  const current = await tx.case.findUniqueOrThrow({ where: { id: caseId }, select: routedFields });
  if (current.routingVersion === 0) {
    if (isHistoricalFiling(decision.dispute, decision.version)) {
      return applyDecisions(tx, [{ current, decision, version: decision.version, filing: 'historical' }]);
    }
    const repeat = await findRepeatTarget(
      tx,
      caseId,
      evidenceOf(decision),
      receivedTime(decision.dispute.receivedAt, new Date()),
    );
    if (repeat) {
      // Read before the fold: the third report makes the case major itself (express lane,
      // township), which would pass for routing's major decision having been applied already.
      const { severity } = await tx.case.findUniqueOrThrow({
        where: { id: repeat.targetId },
        select: { severity: true },
      });
      const { intoDisputeId } = await foldCase(tx, caseId, repeat.targetId, repeat.reason, repeatActor);
      await withdrawFoldedCopies(
        tx,
        matterOfDecision(decision),
        { caseId: repeat.targetId, disputeId: intoDisputeId },
        () => decision.dueAt,
      );
      const target = await tx.case.findUniqueOrThrow({
        where: { id: repeat.targetId },
        select: { status: true },
      });
      // A repeat can make a matter graver (reported again and again, court-related): then routing
      // decides the whole case again on it, and its answer — the case's next version, with the
      // departments it leaves out withdrawn — reaches notify and the agencies like any re-routing.
      if (decision.severity === 'major' && severity !== 'major' && canBeRouted(target.status as CaseStatus)) {
        await rerouteOnGraverRepeat(tx, repeat.targetId, decision);
      }
      return;
    }
  }
  if (decision.version <= current.routingVersion) return;
  await applyDecisions(tx, [{ current, decision, version: decision.version }]);
}

/** Asks routing to decide the case again on the graver report that joined it (`routeAgain`). */
async function rerouteOnGraverRepeat(tx: Tx, caseId: string, repeat: DisputeAssignedV1): Promise<void> {
  const row = await tx.case.findUniqueOrThrow({ where: { id: caseId }, include: { assignments: true } });
  const reason = repeat.dispute.channel === 'court' ? 'court_referral_joined' : 'graver_repeat_joined';
  const version = await routeAgain(tx, row, { by: repeatActor, reason, decideOn: repeat.disputeId });
  await appendHistory(tx, {
    caseId,
    type: 'repeat_rerouted',
    actor: repeatActor,
    detail: { disputeId: repeat.disputeId, sourceRef: repeat.dispute.sourceRef, reason, version },
  });
}

const repeatActor = 'cases:repeat-detection';

function evidenceOf(decision: DisputeAssignedV1) {
  const { parties } = decision.dispute;
  return {
    channel: decision.dispute.channel,
    phones: phoneIdentifiesCaller(decision.dispute.channel)
      ? parties.filter((p) => p.role !== 'respondent' && p.phone).map((p) => p.phone!)
      : [],
    respondents: parties.filter((p) => p.role === 'respondent' && p.name).map((p) => p.name!),
    category: decision.category,
    townCode: decision.jurisdiction.townCode ?? null,
    countyCode: decision.jurisdiction.countyCode ?? null,
  };
}

/** What routing a case needs to know of it. */
const routedFields = {
  id: true,
  status: true,
  severity: true,
  expressLevel: true,
  routingVersion: true,
  dueAt: true,
  cityCode: true,
  countyCode: true,
  townCode: true,
} as const;
type CaseRow = Prisma.CaseGetPayload<{ select: typeof routedFields }>;

interface Routing {
  current: CaseRow;
  decision: DisputeAssignedV1;
  version: number;
  filing?: 'live' | 'historical';
}

/**
 * Gives each case its decision's place, category, severity, departments and due time, for all
 * of them in a few statements. A historical filing keeps the record: no deadline runs on the
 * case, each assignment keeps the deadline it would have had from the day it was received,
 * nobody is told, and a record that says how it ended ends so.
 */
async function applyDecisions(tx: Tx, routings: Routing[]): Promise<void> {
  // A decision that arrives after the case ended is kept in the history, not applied.
  const ignored = routings.filter(({ current }) => !canBeRouted(current.status as CaseStatus));
  if (ignored.length > 0) {
    await appendHistory(
      tx,
      ...ignored.map(({ current, version }) => ({
        caseId: current.id,
        type: 'routing_ignored',
        actor: 'routing',
        detail: { version, status: current.status },
      })),
    );
  }
  const routable = routings.filter(({ current }) => canBeRouted(current.status as CaseStatus));
  if (routable.length === 0) return;
  const leads = await currentLeads(
    tx,
    routable.map(({ current }) => current),
  );
  const courtDue = await courtDeadlines(
    tx,
    routable.filter(({ filing = 'live' }) => filing === 'live').map(({ current }) => current.id),
  );
  const applied = routable.map((routing) => ({ ...routing, ...consequences(routing, leads, courtDue) }));
  await touchCases(
    tx,
    applied.map(({ current }) => current.id),
  );
  await tx.$executeRaw`
    UPDATE cases.cases c SET
      status = v.status, category = v.category, severity = v.severity, city_code = v.city_code,
      county_code = v.county_code, town_code = v.town_code, village_code = v.village_code,
      place_names = v.place_names, place_how = v.place_how,
      express_level = CASE WHEN v.entered_lane THEN v.express_level ELSE c.express_level END,
      escalated_at = CASE WHEN v.entered_lane THEN v.escalated_at ELSE c.escalated_at END,
      triage_code = v.triage_code, routing_version = v.routing_version, due_at = v.due_at, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(applied.map(caseColumns))}::jsonb) AS v(
      id uuid, status text, category text, severity text, city_code text, county_code text, town_code text,
      village_code text, place_names text[], place_how text, entered_lane boolean, express_level text,
      escalated_at timestamptz, triage_code text, routing_version int, due_at timestamptz)
    WHERE c.id = v.id`;

  // One row per case and department (a department named twice keeps its last role, as upserts in turn would).
  const departments = new Map(
    applied.flatMap(({ current, decision, version, assignmentDueAt }) =>
      [
        ...(decision.lead ? [{ ...decision.lead, role: 'lead' }] : []),
        ...decision.coHandlers.map((department) => ({ ...department, role: 'co' })),
      ].map((department) => [
        `${current.id} ${department.code}`,
        {
          id: randomUUID(),
          case_id: current.id,
          department_code: department.code,
          department_kind: department.kind,
          department_name: department.name,
          division_code: department.divisionCode,
          role: department.role,
          routing_version: version,
          due_at: assignmentDueAt,
        },
      ]),
    ),
  );
  // A court's revision that moved its date: what a department holds at the former date was the
  // court's and gives way to the new one (`routedDeadlines`' courtMovedFrom, set-based here); the
  // upsert below then keeps the earlier of what is left, as for any re-routing.
  const courtMoved = applied
    .filter(({ decision, live }) => live && decision.courtMovedFrom)
    .map(({ current, decision }) => ({ case_id: current.id, moved_from: decision.courtMovedFrom }));
  if (courtMoved.length > 0) {
    await tx.$executeRaw`
      UPDATE cases.assignments a SET due_at = v.due_at, updated_at = now()
      FROM jsonb_to_recordset(${JSON.stringify([...departments.values()])}::jsonb) AS v(
          case_id uuid, department_code text, due_at timestamptz),
        jsonb_to_recordset(${JSON.stringify(courtMoved)}::jsonb) AS m(case_id uuid, moved_from timestamptz)
      WHERE a.case_id = v.case_id AND a.department_code = v.department_code AND m.case_id = a.case_id
        AND a.status <> 'withdrawn' AND a.due_at >= m.moved_from`;
  }
  if (departments.size > 0) {
    await tx.$executeRaw`
      INSERT INTO cases.assignments AS a (id, case_id, department_code, department_kind, department_name,
        division_code, role, status, routing_version, due_at, created_at, updated_at)
      SELECT v.id, v.case_id, v.department_code, v.department_kind, v.department_name, v.division_code, v.role,
             'delivered', v.routing_version, v.due_at, now(), now()
      FROM jsonb_to_recordset(${JSON.stringify([...departments.values()])}::jsonb) AS v(
        id uuid, case_id uuid, department_code text, department_kind text, department_name text,
        division_code text, role text, routing_version int, due_at timestamptz)
      ON CONFLICT (case_id, department_code) DO UPDATE SET
        department_kind = excluded.department_kind, department_name = excluded.department_name,
        division_code = excluded.division_code, role = excluded.role,
        status = CASE WHEN ${keepsPlace} THEN a.status ELSE excluded.status END,
        accepted_at = CASE WHEN ${keepsPlace} THEN a.accepted_at END,
        due_at = CASE WHEN ${keepsPlace} THEN LEAST(a.due_at, excluded.due_at) ELSE excluded.due_at END,
        routing_version = excluded.routing_version, updated_at = now()`;
  }
  // Departments a re-routing no longer involves keep their record, marked withdrawn.
  await tx.$executeRaw`
    UPDATE cases.assignments a SET status = 'withdrawn', updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(applied.map(({ current, version }) => ({ case_id: current.id, version })))}::jsonb)
      AS v(case_id uuid, version int)
    WHERE a.case_id = v.case_id AND a.routing_version < v.version AND a.status <> 'withdrawn'`;

  await appendHistory(tx, ...applied.flatMap(historyOf));
  // A case in the lane that a re-routing moves to another town or county: that division's
  // secretary is told, at the level it has, for the reason it entered it.
  const reasons = await laneReasons(
    tx,
    applied.filter(({ movedLane }) => movedLane).map(({ current }) => current.id),
  );
  await appendOutbox(tx, ...applied.flatMap((routing) => announcementsOf(routing, reasons)));
  // Routing is told the lane the case is on when asked to route it again (route-again.ts:
  // `currentLane`) and never decides lower, so its copies of this version say the case's level.
  // Not when the case went up the lane after routing was asked (an operator, the sweeper or a
  // repeat meanwhile), or the request came from a cases service that did not say the lane: then its
  // departments get their copies again, at the case's level. (Notify's webhooks of such a version
  // say routing's level: notify learns the lane from the decisions and the escalations alone.)
  for (const { current, decision, live } of applied)
    if (
      live &&
      laneRank(decision.expressLane?.level ?? null) < laneRank(current.expressLevel as Level | null)
    )
      await sendCopiesAgain(tx, current.id);
  for (const { current, decision, live } of applied) {
    const { historical } = decision.dispute;
    if (!live && historical?.outcome && historical.endedAt) {
      await endAsRecorded(tx, current.id, historical.outcome, new Date(historical.endedAt));
    }
  }
}

/**
 * A department a re-routing keeps in the same role keeps its place in the case: what it accepted
 * or has under way stays so, and its deadline is never pushed back (a 催办 gives nobody more time:
 * `routedDeadlines`' dueFor, set-based here; routing and notify give the department the same).
 * A department new to the case, routed back to it or in another role starts again at delivered.
 */
const keepsPlace = Prisma.sql`a.status <> 'withdrawn' AND a.role = excluded.role`;

/** The lead department of each case routed before, by case. */
async function currentLeads(tx: Tx, cases: CaseRow[]): Promise<Map<string, string>> {
  const routed = cases.filter(({ routingVersion }) => routingVersion > 0);
  if (routed.length === 0) return new Map();
  const leads = await tx.assignment.findMany({
    where: { caseId: { in: routed.map(({ id }) => id) }, role: 'lead', status: { not: 'withdrawn' } },
    select: { caseId: true, departmentCode: true },
  });
  return new Map(leads.map((lead) => [lead.caseId, lead.departmentCode]));
}

/**
 * What a decision makes of its case: its status, the lane it enters, the deadlines. A case whose
 * lead has accepted it stays where it is when the re-routing keeps that lead (a 催办, a correction
 * of its category); a new lead must accept it again.
 */
function consequences(
  { current, decision, filing = 'live' }: Routing,
  leads: ReadonlyMap<string, string>,
  courtDue: ReadonlyMap<string, Date>,
) {
  const live = filing === 'live';
  const receivedAt = new Date(decision.dispute.receivedAt);
  const lead = decision.triage ? null : (decision.lead?.code ?? null);
  const keepsLead = lead !== null && leads.get(current.id) === lead;
  // The kept lead works to the case's deadline; each department's own is applied in SQL (keepsPlace).
  const { caseDue: dueAt } = routedDeadlines({
    decided: new Date(decision.dueAt),
    lead,
    held: (code, role) => (role === 'lead' && keepsLead && code === lead ? current.dueAt : null),
    court: courtDue.get(current.id),
    courtMovedFrom: decision.courtMovedFrom ? new Date(decision.courtMovedFrom) : null,
  });
  const status = keepsLead ? (current.status as CaseStatus) : decision.triage ? 'triage' : 'assigned';
  // The lane only goes up: a decision never lowers a level the case already reached.
  const enteredLane =
    decision.expressLane &&
    laneRank(decision.expressLane.level) > laneRank(current.expressLevel as Level | null)
      ? decision.expressLane
      : null;
  const level = current.expressLevel as Level | null;
  // Only to a place known at that level: a re-routing that loses the town or county (triage)
  // moves the case to no other secretary.
  const known =
    level &&
    {
      city: decision.jurisdiction.cityCode,
      county: decision.jurisdiction.countyCode,
      township: decision.jurisdiction.townCode,
    }[level];
  const movedLane = !enteredLane && level && known && known !== laneDivision(level, current) ? level : null;
  return {
    live,
    receivedAt,
    status,
    keepsLead,
    dueAt,
    enteredLane,
    movedLane,
    assignmentDueAt: live
      ? dueAt
      : new Date(receivedAt.getTime() + (dueAt.getTime() - new Date(decision.decidedAt).getTime())),
  };
}

type Applied = Routing & ReturnType<typeof consequences>;

function caseColumns({ current, decision, version, live, receivedAt, status, dueAt, enteredLane }: Applied) {
  const { jurisdiction } = decision;
  return {
    id: current.id,
    status,
    category: decision.category,
    severity: decision.severity,
    city_code: jurisdiction.cityCode,
    county_code: jurisdiction.countyCode ?? null,
    town_code: jurisdiction.townCode ?? null,
    village_code: jurisdiction.villageCode ?? null,
    place_names: jurisdiction.names,
    place_how: jurisdiction.resolution,
    entered_lane: enteredLane !== null,
    express_level: enteredLane?.level ?? null,
    escalated_at: enteredLane ? (live ? new Date() : receivedAt) : null,
    triage_code: decision.triage?.divisionCode ?? null,
    routing_version: version,
    due_at: live ? dueAt : null,
  };
}

function historyOf({
  current,
  decision,
  version,
  live,
  receivedAt,
  status,
  keepsLead,
  enteredLane,
}: Applied) {
  const { jurisdiction } = decision;
  const at = live ? {} : { at: receivedAt };
  return [
    {
      caseId: current.id,
      // Where the case stands after it: assigned again (or triage), or where it was, re-routed.
      type: keepsLead ? 'rerouted' : status,
      actor: 'routing',
      ...at,
      detail: {
        version,
        ...(!live && { historical: true }),
        disputeId: decision.disputeId,
        lead: decision.lead?.name ?? null,
        coHandlers: decision.coHandlers.map((department) => department.name),
        jurisdiction: jurisdiction.names,
        category: decision.category,
        severity: decision.severity,
        expressLane: decision.expressLane,
        triage: decision.triage,
        trace: decision.trace,
      } as Prisma.InputJsonValue,
    },
    // Major disputes start in the express lane: the secretaries of that level are told.
    ...(enteredLane
      ? [
          {
            caseId: current.id,
            type: 'escalated',
            actor: 'routing',
            ...at,
            detail: { level: enteredLane.level, reason: enteredLane.reason },
          },
        ]
      : []),
  ];
}

/** The events a live decision announces: the case's new status, and its entry into the express lane. */
function announcementsOf(
  { current, decision, live, status, dueAt, enteredLane, movedLane }: Applied,
  reasons: ReadonlyMap<string, CaseEscalatedV1['reason']>,
) {
  if (!live) return [];
  const { jurisdiction } = decision;
  const caseId = current.id;
  const divisionCode = mostSpecificDivision(jurisdiction);
  return [
    ...(status !== current.status
      ? [
          {
            name: 'case.status.v1' as const,
            key: caseId,
            data: {
              caseId,
              disputeIds: [decision.disputeId],
              status,
              previousStatus: current.status as CaseStatus,
              occurredAt: decision.decidedAt,
              category: decision.category,
              divisionCode,
            },
          },
        ]
      : []),
    ...(enteredLane
      ? [
          {
            name: 'case.escalation.v1' as const,
            key: caseId,
            data: {
              caseId,
              level: enteredLane.level,
              previousLevel: (current.expressLevel as Level | null) ?? null,
              reason: 'major' as const,
              detail: enteredLane.reason.slice(0, 500),
              occurredAt: decision.decidedAt,
              divisionCode: laneDivision(enteredLane.level, jurisdiction)!,
              category: decision.category,
              dueAt: dueAt.toISOString(),
            },
          },
        ]
      : []),
    ...(movedLane
      ? [
          {
            name: 'case.escalation.v1' as const,
            key: caseId,
            data: {
              caseId,
              level: movedLane,
              previousLevel: movedLane,
              reason: reasons.get(caseId) ?? 'major',
              detail: `re-routed from ${laneDivision(movedLane, current)}`,
              occurredAt: decision.decidedAt,
              divisionCode: laneDivision(movedLane, jurisdiction)!,
              category: decision.category,
              dueAt: dueAt.toISOString(),
            },
          },
        ]
      : []),
  ];
}

/** A historical record that says how the matter ended: its case ends so, on that day, and closes. */
async function endAsRecorded(tx: Tx, caseId: string, outcome: CaseOutcome, endedAt: Date): Promise<void> {
  await tx.case.update({
    where: { id: caseId },
    data: {
      status: 'closed',
      ...outcomeColumns(outcome),
      resolvedAt: endedAt,
      closedAt: endedAt,
    },
  });
  await tx.assignment.updateMany({
    where: { caseId, status: { not: 'withdrawn' } },
    data: { status: 'done', doneAt: endedAt },
  });
  await appendHistory(
    tx,
    {
      caseId,
      at: endedAt,
      type: outcome.kind === 'mediated' ? 'resolved' : 'unresolved',
      actor: 'import',
      detail: { outcome } as Prisma.InputJsonValue,
    },
    { caseId, at: endedAt, type: 'closed', actor: 'import', detail: {} },
  );
}
