import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import { type DisputeReceivedV1, reminderPosition } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { caseIdOpenedBy } from '@huijie/contracts/ids.ts';
import { behind } from '@huijie/service-kit/revisions.ts';
import { routeAgain } from '../actions/route-again.ts';
import { touchCases, touchCasesAgain } from '../db/case-transaction.ts';
import { appendHistory } from '../db/history.ts';
import { insertRows } from '../db/insert-rows.ts';
import { courtRevision } from '../domain/court-facts.ts';
import { canBeRouted } from '../domain/lifecycle.ts';
import { receivedTime } from '../domain/received.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { firstReportOf } from '../outbox/agency-copies.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';
import { searchGramsOf } from '../search/bigrams.ts';
import { courtDeadlines } from './fold-case.ts';

/** The case a dispute opens when it is the first report of its matter. */
export function caseIdFor(disputeId: string): string {
  return caseIdOpenedBy(disputeId);
}

/** A report's revision delivered again with other words: not applied (see `openCases`). */
export interface RepeatedRevision {
  disputeId: string;
  caseId: string;
  revision: number;
  historical: boolean;
}

/**
 * Records disputes' reports and opens their cases at "received", once: the report's primary key
 * (the dispute id) makes a second delivery — or the other topic's copy — change nothing. Done
 * for many disputes in a handful of statements (a consumer records a batch of events in one
 * transaction). Returns, per dispute id, its case id and whether this call created the report.
 * With `repeatedRevisions`, a dispute at the revision its report has already but with something
 * else in it (`sameReport`) is added to it (the caller logs it once the transaction has committed).
 */
export async function openCases(
  tx: Tx,
  disputes: DisputeReceivedV1[],
  options: { repeatedRevisions?: RepeatedRevision[] } = {},
): Promise<Map<string, { caseId: string; created: boolean }>> {
  const result = new Map<string, { caseId: string; created: boolean }>();
  // The same dispute twice (a revision and its predecessor): the later one is applied after.
  const first = new Map<string, DisputeReceivedV1>();
  const again: DisputeReceivedV1[] = [];
  for (const dispute of disputes) {
    if (first.has(dispute.disputeId)) again.push(dispute);
    else first.set(dispute.disputeId, dispute);
  }
  const known = await tx.report.findMany({
    where: { disputeId: { in: [...first.keys()] } },
    // The report as recorded only when it is compared: a routing decision's copy of its dispute is not.
    select: {
      disputeId: true,
      caseId: true,
      revision: true,
      intake: options.repeatedRevisions !== undefined,
    },
  });
  for (const report of known) {
    const dispute = first.get(report.disputeId)!;
    first.delete(report.disputeId);
    // A later revision of the same source record (new content, a 催办 reminder) updates the report, in the history.
    if (dispute.revision > report.revision) await updateReport(tx, report.caseId, dispute);
    // The same revision with something else in it (words, a 催办, a time limit): the ingest took a
    // change as a revision it had taken before (it forgot it: its record in Redis was lost). Not
    // applied; the next revision is.
    else if (
      dispute.revision === report.revision &&
      report.intake !== undefined &&
      !sameReport(report.intake as unknown as DisputeReceivedV1, dispute)
    )
      options.repeatedRevisions?.push({
        disputeId: dispute.disputeId,
        caseId: report.caseId,
        revision: dispute.revision,
        historical: dispute.historical !== undefined,
      });
    result.set(report.disputeId, { caseId: report.caseId, created: false });
  }
  const fresh = [...first.values()];
  if (fresh.length > 0) {
    for (const [disputeId, opened] of await openNew(tx, fresh)) result.set(disputeId, opened);
  }
  for (const dispute of again) {
    const [opened] = (await openCases(tx, [dispute], options)).values();
    result.set(dispute.disputeId, opened!);
  }
  return result;
}

