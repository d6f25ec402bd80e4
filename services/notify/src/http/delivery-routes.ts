import { verifyToken } from '@huijie/service-kit/auth-token.ts';
import { parseOr400 } from '@huijie/service-kit/errors.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { NotifyDb } from '../db/prisma.ts';

const Query = z.object({
  disputeId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  state: z.enum(['pending', 'sending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function deliveryRoutes(app: FastifyInstance, deps: { db: NotifyDb; jwtSecret: string }) {
  app.get('/v1/deliveries', async (request) => {
    verifyToken(request.headers.authorization, deps.jwtSecret);
    const query = parseOr400(Query, request.query);
    const deliveries = await deps.db.delivery.findMany({
      where: {
        ...(query.disputeId && { disputeId: query.disputeId }),
        ...(query.caseId && { caseId: query.caseId }),
        ...(query.state && { state: query.state }),
      },
      orderBy: { createdAt: 'desc' },
      take: query.limit,
      include: { attemptLog: { orderBy: { id: 'asc' } } },
    });
    return {
      items: deliveries.map((delivery) => ({
        id: delivery.id,
        kind: delivery.kind,
        channel: delivery.channel,
        recipient: delivery.recipient,
        disputeId: delivery.disputeId,
        state: delivery.state,
        attempts: delivery.attemptLog.map((attempt) => ({
          at: attempt.at,
          ok: attempt.ok,
          detail: attempt.detail,
          durationMs: attempt.durationMs,
        })),
        deliveredAt: delivery.deliveredAt,
        createdAt: delivery.createdAt,
      })),
    };
  });
}
