/**
 * When a case was received: its first report's own time (the hotline's 受理时间, the court's
 * referral, the WeChat application's), not when the report reached the platform — a backlog
 * pushed after an outage, or a retry across midnight, still counts on the day the citizen was
 * heard, in the search's dates, the statistics and the repeat window alike. Never later than its
 * arrival, though: a channel whose clock runs ahead must not date a case in the future.
 */
export function receivedTime(receivedAt: string | Date, arrivedAt: Date): Date {
  const at = new Date(receivedAt);
  return at.getTime() < arrivedAt.getTime() ? at : arrivedAt;
}
