import { notFound, parseOr400 } from '@huijie/service-kit/errors.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CasesDb } from '../db/prisma.ts';
import { assertInScope, operatorOf } from './auth.ts';

const uuidParam = (name: string) => z.object({ [name]: z.uuid() });

export function caseRoutes(app: FastifyInstance, deps: { db: CasesDb; jwtSecret: string }) {
  app.get('/v1/disputes/:disputeId', async (request) => {
    const operator = operatorOf(request, deps.jwtSecret);
    const { disputeId } = parseOr400(uuidParam('disputeId'), request.params) as { disputeId: string };
    const report = await deps.db.report.findUnique({
      where: { disputeId },
      select: { caseId: true, case: { select: { cityCode: true, countyCode: true, townCode: true } } },
    });
    if (!report) throw notFound('dispute');
    assertInScope(operator, report.case);
    return { disputeId, caseId: report.caseId };
  });

  app.get('/v1/cases/:caseId', async (request) => {
    const operator = operatorOf(request, deps.jwtSecret);
    const { caseId } = parseOr400(uuidParam('caseId'), request.params) as { caseId: string };
    const found = await deps.db.case.findUnique({
      where: { id: caseId },
      include: {
        reports: { orderBy: { receivedAt: 'asc' } },
        parties: true,
        assignments: { orderBy: [{ role: 'desc' }, { departmentCode: 'asc' }] },
        history: { orderBy: { id: 'asc' } },
      },
    });
    assertInScope(operator, found);
    const c = found!;
    return {
      caseId: c.id,
      status: c.status,
      category: c.category,
      severity: c.severity,
      channel: c.channel,
      title: c.title,
      jurisdiction: {
        cityCode: c.cityCode,
        countyCode: c.countyCode,
        townCode: c.townCode,
        villageCode: c.villageCode,
        names: c.placeNames,
        resolution: c.placeHow,
      },
      expressLane: c.expressLevel,
      triage: c.triageCode,
      routingVersion: c.routingVersion,
      dueAt: c.dueAt,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      reports: c.reports.map((report) => ({
        disputeId: report.disputeId,
        channel: report.channel,
        sourceRef: report.sourceRef,
        revision: report.revision,
        receivedAt: report.receivedAt,
        content: report.content,
      })),
      parties: c.parties.map((party) => ({
        role: party.role,
        kind: party.kind,
        name: party.name,
        phone: party.phone,
      })),
      assignments: c.assignments.map((assignment) => ({
        departmentCode: assignment.departmentCode,
        departmentKind: assignment.departmentKind,
        departmentName: assignment.departmentName,
        divisionCode: assignment.divisionCode,
        role: assignment.role,
        status: assignment.status,
        routingVersion: assignment.routingVersion,
        dueAt: assignment.dueAt,
      })),
      history: c.history.map((entry) => ({
        at: entry.at,
        type: entry.type,
        actor: entry.actor,
        detail: entry.detail,
      })),
    };
  });
}
