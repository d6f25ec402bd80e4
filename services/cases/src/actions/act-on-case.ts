import { outsideText } from '@huijie/contracts/agency-copies.ts';
import type { CaseOutcome, CaseStatus, Confidentiality } from '@huijie/contracts/events/case-status-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { courtTopic } from '@huijie/contracts/topics.ts';
import { type Level, mostSpecificDivision } from '@huijie/contracts/vocabulary.ts';
import { scopeCovers } from '@huijie/service-kit/auth-token.ts';
import { AppError, conflict, forbidden, notFound } from '@huijie/service-kit/errors.ts';
import { caseTransaction, touchCase } from '../db/case-transaction.ts';
import { appendHistory } from '../db/history.ts';
import type { CasesDb } from '../db/prisma.ts';
import {
  type Action,
  actionVerb,
  allowedActions,
  type CaseEvent,
  type CaseState,
  type Command,
  decide,
  evolve,
  InvalidTransition,
  isOpen,
  laneDivision,
  laneLevel,
  type Role,
} from '../domain/lifecycle.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { type Actor, actorName } from '../http/actor.ts';
import { sendCopiesAgain } from '../outbox/agency-copies.ts';
import { tellCaseEnded } from '../outbox/agency-status.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';
import { confidentialNamesOf } from '../search/search-cases.ts';

/** Agencies act on their own work; escalating and closing are the operators'. */
const agencyActions: readonly Command['type'][] = ['accept', 'record_progress', 'record_outcome', 'add_note'];
/** Of those, what only the lead department may do. */
const leadActions: readonly Command['type'][] = ['accept', 'record_outcome'];

/** What only operators do to an open case's shape: correct its place or category, merge it, detach a report. */
export type ReshapeAction = 'correct' | 'merge' | 'detach';

/**
 * What this actor may do now: an operator everything the status allows, and on an open case its
 * corrections, a merge and (with two reports or more) a detach; an agency only its own actions,
 * and a co-handler not the lead's. What a 409 and every answer offer, so a clerk is never pointed
 * at an action that would answer 403, and an operator sees every one that would not be refused.
 */
export function actionsFor(
  actor: Actor,
  state: CaseState,
  assignments: readonly { departmentCode: string; role: string; status: string }[],
  reports: number,
): (Action | ReshapeAction)[] {
  const actions = allowedActions(state);
  if (actor.kind === 'operator') {
    if (!isOpen(state.status)) return actions;
    return [...actions, 'correct', 'merge', ...(reports >= 2 ? (['detach'] as const) : [])];
  }
  const lead = leads(actor.departmentCode, assignments);
  return actions.filter(
    (action) => agencyActions.includes(action) && (lead || !leadActions.includes(action)),
  );
}

/** Whether a department leads the case (and has not been withdrawn from it). */
const leads = (
  departmentCode: string,
  assignments: readonly { departmentCode: string; role: string; status: string }[],
) =>
  assignments.some(
    (a) => a.departmentCode === departmentCode && a.role === 'lead' && a.status !== 'withdrawn',
  );

/** Whom the actor acts as on this case: an operator, or an agency the department it leads or co-handles. */
const roleOf = (
  actor: Actor,
  assignments: readonly { departmentCode: string; role: string; status: string }[],
): Role =>
  actor.kind === 'operator' ? 'operator' : leads(actor.departmentCode, assignments) ? 'lead' : 'co';

/** What the events about a case say of its reports: enough to answer each channel, and its client. */
export const reportRefFields = { disputeId: true, channel: true, sourceRef: true, intake: true } as const;

export type CaseRow = Prisma.CaseGetPayload<{
  include: { assignments: true; reports: { select: typeof reportRefFields } };
}>;