/** `openCases` for disputes no report records yet. */
async function openNew(
  tx: Tx,
  disputes: DisputeReceivedV1[],
): Promise<Map<string, { caseId: string; created: boolean }>> {
  // A historical record opens its case when the channel received it, and tells nobody.
  const historical = (dispute: DisputeReceivedV1) => dispute.historical !== undefined;
  await touchCases(
    tx,
    disputes.map((dispute) => caseIdFor(dispute.disputeId)),
  );
  const now = new Date();
  const opened = new Set(
    await insertRows(
      tx,
      'cases',
      {
        id: 'uuid',
        status: 'text',
        channel: 'text',
        title: 'text',
        search_grams: 'text[]',
        place_names: 'text[]',
        created_at: 'timestamptz',
        updated_at: 'timestamptz',
      },
      disputes.map((dispute) => ({
        id: caseIdFor(dispute.disputeId),
        status: 'received',
        channel: dispute.channel,
        title: dispute.title ?? null,
        search_grams: searchGramsOf([dispute.title, dispute.content]),
        place_names: [],
        // A historical record's receivedAt is long past: the same rule dates it when it was received.
        created_at: receivedTime(dispute.receivedAt, now),
        updated_at: now,
      })),
      { ignoreConflicts: true, returning: 'id' },
    ),
  );
  const openedElsewhere = disputes
    .map((dispute) => caseIdFor(dispute.disputeId))
    .filter((caseId) => !opened.has(caseId));
  if (openedElsewhere.length > 0) await touchCasesAgain(tx, openedElsewhere);
  const reported = new Set(
    await insertRows(
      tx,
      'reports',
      {
        dispute_id: 'uuid',
        case_id: 'uuid',
        channel: 'text',
        source_ref: 'text',
        revision: 'int',
        received_at: 'timestamptz',
        content: 'text',
        intake: 'jsonb',
        reminder_count: 'int',
        reminder_last_at: 'timestamptz',
      },
      disputes.map((dispute) => ({
        dispute_id: dispute.disputeId,
        case_id: caseIdFor(dispute.disputeId),
        channel: dispute.channel,
        source_ref: dispute.sourceRef,
        revision: dispute.revision,
        received_at: dispute.receivedAt,
        content: dispute.content,
        intake: dispute,
        // A work order first pushed already reminded: where its 催办 stand, none of them new here.
        reminder_count: dispute.hotline?.reminder?.count ?? 0,
        reminder_last_at: instantOrNull(dispute.hotline?.reminder?.lastAt),
      })),
      { ignoreConflicts: true, returning: 'dispute_id' },
    ),
  );
  const created = disputes.filter((dispute) => reported.has(dispute.disputeId));
  await insertRows(
    tx,
    'parties',
    {
      id: 'uuid',
      case_id: 'uuid',
      dispute_id: 'uuid',
      role: 'text',
      kind: 'text',
      name: 'text',
      phone: 'text',
      id_number: 'text',
    },
    created.flatMap((dispute) =>
      dispute.parties.map((party) => ({
        id: randomUUID(),
        case_id: caseIdFor(dispute.disputeId),
        dispute_id: dispute.disputeId,
        role: party.role,
        kind: party.kind,
        name: party.name ?? null,
        phone: party.phone ?? null,
        id_number: party.idNumber ?? null,
      })),
    ),
  );
  const first = created.filter((dispute) => opened.has(caseIdFor(dispute.disputeId)));
  await appendHistory(
    tx,
    ...first.map((dispute) => ({
      caseId: caseIdFor(dispute.disputeId),
      type: 'received',
      actor: `channel:${dispute.channel}`,
      ...(historical(dispute) && { at: new Date(dispute.receivedAt) }),
      detail: {
        disputeId: dispute.disputeId,
        sourceRef: dispute.sourceRef,
        receivedAt: dispute.receivedAt,
        ...(historical(dispute) && { historical: true }),
      },
    })),
  );
  await appendOutbox(
    tx,
    ...first
      .filter((dispute) => !historical(dispute))
      .map((dispute) => ({
        name: 'case.status.v1' as const,
        key: caseIdFor(dispute.disputeId),
        data: {
          caseId: caseIdFor(dispute.disputeId),
          disputeIds: [dispute.disputeId],
          status: 'received' as const,
          previousStatus: null,
          occurredAt: new Date().toISOString(),
          category: dispute.category ?? null,
          divisionCode: dispute.location.divisionCode ?? null,
        },
      })),
  );
  return new Map(
    disputes.map((dispute) => [
      dispute.disputeId,
      { caseId: caseIdFor(dispute.disputeId), created: reported.has(dispute.disputeId) },
    ]),
  );
}

