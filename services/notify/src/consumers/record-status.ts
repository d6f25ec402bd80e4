import { createHash } from 'node:crypto';
import { type OutsideReader, outsideText } from '@huijie/contracts/agency-copies.ts';
import { chinaTime } from '@huijie/contracts/calendar.ts';
import type { CaseOutcome, CaseStatusChangedV1 } from '@huijie/contracts/events/case-status-v1.ts';
import type { CaseResultWebhookData } from '@huijie/contracts/webhooks/agency-webhook.ts';
import type { CourtResultData, HotlineResultData } from '@huijie/contracts/webhooks/result-callbacks.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { chineseDate, type NoticePayload, outcomeLabel } from '../notices/notices.ts';
import { bringDeadlineForward } from './case-deadline.ts';
import { placeCase, placeOf } from './case-place.ts';
import { lockDisputes } from './dispute-lock.ts';
import { withdrawFolded } from './folded-withdrawal.ts';
import {
  assignmentKinds,
  dropHeldDecisions,
  handOutHeldDecisions,
  lastToEachRecipient,
} from './record-assignment.ts';
import type { Routing } from './routing.ts';

export const endStatuses = ['resolved', 'unresolved', 'closed'];

/**
 * A short, stable stand-in for a phone number or OpenID inside a dedupe key. Not a secret: an
 * unkeyed hash of an 11-digit number is found by trying them all, and the delivery row holds the
 * recipient anyway (it is sent to). It keeps the number out of the key, not out of the database.
 */
export const recipientKey = (recipient: string) =>
  createHash('sha256').update(recipient).digest('base64url').slice(0, 22);

/**
 * case.status.v1 → remembers which case each dispute belongs to; when a case was folded into
 * another, places its disputes' deliveries where that case is (case-place.ts) and withdraws the
 * disputes from their departments, pointed at that case (folded-withdrawal.ts); when a report left
 * the case it had joined for a case of its own, hands out the decision the fold held back if it
 * is routing's answer to that, come first (of the version the status says the detach asked for,
 * or a later one), and drops any other (record-assignment.ts `dropHeldDecisions`,
 * `handOutHeldDecisions`); when a court referral was folded in, brings that case's deadlines
 * forward to the court's (case-deadline.ts); when the case ends, cancels its SLA reminders and
 * drops a decision held back of its disputes; when it carries the outcome, records:
 * - the handling result (办结反馈) to the 12345 hotline client of each hotline report, and the
 *   mediation outcome to the referring court client of each court referral (signed callbacks);
 * - the result notice to each citizen behind the case, once per person (Yang, who called
 *   several times from one phone, gets one message);
 * - the outcome to each department that holds the case.
 * The summary, words the lead or an operator typed, is told to each as the cases API shows it
 * (agency-copies.ts `outsideText`, with who asked for confidentiality as the event says): to a
 * department as its copies are masked, by its role; to the court as to a department that does not
 * lead; to the hotline with no ID-card number. The citizen's notice quotes no summary.
 * Dedupe keys make a redelivered event, or the outcome repeated on "closed", record nothing new.
 */