function reportRefs(reports: CaseRow['reports']) {
  return reports.map((report) => {
    const intake = report.intake as { sourceClient?: string; court?: { referredBy?: string } };
    const client = intake.sourceClient ?? intake.court?.referredBy;
    return {
      disputeId: report.disputeId,
      channel: report.channel as 'hotline_12345' | 'wechat' | 'court',
      sourceRef: report.sourceRef,
      ...(client && { client }),
    };
  });
}

/**
 * Loads a case the actor may see, or answers 404 as if it did not exist (to a department withdrawn
 * from it, 410: `withdrawalOf`). A case merged into another
 * is read (`merged: 'read'`, its history says who merged it and why) but not acted on: a 409 names
 * the case it joined, where the work goes on — not a 404 that reads as if the case were lost.
 */
export async function visibleCase(
  tx: Tx,
  caseId: string,
  actor: Actor,
  options: { merged?: 'refuse' | 'read' } = {},
): Promise<CaseRow> {
  const found = await tx.case.findUnique({
    where: { id: caseId },
    include: { assignments: true, reports: { select: reportRefFields } },
  });
  if (!found) throw notFound('case');
  const visible =
    actor.kind === 'operator'
      ? scopeCovers(actor.claims.scope, mostSpecificDivision(found))
      : found.assignments.some((a) => a.departmentCode === actor.departmentCode && a.status !== 'withdrawn');
  if (!visible) {
    const withdrawn = actor.kind === 'agency' && withdrawalOf(found.assignments, actor.departmentCode);
    throw withdrawn || notFound('case');
  }
  if (found.mergedIntoId && options.merged !== 'read') {
    throw conflict('merged', `the case was merged into ${found.mergedIntoId}: carry on there`, {
      mergedInto: found.mergedIntoId,
    });
  }
  return found;
}

/**
 * What a department that held a case, and was withdrawn from it, is answered instead of the 404 of
 * an unknown id: 410 `withdrawn`, why and when, and nothing of the case as it is now (its place,
 * its departments, its parties). It knew the case exists — it had its copy — so this tells it
 * nothing new but that its copy is out of date: an agency that missed the withdrawal (webhook,
 * Kafka copy) would otherwise take its case id for a wrong one. A department that never held the
 * case gets the 404 (null here): to it the case does not exist. Only a re-routing withdraws a
 * department (consumers/record-assignment.ts); a merged case keeps its departments, who read it
 * with `mergedInto` (`visibleCase`).
 */
export function withdrawalOf(
  assignments: readonly { departmentCode: string; status: string; updatedAt: Date }[],
  departmentCode: string,
): AppError | null {
  const held = assignments.find((a) => a.departmentCode === departmentCode && a.status === 'withdrawn');
  if (!held) return null;
  // The withdrawal is the last change a withdrawn assignment gets (nothing updates one after it:
  // a re-routing that involves the department again makes it live), so its time is the row's.
  return new AppError(
    410,
    'withdrawn',
    'your department no longer handles this case: a re-routing left it out; stop work on it',
    [],
    {},
    { reason: 're-routed', withdrawnAt: held.updatedAt.toISOString() },
  );
}

export function stateOf(row: CaseRow): CaseState {
  return {
    status: row.status as CaseStatus,
    expressLevel: (row.expressLevel as Level | null) ?? null,
    outcome: row.outcomeKind
      ? {
          kind: row.outcomeKind as CaseOutcome['kind'],
          ...(row.outcomeSummary && { summary: row.outcomeSummary }),
          ...(row.outcomeAmount !== null && { amount: Number(row.outcomeAmount) }),
          ...(row.referredTo && { referredTo: row.referredTo as NonNullable<CaseOutcome['referredTo']> }),
        }
      : null,
  };
}

/**
 * Decides a command against the case's current state and, in one transaction, writes the new
 * state, the history and the events that announce it (outbox). A concurrent change to the same
 * case makes the second writer fail with 409 rather than overwrite the first.
 */
