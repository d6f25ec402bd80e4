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