/** `openCases` for one dispute. */
export async function openCase(
  tx: Tx,
  dispute: DisputeReceivedV1,
): Promise<{ caseId: string; created: boolean }> {
  return (await openCases(tx, [dispute])).get(dispute.disputeId)!;
}

async function updateReport(tx: Tx, caseId: string, dispute: DisputeReceivedV1): Promise<void> {
  const courtBefore = dispute.channel === 'court' ? await courtDeadlineOf(tx, caseId) : undefined;
  const former = await tx.report.findUniqueOrThrow({
    where: { disputeId: dispute.disputeId },
    select: { revision: true, content: true, intake: true, reminderCount: true, reminderLastAt: true },
  });
  const before = former.intake as unknown as DisputeReceivedV1;
  // A court's own facts too (its mediation deadline, the sum claimed…): an operator sees what the
  // court changed and what it said before, as for the citizen's words.
  const court = courtRevision(before, dispute);
  // The channel's own time limit (the hotline's 办理时限), as an instant; a court's is among its facts.
  const dueMoved = dispute.channel !== 'court' && instantOf(before.dueAt) !== instantOf(dispute.dueAt);
  const changed = [
    ...revisedFields.filter((field) => !sameValue(before[field], dispute[field])),
    ...(dueMoved ? ['dueAt'] : []),
    ...court.changed,
  ];
  // A 修改 carries the work order's reminder as it stands, or leaves the block out: a new 催办 is
  // a reminder beyond the furthest this report has reached (its count, then the time of the last
  // one: the hotline may raise `lastAt` alone), not merely beyond the revision before — an update
  // without the block, then the same reminder again, is no second 催办.
  const reminder = dispute.hotline?.reminder;
  // A furthest 催办 recorded without its time: only a higher count is beyond it (the same one, its
  // time now filled in, is not a second).
  const furthestAt = former.reminderLastAt?.getTime();
  const reminded =
    reminder !== undefined &&
    (furthestAt === undefined
      ? reminder.count > former.reminderCount
      : behind([former.reminderCount, furthestAt], reminderPosition(reminder)));
  await tx.report.update({
    where: { disputeId: dispute.disputeId },
    data: {
      revision: dispute.revision,
      content: dispute.content,
      intake: dispute as unknown as Prisma.InputJsonValue,
      ...(reminded && {
        reminderCount: reminder.count,
        reminderLastAt: reminder.lastAt ? new Date(reminder.lastAt) : null,
      }),
    },
  });
  const current = await tx.case.findUniqueOrThrow({ where: { id: caseId }, select: { searchGrams: true } });
  await tx.case.update({
    where: { id: caseId },
    data: {
      searchGrams: [
        ...new Set([...current.searchGrams, ...searchGramsOf([dispute.title, dispute.content])]),
      ].sort(),
    },
  });
  // What routing decided on has changed — a 催办 makes a court-related matter a major one, new
  // content may name another place — so an open case it has routed is routed again. (Routing's
  // own answer to the revision carries the version of its first decision: taken already, and no
  // agency copy, assign.ts. A case not routed yet is routed again once that first decision is
  // applied, if it decided on an earlier revision: see record-assignment.ts.)
  const routed = await tx.case.findUniqueOrThrow({ where: { id: caseId }, include: { assignments: true } });
  // A court that moved its date (委派调解期限): the departments follow its new one, later too.
  const courtAfter = courtBefore && (await courtDeadlineOf(tx, caseId));
  const courtMovedFrom =
    courtAfter && courtAfter.getTime() !== courtBefore.getTime() ? courtBefore : undefined;
  const version =
    routed.routingVersion > 0 &&
    canBeRouted(routed.status as CaseStatus) &&
    // A folded referral's new date too: the case is routed again on its first report, as before,
    // and its departments follow the court.
    (courtMovedFrom || (await isFirstReport(tx, caseId, dispute.disputeId))) &&
    dispute.historical === undefined
      ? await routeAgain(tx, routed, {
          by: `channel:${dispute.channel}`,
          reason: revisionReason(dispute, reminded ? reminder.count : undefined),
          courtMovedFrom,
        })
      : undefined;
  const revised = { disputeId: dispute.disputeId, sourceRef: dispute.sourceRef, revision: dispute.revision };
  const entries: { type: string; detail: Prisma.InputJsonObject }[] = [
    // The 催办 as the hotline gave it: its count, when, and its note (free text, masked to agencies
    // as every string of the history is, http/case-routes.ts).
    ...(reminded
      ? [
          {
            type: 'reminder',
            detail: {
              ...revised,
              reminders: reminder.count,
              ...(reminder.lastAt !== undefined && { lastAt: reminder.lastAt }),
              ...(reminder.note !== undefined && { note: reminder.note }),
            },
          },
        ]
      : []),
    // New words, place, parties or court facts — with a 催办 or without — are an update of their
    // own: which fields, and the former values, so that an operator sees what the citizen (or the
    // court: `court.mediationDeadline`…) said before (the
    // report keeps only its latest revision; agencies are not shown `previous`, http/case-routes.ts).
    // A revision that changed none of these and is no new 催办 (the same order pushed again with
    // nothing new an operator reads) is one as well.
    ...(changed.length > 0 || !reminded
      ? [
          {
            type: 'report_updated',
            detail: {
              ...revised,
              changed,
              ...(changed.length > 0 && { previous: formerValues(former, before, changed, court.previous) }),
            },
          },
        ]
      : []),
  ];
  await appendHistory(
    tx,
    ...entries.map(({ type, detail }, i) => ({
      caseId,
      type,
      actor: `channel:${dispute.channel}`,
      // The re-routing the revision asked for, once (route-again.ts reads the versions asked).
      detail: {
        ...detail,
        ...(i === 0 && version !== undefined && { version }),
        ...(i === 0 &&
          version !== undefined &&
          courtMovedFrom && { courtMovedFrom: courtMovedFrom.toISOString() }),
      },
    })),
  );
}

