import {
  agencyText,
  assignedCopy,
  assignmentWebhookData,
  matterOfDecision,
} from '@huijie/contracts/agency-copies.ts';
import { routedDeadlines } from '@huijie/contracts/deadlines.ts';
import { answersLaterRevision, DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import { isHistoricalFiling } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { caseIdOpenedBy } from '@huijie/contracts/ids.ts';
import type {
  AssignmentWebhookData,
  SlaReminderWebhookData,
  WithdrawalWebhookData,
} from '@huijie/contracts/webhooks/agency-webhook.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { Prisma } from '../generated/prisma/client.ts';
import {
  acceptedNoticeDelivery,
  type Handler,
  joinedCaseLead,
  tellFoldedCitizens,
} from './accepted-notice.ts';
import { changedFields } from './assignment-update.ts';
import { hasFoldedUnder, placeCase, placeOf } from './case-place.ts';
import { lockDisputes } from './dispute-lock.ts';
import { withdrawFolded } from './folded-withdrawal.ts';
import { citizenOf, type Routing } from './routing.ts';

/** What notify knows of the case a dispute belongs to (notify.case_disputes). */
type InCase = {
  caseId: string;
  dueBy: Date | null;
  mergedInto: string | null;
  mergedIntoDisputeId: string | null;
};

/** What notify recorded of a dispute before a decision: who it reached, what each holds. */
type RecordedBefore = {
  /** Whether an earlier decision of it was recorded (dispute_sources): something of it may be elsewhere. */
  known: boolean;
  /** Departments an earlier version reached and not since told that they lost it. */
  reached: Set<string>;
  /** What one of those last got of the dispute (an assignment or update): what an update changes. */
  got: (code: string) => AssignmentWebhookData | undefined;
  /** The deadline a department keeps in its role, as the cases service keeps it. */
  held: (code: string, role: 'lead' | 'co') => string | undefined;
};

/**
 * A decision as notify keeps it while the fold's marker holds it back (dispute_sources
 * .held_decision): what recordAssignment reads of it. The parties' ID-card numbers, the address,
 * the attachments and a court's claims are left out, and the ID-card numbers typed into the
 * report's title, content and reminder note are masked as every department's copy masks them
 * (agency-copies.ts `agencyText`): no delivery carries them. The rest is kept as it came, for the
 * copies and the citizen's notice to be made from it as from the decision: the parties' names and
 * phones, and the mobile numbers typed into the words (the lead's copy quotes them; agencyText
 * masks them for the others, and a confidential party's name for everyone, when the copy is made).
 */
function heldForm(decision: DisputeAssignedV1): Prisma.InputJsonValue {
  const { parties, location, court, hotline } = decision.dispute;
  /** `text` with its ID-card numbers masked, its mobile numbers and names left to the copies. */
  const noIdCards = (text: string) => agencyText(text, 'kept', []);
  const note = hotline?.reminder?.note;
  const dispute: DisputeAssignedV1['dispute'] = {
    ...decision.dispute,
    ...(decision.dispute.title !== undefined && { title: noIdCards(decision.dispute.title) }),
    content: noIdCards(decision.dispute.content),
    parties: parties.map(({ idNumber: _idNumber, ...party }) => party),
    location: location.divisionCode ? { divisionCode: location.divisionCode } : {},
    attachments: [],
    ...(court && { court: { ...court, claims: undefined } }),
    ...(hotline?.reminder &&
      note !== undefined && {
        hotline: { ...hotline, reminder: { ...hotline.reminder, note: noIdCards(note) } },
      }),
  };
  return JSON.parse(JSON.stringify({ ...decision, dispute }));
}

/** Kinds that hand a dispute to a department (first time, or again with changes). */
export const assignmentKinds = ['assignment', 'assignment_update'] as const;

/** The latest routing version seen of each of these disputes, by dispute. */
export async function routingVersions(
  db: Prisma.TransactionClient,
  disputeIds: string[],
): Promise<Map<string, number>> {
  const sources = await db.disputeSource.findMany({
    where: { disputeId: { in: disputeIds } },
    select: { disputeId: true, routingVersion: true },
  });
  return new Map(sources.map((source) => [source.disputeId, source.routingVersion]));
}

/**
 * Of deliveries in the order they were recorded, the last one each recipient got of each dispute:
 * what a department holds now (an assignment of some version, or a withdrawal).
 */
export function lastToEachRecipient<R extends { disputeId: string | null; recipient: string }>(
  rows: readonly R[],
): R[] {
  return [...new Map(rows.map((row) => [`${row.disputeId} ${row.recipient}`, row])).values()];
}

const reminderLevels = ['due_soon', 'overdue'] as const;

/**
 * A reminder's key, as its delivery's: one per lead, deadline and level, whatever the routing
 * version. A re-routing that keeps the lead at its deadline (a 催办, which gives nobody more time)
 * reminds it of nothing again; a deadline that moved is a new one to remind of.
 */
export const reminderKey = (
  disputeId: string,
  recipient: string,
  level: (typeof reminderLevels)[number],
  dueAt: string,
) => `sla:${disputeId}:${recipient}:${new Date(dueAt).toISOString()}:${level}`;

/** A deadline "due soon" is one not yet passed: past it, the lead is told only that it is overdue. */
export const dueSoonIsMoot = (level: string, dueAt: string, now: Date) =>
  level === 'due_soon' && Date.parse(dueAt) <= now.getTime();

/** When the lead is reminded of a deadline: some time before it (not in the past), and when it passes. */
export function reminderFireAt(
  level: (typeof reminderLevels)[number],
  dueAt: string,
  routing: Routing,
  now: Date,
): Date {
  const due = Date.parse(dueAt);
  return new Date(level === 'overdue' ? due : Math.max(now.getTime(), due - routing.slaReminderBeforeMs));
}

/**
 * dispute.assignment.v1 → deliveries:
 * - one per department the decision involves (`assignment`, or `assignment_update` for a
 *   department that already had an earlier version), so a jointly handled case counts as
 *   delivered only when each department got it; a re-routing sends `withdrawal` to departments
 *   that had the dispute and no longer do, and cancels what had not gone out yet;
 * - SLA reminders to the lead (due soon, overdue), scheduled: they become deliveries when
 *   their time comes, if the case is still open and not re-routed;
 * - the acceptance notice to the citizen (WeChat when their OpenID is known, else SMS), once.
 * It also remembers where the dispute came from and how to reach the citizen, for the result, and
 * where routing placed it: a decision handed out moves the deliveries of its case there
 * (case-place.ts), for operators see a delivery where its case is now.
 *
 * A historical record's filing records nothing: it is not news to anyone. Nor does routing's own
 * answer to a later revision of the report (a 催办, new content): it comes at version 1 again, and
 * routing sends no agency copy of it either (answersLaterRevision); the cases service's request to
 * route again brings the revision to the departments, at the next version. A dispute whose case
 * was folded into another before its decision arrived is handed to no department and gets no
 * reminders (folded-withdrawal.ts); its source and the citizen's notice are kept, as when the
 * fold comes second. Its latest decision is kept as well, whenever routing made it (its clock is
 * not cases'), until the report is detached into a case of its own: that case's status hands it
 * out if it answers the detach (its version is the one the detach asked for, or a later one), and
 * else drops it (record-status.ts: dropHeldDecisions, then handOutHeldDecisions); the end of the
 * case the report is in drops it too.
 *
 * Every row has a dedupe key, so the same event delivered twice records nothing twice; an older
 * version arriving after a newer one records nothing at all. Agencies get what they need to
 * act, never ID numbers; only the lead gets the contact, and not of a confidential party.
 */
export async function recordAssignment(
  db: NotifyDb,
  decision: DisputeAssignedV1,
  routing: Routing,
  now = new Date(),
): Promise<number> {
  const { dispute, disputeId, version } = decision;
  if (isHistoricalFiling(dispute, version) || answersLaterRevision(decision)) return 0;
  const citizen = citizenOf(dispute);
  const source = {
    channel: dispute.channel,
    sourceRef: dispute.sourceRef,
    sourceClient: dispute.sourceClient ?? dispute.court?.referredBy ?? null,
    phone: citizen?.phone ?? null,
    wechatOpenId: citizen?.wechatOpenId ?? null,
    place: decision.jurisdiction.names.join('') || null,
  };
  // The same copy routing publishes on each agency's topic: one rule for who is told what.
  const matter = matterOfDecision(decision);
  const divisionCode = matter.place.divisionCode;
  const departments = matter.involved;
  const lead = decision.triage ? null : decision.lead;

  /**
   * What notify recorded of the dispute before this decision, or undefined when it knows a later
   * version (this one records nothing). Read under the dispute's lock: besides this consumer, the
   * case's status hands out a decision the fold's marker held back (handOutHeldDecisions), and a
   * newer decision may be recorded at the same moment.
   */
  const recordedBefore = async (tx: Prisma.TransactionClient): Promise<RecordedBefore | undefined> => {
    // Events of one dispute arrive in order (same key, same partition); a redelivered older
    // decision, after a newer one, is the only way an older version shows up (or a held one
    // handed out after a newer one was recorded).
    const known = await tx.disputeSource.findUnique({
      where: { disputeId },
      select: { routingVersion: true, wechatRefusedAt: true },
    });
    if (known && known.routingVersion > version) return undefined;
    // WeChat refused this citizen on an earlier notice of the dispute: a later one is texted.
    if (citizen && known?.wechatRefusedAt) citizen.wechatRefused = true;

    // Departments an earlier version reached (or is reaching) and that were not told since that
    // they lost it: they get an update or a withdrawal. What each department last got decides, so
    // one withdrawn and later routed back is assigned afresh, and one withdrawn is not withdrawn twice.
    const earlier = await tx.delivery.findMany({
      where: {
        disputeId,
        kind: { in: [...assignmentKinds, 'withdrawal'] },
        version: { lt: version },
      },
      select: { recipient: true, kind: true, payload: true, state: true, version: true },
      // In the order they were recorded: a fold's withdrawal has the version of the assignment it
      // takes back (folded-withdrawal.ts), and comes after it.
      orderBy: [{ version: 'asc' }, { createdAt: 'asc' }],
    });
    const lastGot = new Map(
      earlier
        .filter((row) => row.state === 'delivered' || row.state === 'sending')
        .map((row) => [row.recipient, row]),
    );
    const reached = new Set(
      [...lastGot].filter(([, row]) => row.kind !== 'withdrawal').map(([code]) => code),
    );
    // As the cases service keeps it: a department the re-routing keeps in its role keeps the
    // deadline it has when that is earlier (a 催办 gives nobody more time), and so do its reminders.
    // A kept lead keeps the case's deadline too: a department new to the case joins it at that one.
    // What the cases service recorded for it is what the previous version gave it, sent yet or not
    // (a receiver down); one that version withdrew or left out starts afresh.
    const lastGiven = new Map(earlier.map((row) => [row.recipient, row]));
    const held = (code: string, role: 'lead' | 'co') => {
      const row = lastGiven.get(code);
      const payload =
        row && row.kind !== 'withdrawal' && row.version === known?.routingVersion
          ? (row.payload as { role?: string; dueAt?: string })
          : undefined;
      return payload?.role === role ? payload.dueAt : undefined;
    };
    const got = (code: string) =>
      reached.has(code) ? (lastGot.get(code)?.payload as AssignmentWebhookData) : undefined;
    return { known: known !== null, reached, got, held };
  };

  /**
   * The case the departments are told the dispute is in: the one notify knows it in, else — no
   * status of it heard yet — at its first decision the case its report opened (every report opens
   * one: caseIdOpenedBy). Past the first, notify does not guess: an operator may have detached the
   * report into a case of another id meanwhile. A folded dispute is handed to nobody.
   */
  const caseOf = (inCase: InCase | null) =>
    inCase ? inCase.caseId : version === 1 ? caseIdOpenedBy(disputeId) : null;

  /** What this decision hands out, given what notify knows of the dispute and of its case. */
  const handOut = (
    { reached, got, held }: RecordedBefore,
    inCase: InCase | null,
    joined: { lead: Handler | undefined; place: string | null },
  ) => {
    // Its case was folded into another already (the fold's status came first: another topic):
    // no department is handed it, and one that had it is withdrawn, as the fold's status does.
    const folded = inCase?.mergedInto ?? null;
    // Nor, whoever leads, later than a court's date that joined the case: as the cases service
    // holds it when it asked for this version (a court may have moved it since the fold), else as
    // the fold told (case-deadline.ts). The same rule as the cases service's and routing's (deadlines.ts).
    const { dueFor } = routedDeadlines({
      decided: decision.dueAt,
      lead: lead?.code ?? null,
      held,
      court: decision.courtDueAt ?? inCase?.dueBy?.toISOString(),
      // A court's revision that moved its date: what it gave the departments gives way to the new one.
      courtMovedFrom: decision.courtMovedFrom,
    });
    const handedTo = folded ? [] : departments;
    const caseId = caseOf(inCase);
    const rows: Prisma.DeliveryCreateManyInput[] = handedTo.map(({ department, role }) => {
      // As published for agencies' webhooks (contracts/webhooks/agency-webhook.ts).
      const body = assignmentWebhookData(
        assignedCopy(matter, { department, role }, dueFor(department.code, role)),
        caseId,
      );
      // A department that holds the dispute is told what this version changes of what it got.
      const before = got(department.code);
      return {
        dedupeKey: `assignment:${disputeId}:v${version}:${department.code}`,
        kind: before ? 'assignment_update' : 'assignment',
        channel: routing.agencyChannel(department.code),
        recipient: department.code,
        disputeId,
        version,
        divisionCode,
        payload: before ? { ...body, changes: changedFields(before, body) } : body,
      };
    });

    const current = new Set(departments.map(({ department }) => department.code));
    for (const code of reached) {
      // A folded dispute's departments are withdrawn below, told where the matter went.
      if (folded || current.has(code)) continue;
      rows.push({
        dedupeKey: `withdrawal:${disputeId}:v${version}:${code}`,
        kind: 'withdrawal',
        channel: routing.agencyChannel(code),
        recipient: code,
        disputeId,
        version,
        divisionCode,
        payload: { disputeId, version, reason: 're-routed' } satisfies WithdrawalWebhookData,
      });
    }

    const reminders: Prisma.SlaReminderCreateManyInput[] = [];
    // The lead's deadline as the case holds it (a court's earlier date).
    const leading = lead && { ...lead, dueAt: dueFor(lead.code, 'lead') };
    if (leading) {
      for (const level of folded ? [] : reminderLevels) {
        // An order that came in past its deadline (or a court's date that passed) is overdue only.
        if (dueSoonIsMoot(level, leading.dueAt, now)) continue;
        reminders.push({
          dedupeKey: reminderKey(disputeId, leading.code, level, leading.dueAt),
          disputeId,
          version,
          level,
          channel: routing.agencyChannel(leading.code),
          recipient: leading.code,
          divisionCode,
          fireAt: reminderFireAt(level, leading.dueAt, routing, now),
          payload: {
            disputeId,
            version,
            level,
            department: leading.name,
            dueAt: leading.dueAt,
          } satisfies SlaReminderWebhookData,
        });
      }
    }
    // The citizen is told who handles their report: for a folded one, the lead and deadline of the
    // case it joined, even when its own decision went to triage; else the lead, by the deadline its
    // reminders have. A report in triage that joined no led case waits, untold, for an operator.
    const handler = joined.lead ?? (leading ? { department: leading.name, dueAt: leading.dueAt } : undefined);
    // A folded report's notice is where the case it joined is (case-place.ts), when notify knows it.
    const noticePlace = (folded && joined.place) || divisionCode;
    const notice =
      handler &&
      acceptedNoticeDelivery(routing, citizen, {
        disputeId,
        ref: dispute.sourceRef,
        divisionCode: noticePlace,
        handler,
      });
    if (notice) rows.push(notice);
    return { rows, reminders };
  };

  // The fold's marker is read, and what it allows written, under the dispute's lock
  // (dispute-lock.ts): a fold handled at the same moment has marked it before, or withdraws after;
  // a detach's status handled at the same moment has cleared it before, or finds this decision
  // held back after.
  const recorded = await db.$transaction(async (tx) => {
    await lockDisputes(tx, [disputeId]);
    const before = await recordedBefore(tx);
    if (!before) return undefined;
    const inCase = await tx.caseDispute.findUnique({
      where: { disputeId },
      select: { caseId: true, dueBy: true, mergedInto: true, mergedIntoDisputeId: true },
    });
    // Held back by the fold's marker: kept, the latest of the dispute's decisions (this one, a
    // later version replacing it), whatever its `decidedAt` (routing's clock, not the fold's). It
    // may be routing's answer to an operator's detach of the report into a case of its own, come
    // before that case's status (another topic); or one the fold overtook (a repeat's own first
    // decision), or an answer to what was asked before the merge (a correction of the case that
    // was folded), which are handed to nobody. The detach's status tells which by the routing
    // version it asked for (record-status.ts: dropHeldDecisions, handOutHeldDecisions). A decision
    // recorded in a case of its own drops what one kept: it is handed out, or a later version is.
    const heldDecision = inCase?.mergedInto ? heldForm(decision) : Prisma.DbNull;
    // A decision handed out places the dispute, and its case with it (case-place.ts): its
    // deliveries, those of the reports folded into it, recorded where the case was, go where it is
    // now, so that the town a correction moved it out of sees none of them, as the cases API shows
    // that town no case. One held back places nothing: it is handed to nobody, and the report is
    // where the case it joined is. Nothing to move of a dispute notify knows nothing of yet (its
    // first decision, the usual case): no earlier decision, no case, no report folded under it.
    const handedOut = !inCase?.mergedInto;
    const placed = handedOut ? { divisionCode } : {};
    await tx.disputeSource.upsert({
      where: { disputeId },
      create: { disputeId, ...source, ...placed, routingVersion: version, heldDecision },
      update: { ...source, ...placed, routingVersion: version, heldDecision },
    });
    if (handedOut && (before.known || inCase || (await hasFoldedUnder(tx, disputeId))))
      await placeCase(tx, disputeId, divisionCode);
    const joinedDisputeId = inCase?.mergedInto ? inCase.mergedIntoDisputeId : null;
    const joined = joinedDisputeId
      ? { lead: await joinedCaseLead(tx, joinedDisputeId), place: await placeOf(tx, joinedDisputeId) }
      : { lead: undefined, place: null };
    const { rows, reminders } = handOut(before, inCase, joined);
    // What an earlier version still had to send is moot now (sends in flight finish), withdrawals
    // too: sent late, after this version's assignment, one would take the dispute from its holder.
    // Its dead letters as well: replayed, one would hand the dispute to a department that lost it.
    await tx.slaReminder.deleteMany({ where: { disputeId, version: { lt: version } } });
    await tx.slaReminder.createMany({ data: reminders, skipDuplicates: true });
    // Except a reminder this version keeps (same lead, same deadline): it is still due, and goes
    // on as it is, its tries and its place in line kept (promoteDueReminders would bring back a
    // cancelled one only as a new send).
    await tx.delivery.updateMany({
      where: {
        disputeId,
        kind: { in: [...assignmentKinds, 'withdrawal', 'sla_reminder'] },
        version: { lt: version },
        state: { in: ['pending', 'failed'] },
        dedupeKey: { notIn: reminders.map((reminder) => reminder.dedupeKey) },
      },
      data: { state: 'cancelled', lastError: `superseded by routing version ${version}` },
    });
    const created = await tx.delivery.createMany({ data: rows, skipDuplicates: true });
    return { created: created.count, inCase };
  });
  if (!recorded) return 0;
  const { created, inCase } = recorded;
  // Reports folded into this dispute's case before its decision came (another topic) found no lead
  // to tell their citizens of: they are told now, listed where this case is. Read after this
  // decision is written, as the fold reads the lead after writing its marker: of the two, whichever
  // reads last sees what the other wrote.
  const foldedHere = await db.caseDispute.findMany({
    where: { mergedIntoDisputeId: disputeId },
    select: { disputeId: true },
  });
  const told = await tellFoldedCitizens(
    db,
    { disputeIds: foldedHere.map((row) => row.disputeId), joinedDisputeId: disputeId, divisionCode },
    routing,
  );
  const folded = inCase?.mergedInto;
  if (!folded) return created + told;
  const withdrawn = await withdrawFolded(
    db,
    {
      disputeIds: [disputeId],
      mergedInto: folded,
      mergedIntoDisputeId: inCase?.mergedIntoDisputeId ?? undefined,
    },
    routing,
  );
  return created + told + withdrawn;
}

/**
 * Drops, in the transaction of a case's status and under its disputes' locks, the decisions of
 * these disputes that the fold's marker held back (dispute_sources.held_decision) and that are
 * not to be handed out: those of a version below `keepFrom`, every one without it. For the
 * disputes a status leaves in a case of their own (the marker cleared), `keepFrom` is the routing
 * version the status says the detach asked for (`awaitsRoutingVersion`): a decision below it is
 * one the fold overtook, or answered something asked before the merge; the detach's own answer,
 * not come yet, comes through recordAssignment now that the marker is gone. A status that says
 * none (another case's, or a detach that asked routing nothing) leaves nothing to hand out. For
 * the disputes of a case that ended, nothing: no detach can come (the cases service detaches
 * nothing from a case that has ended), and the names and phones kept have no use. Returns how
 * many were dropped.
 */
export async function dropHeldDecisions(
  tx: Prisma.TransactionClient,
  disputeIds: string[],
  keepFrom?: number,
): Promise<number> {
  if (disputeIds.length === 0) return 0;
  const { count } = await tx.disputeSource.updateMany({
    where: {
      disputeId: { in: disputeIds },
      heldDecision: keepFrom === undefined ? { not: Prisma.DbNull } : { path: ['version'], lt: keepFrom },
    },
    data: { heldDecision: Prisma.DbNull },
  });
  return count;
}

/**
 * The decisions of these disputes that the fold's marker held back and that answer an operator's
 * detach of a report into a case of its own (dispute_sources.held_decision): routing's answer to
 * the version the detach asked for (or a later one), recorded before that case's status (two
 * topics, two consumers). Called by recordCaseStatus for the disputes its status left in a case of
 * their own (the marker cleared), once it dropped what is not to be handed out (dropHeldDecisions):
 * each is recorded again by recordAssignment, which hands it out now as it would have had it come
 * after that status, under the same dedupe keys. So a redelivery, of the decision or of the
 * status, hands out nothing twice, and a decision of the dispute recorded meanwhile (a newer
 * version, or this one handed out already) leaves nothing held here. Returns the deliveries
 * recorded.
 */
export async function handOutHeldDecisions(
  db: NotifyDb,
  disputeIds: string[],
  routing: Routing,
  now = new Date(),
): Promise<number> {
  if (disputeIds.length === 0) return 0;
  const held = await db.disputeSource.findMany({
    where: { disputeId: { in: disputeIds }, heldDecision: { not: Prisma.DbNull } },
    select: { heldDecision: true },
  });
  let recorded = 0;
  for (const { heldDecision } of held)
    recorded += await recordAssignment(db, DisputeAssignedV1.parse(heldDecision), routing, now);
  return recorded;
}