export async function actOnCase(
  db: CasesDb,
  caseId: string,
  actor: Actor,
  command: Command,
): Promise<CaseState & { allowedActions: (Action | ReshapeAction)[] }> {
  return caseTransaction(db, async (tx) => {
    const row = await visibleCase(tx, caseId, actor);
    if (actor.kind === 'agency' && !agencyActions.includes(command.type)) {
      throw forbidden(`an agency cannot ${actionVerb(command.type)}; ask an operator`);
    }
    // Taking the case and ending it are the lead's: a co-handler helps (notes, progress), it does
    // not accept the case for the lead or tell the citizen and the court how it ended — nor does
    // its progress start the mediation (`decide`, by the role).
    const role = roleOf(actor, row.assignments);
    if (role === 'co' && leadActions.includes(command.type)) {
      throw forbidden(`only the lead department can ${actionVerb(command.type)}`);
    }
    const before = stateOf(row);
    let events: CaseEvent[];
    try {
      events = decide(
        command.type === 'escalate' ? { ...command, level: laneLevel(command.level, row) } : command,
        before,
        role,
      );
    } catch (error) {
      if (!(error instanceof InvalidTransition)) throw error;
      throw conflict('invalid_transition', error.message, {
        status: before.status,
        allowedActions: actionsFor(actor, before, row.assignments, row.reports.length),
      });
    }
    const after = events.reduce(evolve, before);
    await applyEvents(tx, row, before, after, events, actorName(actor));
    return { ...after, allowedActions: actionsFor(actor, after, row.assignments, row.reports.length) };
  });
}

/** The case row's columns that hold an outcome. */
export function outcomeColumns(outcome: CaseOutcome) {
  return {
    outcomeKind: outcome.kind,
    outcomeSummary: outcome.summary ?? null,
    outcomeAmount: outcome.amount ?? null,
    referredTo: outcome.referredTo ?? null,
  };
}

/** Writes what the events did: the case row (guarded by its previous state), assignments, history, outbox. */
export async function applyEvents(
  tx: Tx,
  row: CaseRow,
  before: CaseState,
  after: CaseState,
  events: CaseEvent[],
  actor: string,
  /** When it happened: now, but for the SLA sweeper, which acts as of its sweep. */
  now = new Date(),
): Promise<void> {
  await touchCase(tx, row.id);
  const data: Prisma.CaseUpdateManyMutationInput = { status: after.status, expressLevel: after.expressLevel };
  for (const event of events) {
    if (event.type === 'accepted') data.acceptedAt = now;
    if (event.type === 'resolved' || event.type === 'unresolved') {
      Object.assign(data, outcomeColumns(event.outcome));
      data.resolvedAt = now;
    }
    if (event.type === 'escalated') data.escalatedAt = now;
    if (event.type === 'closed') data.closedAt = now;
  }
  const guarded = await tx.case.updateMany({
    where: { id: row.id, status: before.status, expressLevel: before.expressLevel },
    data,
  });
  if (guarded.count === 0) {
    throw conflict('concurrent_change', 'the case changed meanwhile; read it again and retry', {
      status: before.status,
    });
  }

  for (const event of events) {
    if (event.type === 'accepted') {
      await tx.assignment.updateMany({
        where: { caseId: row.id, role: 'lead', status: 'delivered' },
        data: { status: 'accepted', acceptedAt: now },
      });
    }
    if (event.type === 'mediating') {
      await tx.assignment.updateMany({
        where: { caseId: row.id, status: { in: ['delivered', 'accepted'] } },
        data: { status: 'in_progress' },
      });
    }
    if (event.type === 'resolved' || event.type === 'unresolved') {
      await tx.assignment.updateMany({
        where: { caseId: row.id, status: { not: 'withdrawn' } },
        data: { status: 'done', doneAt: now },
      });
    }
    const { type, by: _by, ...detail } = event;
    await appendHistory(tx, { caseId: row.id, type, actor, detail: detail as Prisma.InputJsonValue });
    if (event.type === 'escalated') {
      await appendOutbox(tx, {
        name: 'case.escalation.v1',
        key: row.id,
        data: {
          caseId: row.id,
          level: event.level,
          previousLevel: event.previousLevel,
          reason: event.reason as 'major' | 'overdue' | 'repeated' | 'manual',
          ...(event.detail && { detail: event.detail }),
          occurredAt: now.toISOString(),
          divisionCode: laneDivision(event.level, row) ?? '350800',
          category: (row.category as never) ?? null,
          dueAt: row.dueAt?.toISOString() ?? null,
          ...(actor.startsWith('operator:') && { by: actor }),
        },
      });
      // Each department's copy says which lane the case is on (`expressLane`): it gets the copy
      // again at the new level, so it learns a secretary follows the case when the secretary does,
      // not by polling the case (notify does the same for the webhooks).
      await sendCopiesAgain(tx, row.id);
    }
  }
  // The case ended: the court is told, and notify (with who asked for confidentiality, to mask).
  const ended = after.outcome && after.outcome !== before.outcome ? after.outcome : undefined;
  const confidentiality = ended ? await confidentialityOf(tx, row) : undefined;
  if (ended && confidentiality) await reportOutcomeToCourts(tx, row, ended, confidentiality, now, actor);
  if (ended && confidentiality) await tellCaseEnded(tx, row, after.status, ended, confidentiality, now);
  if (after.status !== before.status) {
    await appendOutbox(tx, {
      name: 'case.status.v1',
      key: row.id,
      data: {
        caseId: row.id,
        disputeIds: row.reports.map((report) => report.disputeId),
        status: after.status,
        previousStatus: before.status,
        occurredAt: now.toISOString(),
        category: (row.category as never) ?? null,
        divisionCode: mostSpecificDivision(row),
        ...(ended && { outcome: ended, confidentiality }),
        reports: reportRefs(row.reports),
      },
    });
  }
}

