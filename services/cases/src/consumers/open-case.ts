import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { uuidv5 } from '@huijie/contracts/ids.ts';
import { touchCases, touchCasesAgain } from '../db/case-transaction.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';
import { searchGramsOf } from '../search/bigrams.ts';

/** The case a dispute opens when it is the first report of its matter. */
export function caseIdFor(disputeId: string): string {
  return uuidv5(`case:${disputeId}`);
}

/**
 * Records disputes' reports and opens their cases at "received", once: the report's primary key
 * (the dispute id) makes a second delivery — or the other topic's copy — change nothing. Done
 * for many disputes in a handful of statements (a consumer records a batch of events in one
 * transaction). Returns, per dispute id, its case id and whether this call created the report.
 */
export async function openCases(
  tx: Tx,
  disputes: DisputeReceivedV1[],
): Promise<Map<string, { caseId: string; created: boolean }>> {
  const result = new Map<string, { caseId: string; created: boolean }>();
  // The same dispute twice (a revision and its predecessor): the later one is applied after.
  const first = new Map<string, DisputeReceivedV1>();
  const again: DisputeReceivedV1[] = [];
  for (const dispute of disputes) {
    if (first.has(dispute.disputeId)) again.push(dispute);
    else first.set(dispute.disputeId, dispute);
  }
  const known = await tx.report.findMany({
    where: { disputeId: { in: [...first.keys()] } },
    select: { disputeId: true, caseId: true, revision: true },
  });
  for (const report of known) {
    const dispute = first.get(report.disputeId)!;
    first.delete(report.disputeId);
    // A later revision of the same source record (new content, a 催办 reminder) updates the report, in the history.
    if (dispute.revision > report.revision) await updateReport(tx, report.caseId, dispute);
    result.set(report.disputeId, { caseId: report.caseId, created: false });
  }
  const fresh = [...first.values()];
  if (fresh.length > 0) {
    for (const [disputeId, opened] of await openNew(tx, fresh)) result.set(disputeId, opened);
  }
  for (const dispute of again) {
    const [opened] = (await openCases(tx, [dispute])).values();
    result.set(dispute.disputeId, opened!);
  }
  return result;
}

/** `openCases` for disputes no report records yet. */
async function openNew(
  tx: Tx,
  disputes: DisputeReceivedV1[],
): Promise<Map<string, { caseId: string; created: boolean }>> {
  // A historical record opens its case when the channel received it, and tells nobody.
  const historical = (dispute: DisputeReceivedV1) => dispute.historical !== undefined;
  await touchCases(
    tx,
    disputes.map((dispute) => caseIdFor(dispute.disputeId)),
  );
  const opened = new Set(
    (
      await tx.case.createManyAndReturn({
        data: disputes.map((dispute) => ({
          id: caseIdFor(dispute.disputeId),
          status: 'received',
          channel: dispute.channel,
          title: dispute.title ?? null,
          searchGrams: searchGramsOf([dispute.title, dispute.content]),
          ...(historical(dispute) && { createdAt: new Date(dispute.receivedAt) }),
        })),
        skipDuplicates: true,
        select: { id: true },
      })
    ).map(({ id }) => id),
  );
  const openedElsewhere = disputes
    .map((dispute) => caseIdFor(dispute.disputeId))
    .filter((caseId) => !opened.has(caseId));
  if (openedElsewhere.length > 0) await touchCasesAgain(tx, openedElsewhere);
  const reported = new Set(
    (
      await tx.report.createManyAndReturn({
        data: disputes.map((dispute) => ({
          disputeId: dispute.disputeId,
          caseId: caseIdFor(dispute.disputeId),
          channel: dispute.channel,
          sourceRef: dispute.sourceRef,
          revision: dispute.revision,
          receivedAt: new Date(dispute.receivedAt),
          content: dispute.content,
          intake: dispute as unknown as Prisma.InputJsonValue,
        })),
        skipDuplicates: true,
        select: { disputeId: true },
      })
    ).map(({ disputeId }) => disputeId),
  );
  const created = disputes.filter((dispute) => reported.has(dispute.disputeId));
  const parties = created.flatMap((dispute) =>
    dispute.parties.map((party) => ({
      caseId: caseIdFor(dispute.disputeId),
      disputeId: dispute.disputeId,
      role: party.role,
      kind: party.kind,
      name: party.name ?? null,
      phone: party.phone ?? null,
      idNumber: party.idNumber ?? null,
    })),
  );
  if (parties.length > 0) await tx.party.createMany({ data: parties });
  const first = created.filter((dispute) => opened.has(caseIdFor(dispute.disputeId)));
  if (first.length > 0) {
    await tx.historyEntry.createMany({
      data: first.map((dispute) => ({
        caseId: caseIdFor(dispute.disputeId),
        type: 'received',
        actor: `channel:${dispute.channel}`,
        ...(historical(dispute) && { at: new Date(dispute.receivedAt) }),
        detail: {
          disputeId: dispute.disputeId,
          sourceRef: dispute.sourceRef,
          receivedAt: dispute.receivedAt,
          ...(historical(dispute) && { historical: true }),
        },
      })),
    });
  }
  await appendOutbox(
    tx,
    ...first
      .filter((dispute) => !historical(dispute))
      .map((dispute) => ({
        name: 'case.status.v1' as const,
        key: caseIdFor(dispute.disputeId),
        data: {
          caseId: caseIdFor(dispute.disputeId),
          disputeIds: [dispute.disputeId],
          status: 'received' as const,
          previousStatus: null,
          occurredAt: new Date().toISOString(),
          category: dispute.category ?? null,
          divisionCode: dispute.location.divisionCode ?? null,
        },
      })),
  );
  return new Map(
    disputes.map((dispute) => [
      dispute.disputeId,
      { caseId: caseIdFor(dispute.disputeId), created: reported.has(dispute.disputeId) },
    ]),
  );
}

/** `openCases` for one dispute. */
export async function openCase(
  tx: Tx,
  dispute: DisputeReceivedV1,
): Promise<{ caseId: string; created: boolean }> {
  return (await openCases(tx, [dispute])).get(dispute.disputeId)!;
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
