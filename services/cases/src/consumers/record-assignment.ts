import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { CasesDb } from '../db/prisma.ts';
import { canBeRouted } from '../domain/lifecycle.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { appendOutbox } from '../outbox/outbox.ts';
import { openCase } from './open-case.ts';

/**
 * dispute.assignment.v1 → the case takes the decision's place, category and departments,
 * and moves to "assigned" (or "triage"). Applied once per (dispute, routing version): the
 * processed-event key makes a redelivery a no-op; an older version than the case has is ignored.
 */
export async function recordAssignment(db: CasesDb, decision: DisputeAssignedV1): Promise<void> {
  await db.$transaction(async (tx) => {
    const first = await tx.processedEvent.createMany({
      data: [{ eventId: `assignment:${decision.disputeId}:v${decision.version}` }],
      skipDuplicates: true,
    });
    if (first.count === 0) return;
    const { caseId } = await openCase(tx, decision.dispute);
    const current = await tx.case.findUniqueOrThrow({ where: { id: caseId } });
    if (decision.version <= current.routingVersion) return;
    const status: CaseStatus = decision.triage ? 'triage' : 'assigned';
    if (!canBeRouted(current.status as CaseStatus)) {
      // A decision that arrives after the case ended is kept in the history, not applied.
      await tx.historyEntry.create({
        data: {
          caseId,
          type: 'routing_ignored',
          actor: 'routing',
          detail: { version: decision.version, status: current.status },
        },
      });
      return;
    }

    const { jurisdiction } = decision;
    await tx.case.update({
      where: { id: caseId },
      data: {
        status,
        category: decision.category,
        severity: decision.severity,
        cityCode: jurisdiction.cityCode,
        countyCode: jurisdiction.countyCode ?? null,
        townCode: jurisdiction.townCode ?? null,
        villageCode: jurisdiction.villageCode ?? null,
        placeNames: jurisdiction.names,
        placeHow: jurisdiction.resolution,
        expressLevel: decision.expressLane?.level ?? null,
        triageCode: decision.triage?.divisionCode ?? null,
        routingVersion: decision.version,
        dueAt: new Date(decision.dueAt),
      },
    });

    const departments = [
      ...(decision.lead ? [{ ...decision.lead, role: 'lead' }] : []),
      ...decision.coHandlers.map((department) => ({ ...department, role: 'co' })),
    ];
    for (const department of departments) {
      const fields = {
        departmentKind: department.kind,
        departmentName: department.name,
        divisionCode: department.divisionCode,
        role: department.role,
        status: 'delivered',
        routingVersion: decision.version,
        dueAt: new Date(decision.dueAt),
      };
      await tx.assignment.upsert({
        where: { caseId_departmentCode: { caseId, departmentCode: department.code } },
        create: { caseId, departmentCode: department.code, ...fields },
        update: fields,
      });
    }
    // Departments a re-routing no longer involves keep their record, marked withdrawn.
    await tx.assignment.updateMany({
      where: { caseId, routingVersion: { lt: decision.version }, status: { not: 'withdrawn' } },
      data: { status: 'withdrawn' },
    });

    await tx.historyEntry.create({
      data: {
        caseId,
        type: status,
        actor: 'routing',
        detail: {
          version: decision.version,
          lead: decision.lead?.name ?? null,
          coHandlers: decision.coHandlers.map((department) => department.name),
          jurisdiction: jurisdiction.names,
          category: decision.category,
          severity: decision.severity,
          expressLane: decision.expressLane,
          triage: decision.triage,
          trace: decision.trace,
        } as Prisma.InputJsonValue,
      },
    });
    if (status !== current.status) {
      await appendOutbox(tx, {
        name: 'case.status.v1',
        key: caseId,
        data: {
          caseId,
          disputeIds: [decision.disputeId],
          status,
          previousStatus: current.status as CaseStatus,
          occurredAt: decision.decidedAt,
          category: decision.category,
          divisionCode: jurisdiction.townCode ?? jurisdiction.countyCode ?? jurisdiction.cityCode,
        },
      });
    }
  });
}
