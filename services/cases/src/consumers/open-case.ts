import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { uuidv5 } from '@huijie/contracts/ids.ts';
import { touchCase } from '../db/case-transaction.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';
import { searchGramsOf } from '../search/bigrams.ts';

/** The case a dispute opens when it is the first report of its matter. */
export function caseIdFor(disputeId: string): string {
  return uuidv5(`case:${disputeId}`);
}

/**
 * Records a dispute's report and opens its case at "received", once: the report's primary key
 * (the dispute id) makes a second delivery — or the other topic's copy — change nothing.
 * Returns the case id, and whether this call created the report.
 */
export async function openCase(
  tx: Tx,
  dispute: DisputeReceivedV1,
): Promise<{ caseId: string; created: boolean }> {
  const known = await tx.report.findUnique({
    where: { disputeId: dispute.disputeId },
    select: { caseId: true, revision: true },
  });
  if (known) {
    // A later revision of the same source record (new content, a 催办 reminder) updates the report, in the history.
    if (dispute.revision > known.revision) await updateReport(tx, known.caseId, dispute);
    return { caseId: known.caseId, created: false };
  }
  const caseId = caseIdFor(dispute.disputeId);
  // A historical record opens its case when the channel received it, and tells nobody.
  const historical = dispute.historical !== undefined;
  const receivedAt = new Date(dispute.receivedAt);
  await touchCase(tx, caseId);
  const opened = await tx.case.createMany({
    data: [
      {
        id: caseId,
        status: 'received',
        channel: dispute.channel,
        title: dispute.title ?? null,
        searchGrams: searchGramsOf([dispute.title, dispute.content]),
        ...(historical && { createdAt: receivedAt }),
      },
    ],
    skipDuplicates: true,
  });
  const reported = await tx.report.createMany({
    data: [
      {
        disputeId: dispute.disputeId,
        caseId,
        channel: dispute.channel,
        sourceRef: dispute.sourceRef,
        revision: dispute.revision,
        receivedAt,
        content: dispute.content,
        intake: dispute as unknown as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
  if (reported.count === 0) return { caseId, created: false };
  if (dispute.parties.length > 0) {
    await tx.party.createMany({
      data: dispute.parties.map((party) => ({
        caseId,
        disputeId: dispute.disputeId,
        role: party.role,
        kind: party.kind,
        name: party.name ?? null,
        phone: party.phone ?? null,
        idNumber: party.idNumber ?? null,
      })),
    });
  }
  if (opened.count === 1) {
    await tx.historyEntry.create({
      data: {
        caseId,
        type: 'received',
        actor: `channel:${dispute.channel}`,
        ...(historical && { at: receivedAt }),
        detail: {
          disputeId: dispute.disputeId,
          sourceRef: dispute.sourceRef,
          receivedAt: dispute.receivedAt,
          ...(historical && { historical: true }),
        },
      },
    });
    if (historical) return { caseId, created: true };
    await appendOutbox(tx, {
      name: 'case.status.v1',
      key: caseId,
      data: {
        caseId,
        disputeIds: [dispute.disputeId],
        status: 'received',
        previousStatus: null,
        occurredAt: new Date().toISOString(),
        category: dispute.category ?? null,
        divisionCode: dispute.location.divisionCode ?? null,
      },
    });
  }
  return { caseId, created: true };
}

async function updateReport(tx: Tx, caseId: string, dispute: DisputeReceivedV1): Promise<void> {
  await tx.report.update({
    where: { disputeId: dispute.disputeId },
    data: {
      revision: dispute.revision,
      content: dispute.content,
      intake: dispute as unknown as Prisma.InputJsonValue,
    },
  });
  const current = await tx.case.findUniqueOrThrow({ where: { id: caseId }, select: { searchGrams: true } });
  await tx.case.update({
    where: { id: caseId },
    data: {
      searchGrams: [
        ...new Set([...current.searchGrams, ...searchGramsOf([dispute.title, dispute.content])]),
      ].sort(),
    },
  });
  const reminder = dispute.hotline?.reminder;
  await tx.historyEntry.create({
    data: {
      caseId,
      type: reminder ? 'reminder' : 'report_updated',
      actor: `channel:${dispute.channel}`,
      detail: {
        disputeId: dispute.disputeId,
        sourceRef: dispute.sourceRef,
        revision: dispute.revision,
        ...(reminder && { reminders: reminder.count }),
      },
    },
  });
}
