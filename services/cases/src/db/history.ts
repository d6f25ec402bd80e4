import type { CaseEscalatedV1 } from '@huijie/contracts/events/case-escalation-v1.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Tx } from '../outbox/outbox.ts';
import { insertRows } from './insert-rows.ts';

export interface HistoryRecord {
  caseId: string;
  type: string;
  actor: string;
  /** When it happened, if not now (a historical record's own dates). */
  at?: Date;
  detail: Prisma.InputJsonValue;
}

/** Appends entries to cases' histories, in one statement however many. */
export async function appendHistory(tx: Tx, ...entries: HistoryRecord[]): Promise<void> {
  const now = new Date();
  await insertRows(
    tx,
    'history',
    { case_id: 'uuid', at: 'timestamptz', type: 'text', actor: 'text', detail: 'jsonb' },
    entries.map((entry) => ({
      case_id: entry.caseId,
      at: entry.at ?? now,
      type: entry.type,
      actor: entry.actor,
      detail: entry.detail,
    })),
  );
}

/**
 * Why each of these cases went onto the level of the lane it is on: the reason of its last
 * `escalated` entry (routing writes its own words there: `major`).
 */
export async function laneReasons(
  tx: Tx,
  caseIds: string[],
): Promise<Map<string, CaseEscalatedV1['reason']>> {
  const reasons = new Map<string, CaseEscalatedV1['reason']>();
  if (caseIds.length === 0) return reasons;
  for (const entry of await tx.historyEntry.findMany({
    where: { caseId: { in: caseIds }, type: 'escalated' },
    orderBy: { id: 'asc' },
    select: { caseId: true, detail: true },
  })) {
    const recorded = (entry.detail as { reason?: unknown } | null)?.reason;
    reasons.set(
      entry.caseId,
      recorded === 'overdue' || recorded === 'repeated' || recorded === 'manual' ? recorded : 'major',
    );
  }
  return reasons;
}
