import type { CaseEscalatedV1 } from '@huijie/contracts/events/case-escalation-v1.ts';
import { type Level, laneRank } from '@huijie/contracts/vocabulary.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import {
  categoryLabels,
  escalationReasonLabels,
  levelLabels,
  type NoticePayload,
} from '../notices/notices.ts';
import { changeHeldAssignments } from './assignment-update.ts';
import { endStatuses, recipientKey } from './record-status.ts';
import type { Routing } from './routing.ts';

const levelShort = { township: '乡镇级', county: '县级', city: '市级' } as const;

/**
 * The case is on `level` of the lane now: each department that holds one of its disputes is
 * handed its assignment again saying so (`expressLane`), as the cases service sends its Kafka copy
 * again: once per dispute version, level and department. Not when what it holds says that level
 * already (routing put the case on the lane in the decision it holds) or a higher one (a
 * redelivered older escalation): the lane only goes up.
 */
const tellLane = (db: NotifyDb, disputeIds: string[], level: Level) =>
  changeHeldAssignments(db, disputeIds, ({ disputeId, version, recipient, payload }) =>
    laneRank(payload.expressLane) < laneRank(level)
      ? {
          payload: { ...payload, expressLane: level },
          dedupeKey: `lane:${disputeId}:v${version}:${recipient}:${level}`,
        }
      : undefined,
  );

/**
 * case.escalation.v1 → a notice to each person on the express lane of the concerned division
 * (the town's, county's or city's secretary), once per case and level: the same escalation
 * delivered twice, or escalated again on the same level for another reason, sends nothing new.
 * A division without configured people gets one outbox record, so the escalation is still seen.
 * And each department on the case gets its assignment again at the new level (`tellLane`).
 */
export async function recordEscalation(
  db: NotifyDb,
  event: CaseEscalatedV1,
  routing: Routing,
): Promise<number> {
  const { caseId, level } = event;
  const linked = await db.caseDispute.findMany({
    where: { caseId },
    select: { disputeId: true, status: true },
  });
  // case.status.v1 is a topic of its own, so the case's end may have been read first: a case
  // that ended needs no secretary. (Reports folded in from another case say "closed" while the
  // case they joined goes on, hence every one of them.)
  if (linked.length > 0 && linked.every((row) => row.status !== null && endStatuses.includes(row.status)))
    return 0;
  // The departments' copies say which lane the case is on: the mediator whose case a city
  // secretary now follows learns it with the secretary, not by polling the case.
  const updated = await tellLane(
    db,
    linked.map((row) => row.disputeId),
    level,
  );
  const source = linked.length
    ? await db.disputeSource.findFirst({
        where: { disputeId: { in: linked.map((row) => row.disputeId) }, place: { not: null } },
      })
    : null;
  const notice: NoticePayload = {
    notice: 'escalation',
    params: {
      place: source?.place ?? '',
      category: event.category ? categoryLabels[event.category] : '',
      level: levelLabels[level],
      levelShort: levelShort[level],
      reason: escalationReasonLabels[event.reason],
      // The overview shows the same number on the case (cases' overview model.js: caseRef).
      caseRef: caseId.slice(0, 8),
    },
  };
  const common = {
    kind: 'escalation_notice',
    caseId,
    divisionCode: event.divisionCode,
    payload: notice as unknown as Prisma.InputJsonValue,
  };
  const rows: Prisma.DeliveryCreateManyInput[] = [];
  for (const person of routing.expressLane(event.divisionCode)) {
    const reach = routing.citizenChannel(person, 'escalation');
    if (!reach) continue;
    rows.push({
      ...common,
      dedupeKey: `escalation:${caseId}:${level}:${recipientKey(reach.recipient)}`,
      channel: reach.channel,
      recipient: reach.recipient,
    });
  }
  if (rows.length === 0) {
    rows.push({
      ...common,
      // Per division: a case re-routed in the lane to another division without people is that
      // division's escalation, as much as the first one's.
      dedupeKey: `escalation:${caseId}:${level}:unconfigured:${event.divisionCode}`,
      channel: 'outbox',
      recipient: `express-lane:${event.divisionCode}`,
    });
  }
  return updated + (await db.delivery.createMany({ data: rows, skipDuplicates: true })).count;
}
