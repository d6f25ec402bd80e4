import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import type { CategoryCode, Level } from '@huijie/contracts/vocabulary.ts';
import { courtDeadlines } from '../consumers/fold-case.ts';
import { laneReasons } from '../db/history.ts';
import { laneDivision } from '../domain/lifecycle.ts';
import { firstReportOf } from '../outbox/agency-copies.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';

/** What an operator corrected: the place, the category, or both. */
export interface Correction {
  divisionCode?: string | undefined;
  category?: CategoryCode | undefined;
}

/**
 * The history entries of a request to route again, each with the routing `version` it asked for:
 * an operator's correction, a revision of the report routing decided on, a revision that came
 * before the case's first routing was applied, asked once it was, a graver report that joined
 * the case (`repeat_rerouted`, with the `disputeId` routing decides on from then on), and a report
 * an operator detached into a case of its own (`detached_from`, the new case's first entry).
 */
export const askedBy = [
  'corrected',
  'reminder',
  'report_updated',
  'revision_routed',
  'repeat_rerouted',
  'detached_from',
] as const;

/**
 * Asks routing to decide a case again: case.correction.v1 at the case's next routing version,
 * whose answer re-assigns the case and withdraws the departments it leaves out. Routing decides
 * on the case's first report as it reads now (a later revision — new content, a 催办 — included)
 * with every correction an operator has made so far, `correction` (one being made) last: a new
 * correction or a 催办 never undoes an earlier one. A report that joined the case and made the
 * matter graver (`decideOn`: a major court referral) is decided on instead, now and by every later
 * request, so a correction never makes the matter light again; the new version is still published
 * for the first report, which the case's departments know it by. Nor does it lower the case's
 * express lane: routing is told the lane the case is on (`currentLane`) and decides the higher of
 * it and its own judgement, so the new version's copies and webhooks say it. Returns the version asked for,
 * which the caller records in the history entry of its request.
 */