/** What a revision may change that an operator reads: compared with the former revision. */
const revisedFields = ['title', 'content', 'location', 'parties'] as const;

const instantOf = (time: string | undefined) => (time === undefined ? null : Date.parse(time));

/** A time to store, to the millisecond as `Date.parse` reads it (PostgreSQL would round finer digits). */
const instantOrNull = (time: string | undefined) =>
  time === undefined ? null : new Date(time).toISOString();

/** Equal as stored: the intake went through jsonb (key order, absent vs undefined). */
const sameValue = (a: unknown, b: unknown) =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));

/**
 * Whether two pushes of a report's revision say the same: all but when it was pushed (a court's
 * `receivedAt` is the push's time; a referral pushed again unchanged is no change).
 */
const sameReport = (a: DisputeReceivedV1, b: DisputeReceivedV1) =>
  sameValue({ ...a, receivedAt: undefined }, { ...b, receivedAt: undefined });

/**
 * The former revision's words, place, time limit and court facts, as they were: the parties' former names and
 * numbers stay out of the history (the case's party rows keep the first report's).
 */
function formerValues(
  former: { revision: number; content: string },
  before: DisputeReceivedV1,
  changed: string[],
  court: Prisma.InputJsonObject,
): Prisma.InputJsonObject {
  return {
    revision: former.revision,
    ...(changed.includes('title') && { title: before.title ?? null }),
    ...(changed.includes('content') && { content: former.content }),
    ...(changed.includes('location') && { location: before.location }),
    ...(changed.includes('dueAt') && { dueAt: before.dueAt ?? null }),
    ...(Object.keys(court).length > 0 && { court }),
  };
}

const courtDeadlineOf = async (tx: Tx, caseId: string) => (await courtDeadlines(tx, [caseId])).get(caseId);

/**
 * Whether a report is the one its case was routed on (its first): a revision of a repeat report is
 * kept in the history, but does not re-route the case on that caller's words and place.
 */
export async function isFirstReport(tx: Tx, caseId: string, disputeId: string): Promise<boolean> {
  return (await firstReportOf(tx, caseId)).disputeId === disputeId;
}

/**
 * Why a revision of a report asks routing again: a 催办, or new content. `reminders`: the count of
 * the new 催办 it brings, when it brings one (a 修改 carries the work order's earlier reminder
 * along, which is none: see `updateReport`).
 */
export function revisionReason(dispute: DisputeReceivedV1, reminders: number | undefined): string {
  return reminders !== undefined ? `催办 (${reminders})` : `revision ${dispute.revision} of the report`;
}