export async function recordCaseStatus(
  db: NotifyDb,
  event: CaseStatusChangedV1,
  routing: Routing,
): Promise<number> {
  // A case folded into another: its disputes belong to that case now (its deliveries list them).
  const caseId = event.mergedInto ?? event.caseId;
  const disputeIds = [...new Set([...event.disputeIds, ...(event.reports ?? []).map((r) => r.disputeId)])];
  // A fold marks its disputes (recordAssignment hands a marked dispute to nobody, and keeps its
  // latest decision); the marker stays while they belong to that case, whose own later events list
  // them too, and goes when one leaves it (an operator detaches the report into a case of its own).
  // Routing's answer to the detach, recorded before this status (another topic) and held back by
  // the marker, is handed out then, once: the held decision of the version this status says the
  // detach asked for (`awaitsRoutingVersion`), or a later one. A lower one (the report's first
  // decision that the fold overtook, an answer to a correction asked before the merge) is dropped,
  // as any held decision is when the status says no version: versions, not the two services'
  // clocks, tell which answers what. An event older than the one a row holds (another case's,
  // delivered late) leaves it alone, and does nothing more to that dispute: the dispute has moved
  // on. Under the disputes' locks, so that a decision of one of them handled at the same moment
  // waits for the marker, or is seen by the withdrawal below; and is held back before the marker
  // goes (then kept or dropped here), or finds it gone (then recorded as in any case of its own).
  const mergedInto = event.mergedInto ?? null;
  const mergedIntoDisputeId = (mergedInto && event.mergedIntoDisputeId) || null;
  // The case the disputes are in ended: folded into another, it did not (its matter goes on there).
  const ended = endStatuses.includes(event.status) && !event.mergedInto;
  const written = await db.$transaction(async (tx) => {
    // With the dispute the case they join is known by: its decision, recorded at the same moment,
    // places the case (case-place.ts) before the fold is read, or after it is written.
    await lockDisputes(tx, mergedIntoDisputeId ? [...disputeIds, mergedIntoDisputeId] : disputeIds);
    const rows = await tx.$queryRaw<{ disputeId: string; ownCase: boolean }[]>`
      INSERT INTO notify.case_disputes (dispute_id, case_id, status, status_at, merged_into, merged_into_dispute_id)
      SELECT d, ${caseId}::uuid, ${event.status}, ${event.occurredAt}::timestamptz, ${mergedInto}::uuid, ${mergedIntoDisputeId}::uuid
      FROM unnest(${disputeIds}::uuid[]) AS d
      ON CONFLICT (dispute_id) DO UPDATE SET
        case_id = excluded.case_id,
        status = excluded.status,
        status_at = excluded.status_at,
        merged_into = CASE WHEN excluded.merged_into IS NOT NULL THEN excluded.merged_into
          WHEN case_disputes.merged_into = excluded.case_id THEN case_disputes.merged_into END,
        merged_into_dispute_id = CASE WHEN excluded.merged_into IS NOT NULL THEN excluded.merged_into_dispute_id
          WHEN case_disputes.merged_into = excluded.case_id THEN case_disputes.merged_into_dispute_id END
      WHERE case_disputes.status_at IS NULL OR case_disputes.status_at <= excluded.status_at
      RETURNING dispute_id::text AS "disputeId", merged_into IS NULL AS "ownCase"`;
    const current = rows.map((row) => row.disputeId);
    const own = rows.filter((row) => row.ownCase).map((row) => row.disputeId);
    // What the marker held back that nobody is to be handed: of a case that ended, all of it (no
    // detach can come now); of the disputes this status leaves in a case of their own, what does
    // not answer the detach (all of it, when the status is no detach's).
    if (ended) await dropHeldDecisions(tx, current);
    else await dropHeldDecisions(tx, own, event.awaitsRoutingVersion);
    // Folded, the reports are where the case they joined is (the place of its own dispute, known
    // once a decision of it was handed out; else that decision places them when it comes): the
    // town they came from sees their deliveries no more, as the cases API shows it the reports only
    // under the case they joined. The whole joined case is placed, not only them: a decision of a
    // folded report handed out while notify took it for a case of its own (the joined case's
    // status, on another key, came before the fold's) moved that case to the report's place. A
    // report that leaves for a case of its own is placed by routing's decision on it.
    if (mergedIntoDisputeId && current.length > own.length) {
      const place = await placeOf(tx, mergedIntoDisputeId);
      if (place) await placeCase(tx, mergedIntoDisputeId, place);
    }
    return { current, own };
  });
  const { current, own } = written;
  // The disputes a detach's status leaves in a case of their own (it cleared a fold's marker): a
  // decision the marker held back, and not dropped above, answers the detach and is handed out.
  // Only a detach's status can leave one (any other dropped them all above). Before an end's
  // cleanup below, which cancels what it schedules for a case that has ended.
  const handedOut =
    event.awaitsRoutingVersion === undefined ? 0 : await handOutHeldDecisions(db, own, routing);
  if (endStatuses.includes(event.status)) {
    await db.slaReminder.deleteMany({ where: { disputeId: { in: current } } });
    await db.delivery.updateMany({
      where: { disputeId: { in: current }, kind: 'sla_reminder', state: 'pending' },
      data: { state: 'cancelled', lastError: `case ${event.status}` },
    });
    // No secretary is asked to supervise a case that has ended (an escalation notice held back
    // by the throttle or retrying, or a dead letter someone might replay). A case folded into
    // another goes on there: its notices stand.
    if (!event.mergedInto) {
      await db.delivery.updateMany({
        where: { caseId: event.caseId, kind: 'escalation_notice', state: { in: ['pending', 'failed'] } },
        data: { state: 'cancelled', lastError: `case ${event.status}` },
      });
    }
  }
  const withdrawn = await withdrawFolded(db, { ...event, disputeIds: current }, routing);
  // What the move recorded: a detach, the decision it handed out; a fold, its withdrawals, and for
  // a court referral folded in, the deadlines brought forward to the court's date in the case it joined.
  const folded =
    handedOut +
    withdrawn +
    (event.mergedInto && event.mergedDeadline
      ? await bringDeadlineForward(db, event.mergedInto, event.mergedDeadline, routing)
      : 0);
  const { outcome } = event;
  if (!outcome) return folded;

  const sources = new Map(
    (await db.disputeSource.findMany({ where: { disputeId: { in: disputeIds } } })).map((source) => [
      source.disputeId,
      source,
    ]),
  );
  const reports =
    event.reports ??
    [...sources.values()].map((source) => ({
      disputeId: source.disputeId,
      channel: source.channel as 'hotline_12345' | 'wechat' | 'court',
      sourceRef: source.sourceRef,
      client: source.sourceClient ?? undefined,
    }));
  const result = outcomeLabel(outcome);
  const divisionCode = event.divisionCode;
  /** The summary as `reader` is told it. */
  const summaryFor = (reader: OutsideReader) =>
    outcome.summary === undefined ? undefined : outsideText(outcome.summary, reader, event.confidentiality);
  /** The outcome as a department in `role` is told it. */
  const outcomeFor = (role: 'lead' | 'co'): CaseOutcome => {
    const summary = summaryFor(role);
    return summary === undefined ? outcome : { ...outcome, summary };
  };

  // Who holds the case: a department whose last word on one of its disputes is an assignment of
  // that dispute's latest version. Not one a fold or a re-routing withdrew (the outcome, the
  // amount, are not theirs to know), nor one whose assignment was cancelled before it went out.
  const given = await db.delivery.findMany({
    where: {
      disputeId: { in: disputeIds },
      kind: { in: [...assignmentKinds, 'withdrawal'] },
      state: { not: 'cancelled' },
    },
    select: { disputeId: true, version: true, recipient: true, payload: true, kind: true },
    orderBy: [{ version: 'asc' }, { createdAt: 'asc' }],
  });
  const latest = new Map<string, number>();
  for (const row of given)
    if (row.disputeId && row.kind !== 'withdrawal')
      latest.set(row.disputeId, Math.max(latest.get(row.disputeId) ?? 0, row.version ?? 0));
  const holders = lastToEachRecipient(given).filter(
    (row) => row.kind !== 'withdrawal' && row.disputeId && row.version === latest.get(row.disputeId),
  );
  const leadName = holders
    .map((row) => row.payload as { role?: string; department?: string })
    .find((payload) => payload.role === 'lead')?.department;

  const rows: Prisma.DeliveryCreateManyInput[] = [];
  for (const report of reports) {
    if (report.channel === 'wechat') continue;
    const channel = report.channel === 'court' ? 'court' : 'hotline';
    const source = sources.get(report.disputeId);
    const client = routing.sourceClient(channel, report.client ?? source?.sourceClient);
    const summary = summaryFor(channel);
    // The bodies' data, as published for the callbacks (contracts/webhooks/result-callbacks.ts).
    const payload: HotlineResultData | CourtResultData =
      channel === 'hotline'
        ? ({
            // 办结反馈: the hotline closes its order with this.
            orderNo: report.sourceRef,
            caseId,
            status: event.status,
            outcome: outcome.kind,
            result,
            feedback: summary ? `${result}。${summary}` : result,
            ...(outcome.amount !== undefined && { amount: outcome.amount }),
            ...(leadName && { handledBy: leadName }),
            // 办结时间, in China time whatever offset the event was stamped with.
            finishedAt: chinaTime(event.occurredAt),
          } satisfies HotlineResultData)
        : ({
            // The referring court is told how its pre-litigation mediation ended.
            caseNo: report.sourceRef,
            caseId,
            status: event.status,
            outcome: outcome.kind,
            mediated: outcome.kind === 'mediated',
            ...(summary && { summary }),
            ...(outcome.amount !== undefined && { amount: outcome.amount }),
            ...(outcome.referredTo && { referredTo: outcome.referredTo }),
            ...(leadName && { mediatedBy: leadName }),
            // In China time, as the hotline's finishedAt: a court's date is China's, not UTC's.
            closedAt: chinaTime(event.occurredAt),
          } satisfies CourtResultData);
    rows.push({
      dedupeKey: `result:${channel}:${report.disputeId}`,
      kind: 'result_callback',
      channel,
      // No known client: the delivery fails where an operator sees it, and replays once configured.
      recipient: client ?? `unknown-${channel}-client`,
      disputeId: report.disputeId,
      caseId,
      divisionCode,
      payload,
    });
  }

  const told = new Set<string>();
  for (const source of sources.values()) {
    const reach = routing.citizenChannel(
      {
        phone: source.phone ?? undefined,
        wechatOpenId: source.wechatOpenId ?? undefined,
        wechatRefused: source.wechatRefusedAt !== null,
      },
      'result',
    );
    if (!reach) continue;
    const key = recipientKey(reach.recipient);
    if (told.has(key)) continue;
    told.add(key);
    const notice: NoticePayload = {
      notice: 'result',
      params: { ref: source.sourceRef, result, date: chineseDate(event.occurredAt) },
    };
    rows.push({
      dedupeKey: `citizen:result:${caseId}:${key}`,
      kind: 'citizen_notice',
      channel: reach.channel,
      recipient: reach.recipient,
      disputeId: source.disputeId,
      caseId,
      divisionCode,
      payload: notice as unknown as Prisma.InputJsonValue,
    });
  }

  // A department leads the case if it leads one of the disputes it holds (as the cases API reads it).
  const roles = new Map<string, 'lead' | 'co'>();
  for (const row of holders)
    if (roles.get(row.recipient) !== 'lead')
      roles.set(row.recipient, (row.payload as { role?: string }).role === 'lead' ? 'lead' : 'co');
  for (const [code, role] of roles) {
    rows.push({
      dedupeKey: `case_result:${caseId}:${code}`,
      kind: 'case_result',
      channel: routing.agencyChannel(code),
      recipient: code,
      caseId,
      divisionCode,
      payload: {
        caseId,
        disputeIds,
        status: event.status,
        outcome: outcomeFor(role),
        result,
        occurredAt: event.occurredAt,
      } satisfies CaseResultWebhookData,
    });
  }
  if (rows.length === 0) return folded;
  return folded + (await db.delivery.createMany({ data: rows, skipDuplicates: true })).count;
}
