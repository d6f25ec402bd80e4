import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';

/**
 * What the 12345 hotline itself says of its work order (工单), as the report's latest revision
 * states it: its number, how urgent the hotline rates it (紧急程度), what kind of request it is
 * (诉求类型), how the call or message came in (受理渠道), its time limit (办理时限) and how often the
 * caller has pressed (催办). No personal data: shown to the case's agencies too.
 */
export type HotlineFacts = {
  orderNo: string;
  urgency: 'normal' | 'urgent' | 'very_urgent' | null;
  requestType: string | null;
  intakeChannel: string | null;
  dueAt: string | null;
  reminders: number;
};

/** A report's hotline facts; null for a report the hotline did not push. */
export function hotlineFactsOf(
  report: Pick<DisputeReceivedV1, 'channel' | 'sourceRef' | 'hotline' | 'dueAt'>,
): HotlineFacts | null {
  if (report.channel !== 'hotline_12345') return null;
  const { hotline } = report;
  return {
    orderNo: report.sourceRef,
    urgency: hotline?.urgency ?? null,
    requestType: hotline?.requestType ?? null,
    intakeChannel: hotline?.intakeChannel ?? null,
    // As an instant in UTC, as the court's deadline is given.
    dueAt: report.dueAt ? new Date(report.dueAt).toISOString() : null,
    reminders: hotline?.reminder?.count ?? 0,
  };
}
