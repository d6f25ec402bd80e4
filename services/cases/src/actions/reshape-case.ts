import { randomUUID } from 'node:crypto';
import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { mostSpecificDivision } from '@huijie/contracts/vocabulary.ts';
import { badRequest, conflict, forbidden } from '@huijie/service-kit/errors.ts';
import { foldCase } from '../consumers/fold-case.ts';
import { caseTransaction, touchCase } from '../db/case-transaction.ts';
import { appendHistory } from '../db/history.ts';
import type { CasesDb } from '../db/prisma.ts';
import { assertKnownDivision, reportedPlace } from '../domain/divisions.ts';
import { canBeRouted } from '../domain/lifecycle.ts';
import { receivedTime } from '../domain/received.ts';
import { type Actor, actorName } from '../http/actor.ts';
import { assertPlaceWithin } from '../http/auth.ts';
import { appendOutbox } from '../outbox/outbox.ts';
import { searchGramsOf } from '../search/bigrams.ts';
import { actionsFor, type CaseRow, stateOf, visibleCase } from './act-on-case.ts';
import { type Correction, routeAgain } from './route-again.ts';

function operatorOnly(actor: Actor, what: string) {
  if (actor.kind !== 'operator') throw forbidden(`only an operator can ${what}`);
}

/**
 * A case an operator reshapes must be open: a 409 with its status and, for the case acted on (not
 * the one merged into), what they may do with it instead, as every action's 409 says.
 */
function mustBeOpen(row: CaseRow, what: string, actedOnBy?: Actor) {
  if (!canBeRouted(row.status as CaseStatus)) {
    throw conflict('invalid_transition', `cannot ${what} a case that is ${row.status}`, {
      status: row.status,
      ...(actedOnBy && {
        allowedActions: actionsFor(actedOnBy, stateOf(row), row.assignments, row.reports.length),
      }),
    });
  }
}

/** An operator folds a case that is the same matter into another; both histories say so. */
export async function mergeCases(db: CasesDb, caseId: string, intoId: string, actor: Actor, reason: string) {
  operatorOnly(actor, 'merge cases');
  if (caseId === intoId)
    throw badRequest([{ field: 'intoCaseId', reason: 'a case cannot be merged into itself' }]);
  await caseTransaction(db, async (tx) => {
    const from = await visibleCase(tx, caseId, actor);
    const into = await visibleCase(tx, intoId, actor);
    mustBeOpen(from, 'merge', actor);
    mustBeOpen(into, 'merge into');
    await foldCase(tx, caseId, intoId, `merged by hand: ${reason}`, actorName(actor));
  });
}

/**
 * An operator takes a wrongly merged report out into a case of its own: in triage at its own
 * report's place until routing, asked at once, decides on it as another matter.
 */