/**
 * Who in the case asked for confidentiality, as an agency reading it is shown its words
 * (http/case-routes.ts): whether a party of its reports did, and the names masked (those of the
 * reports that left it too). What notify needs to tell the outcome to the departments, the
 * hotline and the court as the cases API shows it (case.status.v1 `confidentiality`).
 */
async function confidentialityOf(tx: Tx, row: CaseRow): Promise<Confidentiality> {
  const parties = row.reports.flatMap(
    (report) => (report.intake as unknown as DisputeReceivedV1).parties ?? [],
  );
  return {
    asked: parties.some((party) => party.confidential),
    names: (await confidentialNamesOf(tx, [row.id])).get(row.id) ?? [],
  };
}

/**
 * A referring court gets the outcome of its referral on its own topic, its summary masked as in
 * its signed callback (a department that does not lead: agency-copies.ts `outsideText`), and the
 * case's history says so; the signed callback to the court client follows from case.status.v1 (notify).
 */
async function reportOutcomeToCourts(
  tx: Tx,
  row: CaseRow,
  outcome: CaseOutcome,
  confidentiality: Confidentiality,
  now: Date,
  actor: string,
) {
  const told = outcome.summary
    ? { ...outcome, summary: outsideText(outcome.summary, 'court', confidentiality) }
    : outcome;
  for (const report of row.reports) {
    const court = (report.intake as { court?: { courtCode: string } }).court;
    if (report.channel !== 'court' || !court) continue;
    const topic = courtTopic(court.courtCode);
    await appendOutbox(tx, {
      name: 'court.outcome.v1',
      topic,
      key: report.disputeId,
      data: {
        caseNumber: report.sourceRef,
        courtCode: court.courtCode,
        disputeId: report.disputeId,
        caseId: row.id,
        outcome: told,
        occurredAt: now.toISOString(),
      },
    });
    await appendHistory(tx, {
      caseId: row.id,
      type: 'court_outcome_sent',
      actor,
      detail: { caseNumber: report.sourceRef, court: court.courtCode, topic, outcome: outcome.kind },
    });
  }
}
