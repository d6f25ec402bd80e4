import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import type { CategoryCode } from '@huijie/contracts/vocabulary.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';

/** What an operator corrected: the place, the category, or both. */
export interface Correction {
  divisionCode?: string | undefined;
  category?: CategoryCode | undefined;
}

/**
 * Asks routing to decide a case again: case.correction.v1 at the case's next routing version,
 * whose answer re-assigns the case and withdraws the departments it leaves out. Routing decides
 * on the case's first report as it reads now (a later revision — new content, a 催办 — included)
 * with every correction an operator has made so far, `correction` (one being made) last: a new
 * correction or a 催办 never undoes an earlier one. Returns the version asked for.
 */
export async function routeAgain(
  tx: Tx,
  row: { id: string; routingVersion: number; assignments: { departmentCode: string; status: string }[] },
  request: { by: string; reason: string; correction?: Correction },
): Promise<number> {
  const first = await tx.report.findFirstOrThrow({
    where: { caseId: row.id },
    orderBy: { receivedAt: 'asc' },
  });
  const dispute = first.intake as unknown as DisputeReceivedV1;
  const earlier = await tx.historyEntry.findMany({
    where: { caseId: row.id, type: 'corrected' },
    orderBy: { id: 'asc' },
    select: { detail: true },
  });
  const corrected: Correction = {};
  for (const { divisionCode, category } of [
    ...earlier.map((entry) => entry.detail as Correction),
    request.correction ?? {},
  ]) {
    if (divisionCode) corrected.divisionCode = divisionCode;
    if (category) corrected.category = category;
  }
  // Routing's answer is taken once per (dispute, version): a version this dispute was already
  // routed at — on a case it was detached from or merged in from — would be dropped as a redelivery.
  let version = row.routingVersion + 1;
  while (
    await tx.processedEvent.findUnique({ where: { eventId: `assignment:${dispute.disputeId}:v${version}` } })
  )
    version++;
  await appendOutbox(tx, {
    name: 'case.correction.v1',
    key: dispute.disputeId,
    data: {
      caseId: row.id,
      version,
      dispute: {
        ...dispute,
        ...(corrected.category && { category: corrected.category }),
        location: corrected.divisionCode
          ? { ...dispute.location, divisionCode: corrected.divisionCode }
          : dispute.location,
      },
      currentDepartments: row.assignments
        .filter((a) => a.status !== 'withdrawn')
        .map((a) => a.departmentCode),
      corrected: {
        ...(corrected.divisionCode && { divisionCode: corrected.divisionCode }),
        ...(corrected.category && { category: corrected.category }),
      },
      by: request.by,
      reason: request.reason,
      occurredAt: new Date().toISOString(),
    },
  });
  return version;
}