export async function routeAgain(
  tx: Tx,
  row: {
    id: string;
    routingVersion: number;
    assignments: { departmentCode: string; status: string; role: string; dueAt: Date }[];
  },
  request: {
    by: string;
    reason: string;
    correction?: Correction;
    decideOn?: string;
    /**
     * The court's former date, when a court's revision moved it: its departments follow the new
     * one. The caller records it in its history entry (`courtMovedFrom`), for a later request.
     */
    courtMovedFrom?: Date | undefined;
  },
): Promise<number> {
  const first = await firstReportOf(tx, row.id);
  const dispute = first.intake as unknown as DisputeReceivedV1;
  // The case row's lock makes two requests take turns (an operator's correction, a 催办 meanwhile).
  const [locked] = await tx.$queryRaw<
    {
      routing_version: number;
      express_level: Level | null;
      city_code: string | null;
      county_code: string | null;
      town_code: string | null;
    }[]
  >`
    SELECT routing_version, express_level, city_code, county_code, town_code
    FROM cases.cases WHERE id = ${row.id}::uuid FOR UPDATE`;
  if (!locked) throw new Error(`case ${row.id} not found`);
  // The lane the case is on, read under the lock (an escalation meanwhile waits for it): routing
  // judges the lane from the report alone, and is told this so that the new version never says a
  // lower one (nor its copies and webhooks). Its secretary's division, as the case announced it.
  const level = locked.express_level;
  const division =
    level &&
    laneDivision(level, {
      cityCode: locked.city_code,
      countyCode: locked.county_code,
      townCode: locked.town_code,
    });
  const currentLane = level && {
    level,
    ...(division && { divisionCode: division }),
    reason: (await laneReasons(tx, [row.id])).get(row.id) ?? ('major' as const),
  };
  const earlier = await tx.historyEntry.findMany({
    where: { caseId: row.id, type: { in: [...askedBy] } },
    orderBy: { id: 'asc' },
    select: { type: true, detail: true },
  });
  const corrected: Correction = {};
  for (const { divisionCode, category } of [
    ...earlier.filter((entry) => entry.type === 'corrected').map((entry) => entry.detail as Correction),
    request.correction ?? {},
  ]) {
    if (divisionCode) corrected.divisionCode = divisionCode;
    if (category) corrected.category = category;
  }
  // Past every version asked already: two requests before routing answers the first would
  // otherwise ask the same version, and the second answer be dropped as a redelivery of the first.
  let version = Math.max(row.routingVersion, ...earlier.map((entry) => versionOf(entry.detail))) + 1;
  // Routing's answer is taken once per (dispute, version): a version this dispute was already
  // routed at — on a case it was detached from or merged in from — would be dropped as a redelivery.
  while (
    await tx.processedEvent.findUnique({ where: { eventId: `assignment:${dispute.disputeId}:v${version}` } })
  )
    version++;
  const graver =
    request.decideOn ??
    (
      earlier.findLast((entry) => entry.type === 'repeat_rerouted')?.detail as
        | { disputeId?: string }
        | undefined
    )?.disputeId;
  // Only while that report is still the case's: one an operator detached since decides nothing here.
  const graverReport =
    graver &&
    (await tx.report.findFirst({ where: { disputeId: graver, caseId: row.id }, select: { intake: true } }));
  const decideOn = graverReport ? (graverReport.intake as unknown as DisputeReceivedV1) : undefined;
  const held = row.assignments.filter((a) => a.status !== 'withdrawn');
  const courtDue = (await courtDeadlines(tx, [row.id])).get(row.id);
  // `held` is what the case records now, before routing has answered the requests still pending:
  // a court move one of them carries has not reached it yet, and a department at that former date
  // must follow the court here too (or routing's copy keeps it while the case, having applied the
  // pending answer first, moves on). So the earliest former date among them, and this request's.
  // The version the case holds as read under its lock (the caller's row may be older).
  const routingVersion = locked.routing_version;
  const courtMovedFrom = [
    ...earlier
      .filter((entry) => versionOf(entry.detail) > routingVersion)
      .flatMap((entry) => (entry.detail as { courtMovedFrom?: string }).courtMovedFrom ?? [])
      .map((at) => new Date(at)),
    ...(request.courtMovedFrom ? [request.courtMovedFrom] : []),
  ].reduce<Date | undefined>((min, at) => (min && min <= at ? min : at), undefined);
  await appendOutbox(tx, {
    name: 'case.correction.v1',
    key: dispute.disputeId,
    data: {
      caseId: row.id,
      version,
      dispute: withCorrections(dispute, corrected),
      ...(decideOn && { decideOn: withCorrections(decideOn, corrected) }),
      currentDepartments: held.map((a) => a.departmentCode),
      // Routing gives each agency's copy the deadline this case will record (deadlines.ts).
      currentAssignments: held.map((a) => ({
        code: a.departmentCode,
        role: a.role as 'lead' | 'co',
        dueAt: a.dueAt.toISOString(),
      })),
      ...(courtDue && { courtDueAt: courtDue.toISOString() }),
      ...(courtMovedFrom && { courtMovedFrom: courtMovedFrom.toISOString() }),
      ...(currentLane && { currentLane }),
      corrected: {
        ...(corrected.divisionCode && { divisionCode: corrected.divisionCode }),
        ...(corrected.category && { category: corrected.category }),
      },
      by: request.by,
      reason: request.reason,
      occurredAt: new Date().toISOString(),
    },
  });
  return version;
}

/** A report as an operator corrected the case: its place, its category. */
function withCorrections(dispute: DisputeReceivedV1, corrected: Correction): DisputeReceivedV1 {
  return {
    ...dispute,
    ...(corrected.category && { category: corrected.category }),
    location: corrected.divisionCode
      ? { ...dispute.location, divisionCode: corrected.divisionCode }
      : dispute.location,
  };
}

/** The routing version a request's history entry asked for (0: it asked none). */
export const versionOf = (detail: unknown) => (detail as { version?: number }).version ?? 0;