export async function detachReport(
  db: CasesDb,
  caseId: string,
  disputeId: string,
  actor: Actor,
  reason: string,
) {
  operatorOnly(actor, 'detach a report');
  return caseTransaction(db, async (tx) => {
    const from = await visibleCase(tx, caseId, actor);
    // A case that has ended told each report's source its outcome (the court under its case
    // number, the hotline its 办结反馈): a report taken out now would be handled again and end
    // with a second outcome for the same number.
    mustBeOpen(from, 'detach a report from', actor);
    if (!from.reports.some((r) => r.disputeId === disputeId)) {
      throw badRequest([{ field: 'disputeId', reason: 'not a report of this case' }]);
    }
    if (from.reports.length < 2)
      throw badRequest([{ field: 'disputeId', reason: 'the only report of a case cannot be detached' }]);
    const newId = randomUUID();
    const report = await tx.report.findUniqueOrThrow({
      where: { disputeId },
      select: { content: true, receivedAt: true, createdAt: true, intake: true },
    });
    // Another matter: its case is where its own report is and of its own report's category, as
    // routing will read them, until routing (asked below) decides on it — never the case it
    // leaves's place, whose triage and operators are another town's or county's.
    const dispute = report.intake as unknown as DisputeReceivedV1;
    const place = reportedPlace(dispute);
    const triageCode = mostSpecificDivision(place);
    const wordsOf = (kept: { content: string; intake: unknown }) => [
      (kept.intake as { title?: string }).title,
      kept.content,
    ];
    await touchCase(tx, caseId);
    await touchCase(tx, newId);
    await tx.case.create({
      data: {
        id: newId,
        status: 'triage',
        channel: from.reports.find((r) => r.disputeId === disputeId)!.channel,
        cityCode: place.cityCode,
        countyCode: place.countyCode ?? null,
        townCode: place.townCode ?? null,
        villageCode: place.villageCode ?? null,
        placeNames: place.names,
        placeHow: place.how,
        triageCode,
        category: dispute.category ?? null,
        // Routed already, as part of the case it leaves: its next decision is a re-routing, not a
        // first report, which repeat detection would fold straight back into that case — the
        // operator has just said it is another matter.
        routingVersion: from.routingVersion,
        // Dated as the report's own case would have been had it never been merged (as openCases
        // dates one): when the channel received it, never after it came in. Dated at the detach,
        // the report left the day it was received in the statistics, the search and the export,
        // for the day an operator took it out, and its resolution time ran from then.
        createdAt: receivedTime(report.receivedAt, report.createdAt),
        searchGrams: searchGramsOf(wordsOf(report)),
      },
    });
    await tx.report.update({ where: { disputeId }, data: { caseId: newId, repeatReason: null } });
    await tx.party.updateMany({ where: { caseId, disputeId }, data: { caseId: newId } });
    // The case's words are its remaining reports' again: a search for the detached report's words
    // finds its own case, not the one it left.
    const remaining = await tx.report.findMany({
      where: { caseId },
      select: { content: true, intake: true },
    });
    await tx.case.update({
      where: { id: caseId },
      data: {
        repeatCount: { decrement: 1 },
        searchGrams: searchGramsOf([from.title, ...remaining.flatMap(wordsOf)]),
      },
    });
    const by = actorName(actor);
    // Routing decides on it as on any report, on its own place and words: its answer assigns the
    // case (record-assignment.ts) to its own departments, at a version past the case it left's.
    // A historical record is filed, not handled now: it waits in triage for an operator, as it
    // would after a revision (open-case.ts).
    const version =
      dispute.historical === undefined
        ? await routeAgain(
            tx,
            { id: newId, routingVersion: from.routingVersion, assignments: [] },
            { by, reason },
          )
        : undefined;
    // The new case's status says which version that is: notify holds back a decision of a folded
    // report, and of those it holds, hands out only one that answers this detach (this version or
    // a later one), not the report's first decision the fold overtook, nor an answer to a request
    // made before the merge (a correction of the case it left) that came after it.
    await appendOutbox(tx, {
      name: 'case.status.v1',
      key: newId,
      data: {
        caseId: newId,
        disputeIds: [disputeId],
        status: 'triage',
        previousStatus: null,
        occurredAt: new Date().toISOString(),
        category: dispute.category ?? null,
        divisionCode: triageCode,
        reason: `detached from ${caseId}: ${reason}`,
        ...(version !== undefined && { awaitsRoutingVersion: version }),
      },
    });
    await appendHistory(
      tx,
      {
        caseId,
        type: 'detached',
        actor: by,
        detail: { disputeId, to: newId, reason },
      },
      {
        caseId: newId,
        // A request to route the case (route-again.ts `askedBy`), with the version it asked for:
        // a correction before routing answers asks the next one, not this one again.
        type: 'detached_from',
        actor: by,
        detail: { disputeId, detachedFrom: caseId, reason, ...(version !== undefined && { version }) },
      },
    );
    return newId;
  });
}

/**
 * An operator corrects the place or the category: the case asks routing to decide again
 * (`routeAgain`); the new decision re-assigns the case and withdraws departments no longer involved.
 */
export async function correctCase(
  db: CasesDb,
  caseId: string,
  actor: Actor,
  correction: Correction & { reason: string },
) {
  operatorOnly(actor, 'correct a case');
  await caseTransaction(db, async (tx) => {
    // A case out of sight answers 404 first, whatever place the correction names.
    const row = await visibleCase(tx, caseId, actor);
    mustBeOpen(row, 'correct', actor);
    // A place that exists first (a mistyped code is a 400 saying so, not a 403 about jurisdiction);
    // then only within the operator's jurisdiction: a case moved elsewhere would land on desks
    // where they have no say, and out of their own sight. A town that finds a case is not its own
    // asks its county or the city to move it.
    if (correction.divisionCode) {
      assertKnownDivision(correction.divisionCode, 'divisionCode');
      if (actor.kind === 'operator') assertPlaceWithin(actor.claims, correction.divisionCode, 'divisionCode');
    }
    const by = actorName(actor);
    const version = await routeAgain(tx, row, { by, reason: correction.reason, correction });
    await appendHistory(tx, {
      caseId,
      type: 'corrected',
      actor: by,
      detail: {
        divisionCode: correction.divisionCode ?? null,
        category: correction.category ?? null,
        reason: correction.reason,
        version,
      },
    });
  });
}
