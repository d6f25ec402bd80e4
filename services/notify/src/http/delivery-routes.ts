import { type OperatorClaims, verifyToken } from '@huijie/service-kit/auth-token.ts';
import { AppError, notFound } from '@huijie/service-kit/errors.ts';
import { route } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { assignmentKinds } from '../consumers/record-assignment.ts';
import type { NotifyDb } from '../db/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';

export const deliveryStates = ['pending', 'sending', 'delivered', 'failed', 'cancelled'] as const;

const ListQuery = z.object({
  disputeId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  state: z.enum(deliveryStates).optional(),
  kind: z.string().max(40).optional(),
  channel: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The last id of the previous page. */
  after: z.uuid().optional(),
});

const IdParams = z.object({ id: z.uuid() });
const DisputeParams = z.object({ disputeId: z.uuid() });
const CaseParams = z.object({ caseId: z.uuid() });

type DeliveryRow = Prisma.DeliveryGetPayload<{ include: { attemptLog: true } }>;

/** Phone numbers and OpenIDs are shown masked: operators need to tell recipients apart, not dial them. */
export function maskRecipient(channel: string, recipient: string): string {
  if (channel === 'sms')
    return recipient.length > 7 ? `${recipient.slice(0, 3)}****${recipient.slice(-4)}` : '****';
  if (channel === 'wechat')
    return recipient.length > 8 ? `${recipient.slice(0, 4)}…${recipient.slice(-4)}` : '…';
  return recipient;
}

function present(delivery: DeliveryRow) {
  return {
    id: delivery.id,
    kind: delivery.kind,
    channel: delivery.channel,
    recipient: maskRecipient(delivery.channel, delivery.recipient),
    disputeId: delivery.disputeId,
    caseId: delivery.caseId,
    version: delivery.version,
    role: (delivery.payload as { role?: unknown } | null)?.role ?? null,
    state: delivery.state,
    attemptCount: delivery.attempts,
    nextAttemptAt: delivery.state === 'pending' ? delivery.nextAttemptAt : null,
    lastError: delivery.lastError,
    deliveredAt: delivery.deliveredAt,
    replays: delivery.replays,
    createdAt: delivery.createdAt,
    attempts: delivery.attemptLog.map((attempt) => ({
      at: attempt.at,
      ok: attempt.ok,
      detail: attempt.detail,
      statusCode: attempt.statusCode,
      durationMs: attempt.durationMs,
    })),
  };
}

/** The deliveries an operator may see: those of their jurisdiction (the city sees everything). */
function inScope(operator: OperatorClaims): Prisma.DeliveryWhereInput {
  const city = operator.scope.length === 6 && operator.scope.endsWith('00');
  return city ? {} : { divisionCode: { startsWith: operator.scope } };
}

const withAttempts = { attemptLog: { orderBy: { id: 'asc' as const } } };

/**
 * A dispute's or a case's deliveries, and whether the assignment reached everyone: joint
 * handling is "delivered" only when every department of the latest routing version got it.
 */
export function summarise(deliveries: DeliveryRow[]) {
  const byDispute = new Map<string, DeliveryRow[]>();
  for (const delivery of deliveries) {
    if (!delivery.disputeId || !(assignmentKinds as readonly string[]).includes(delivery.kind)) continue;
    byDispute.set(delivery.disputeId, [...(byDispute.get(delivery.disputeId) ?? []), delivery]);
  }
  const assignments = [...byDispute].map(([disputeId, rows]) => {
    const version = Math.max(...rows.map((row) => row.version ?? 0));
    const recipients = rows
      .filter((row) => (row.version ?? 0) === version)
      .map((row) => ({
        deliveryId: row.id,
        department: row.recipient,
        role: (row.payload as { role?: string }).role ?? null,
        channel: row.channel,
        state: row.state,
        attempts: row.attempts,
        deliveredAt: row.deliveredAt,
      }));
    return {
      disputeId,
      version,
      delivered: recipients.every((recipient) => recipient.state === 'delivered'),
      recipients,
    };
  });
  return {
    delivered: assignments.length > 0 && assignments.every((assignment) => assignment.delivered),
    assignments,
    deliveries: deliveries.map(present),
  };
}

export function deliveryRoutes(
  app: FastifyInstance,
  deps: { db: NotifyDb; jwtSecret: string; onReplay?: () => void },
) {
  const { db } = deps;
  /** Every route is an operator's: `route()` verifies the token before anything of the request is read. */
  const operatorsOnly = {
    security: 'operator',
    authenticate: (request: FastifyRequest) => verifyToken(request.headers.authorization, deps.jwtSecret),
  } as const;

  route(
    app,
    {
      method: 'GET',
      url: '/v1/deliveries',
      summary: 'Deliveries of your jurisdiction',
      ...operatorsOnly,
      query: ListQuery,
    },
    async ({ query, actor: operator }) => {
      const deliveries = await db.delivery.findMany({
        where: {
          AND: [
            inScope(operator),
            query.caseId ? await caseWhere(db, query.caseId) : {},
            {
              ...(query.disputeId && { disputeId: query.disputeId }),
              ...(query.state && { state: query.state }),
              ...(query.kind && { kind: query.kind }),
              ...(query.channel && { channel: query.channel }),
            },
          ],
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit,
        ...(query.after && { cursor: { id: query.after }, skip: 1 }),
        include: withAttempts,
      });
      const last = deliveries.at(-1);
      return {
        items: deliveries.map(present),
        next: deliveries.length === query.limit && last ? last.id : null,
      };
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/v1/deliveries/:id',
      summary: 'One delivery and its attempts',
      ...operatorsOnly,
      params: IdParams,
    },
    async ({ params: { id }, actor: operator }) => {
      const delivery = await db.delivery.findFirst({
        where: { AND: [{ id }, inScope(operator)] },
        include: withAttempts,
      });
      if (!delivery) throw notFound('delivery');
      return present(delivery);
    },
  );

  /**
   * A dead letter sent again, under the same delivery id (the receiver deduplicates on it),
   * with a fresh set of attempts. Only failed deliveries: one that was delivered is never sent
   * again, and one still pending is already on its way. Nor an assignment, update or withdrawal
   * that a later one of the same dispute to the same recipient followed (409 `superseded`).
   */
  route(
    app,
    {
      method: 'POST',
      url: '/v1/deliveries/:id/replay',
      summary: 'Send a failed delivery again',
      ...operatorsOnly,
      params: IdParams,
    },
    async ({ params: { id }, actor: operator, request, reply }) => {
      // Read back in the same transaction: the answer says what the replay did (pending again),
      // however soon the dispatcher takes the delivery after the commit.
      const replayed = await db.$transaction(async (tx) => {
        const dead = await tx.delivery.findFirst({
          where: { AND: [{ id, state: 'failed' }, inScope(operator)] },
          select: { kind: true, channel: true, recipient: true, disputeId: true, createdAt: true },
        });
        // An assignment, update or withdrawal that died while a later one of the same dispute to
        // the same department went out (or is going): sent now, it would arrive after it — an
        // assignment after its withdrawal hands the dispute back to a department that lost it.
        const handOver: readonly string[] = [...assignmentKinds, 'withdrawal'];
        const followed =
          dead?.disputeId &&
          handOver.includes(dead.kind) &&
          (await tx.delivery.findFirst({
            where: {
              disputeId: dead.disputeId,
              channel: dead.channel,
              recipient: dead.recipient,
              kind: { in: [...handOver] },
              createdAt: { gt: dead.createdAt },
              state: { in: ['pending', 'sending', 'delivered'] },
            },
            select: { id: true, kind: true },
          }));
        if (followed) {
          throw new AppError(
            409,
            'superseded',
            `a later ${followed.kind} (${followed.id}) of this dispute to this recipient was sent after it; replayed, this one would arrive after that`,
            [{ field: 'id', reason: `superseded by ${followed.id}` }],
          );
        }
        const updated = await tx.delivery.updateMany({
          where: { AND: [{ id, state: 'failed' }, inScope(operator)] },
          data: {
            state: 'pending',
            attempts: 0,
            nextAttemptAt: new Date(),
            replays: { increment: 1 },
            replayedBy: operator.sub,
          },
        });
        return updated.count === 0
          ? null
          : tx.delivery.findUniqueOrThrow({ where: { id }, include: withAttempts });
      });
      if (!replayed) {
        const delivery = await db.delivery.findFirst({
          where: { AND: [{ id }, inScope(operator)] },
          select: { state: true },
        });
        if (!delivery) throw notFound('delivery');
        throw new AppError(
          409,
          'conflict',
          `only a failed delivery can be replayed; this one is ${delivery.state}`,
          [{ field: 'state', reason: `is ${delivery.state}` }],
        );
      }
      request.log.info({ deliveryId: id, by: operator.sub }, 'delivery replayed');
      deps.onReplay?.();
      return reply.status(202).send(present(replayed));
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/v1/disputes/:disputeId/deliveries',
      summary: "A dispute's deliveries, and whether its assignment reached every department",
      ...operatorsOnly,
      params: DisputeParams,
    },
    async ({ params: { disputeId }, actor: operator }) => {
      const deliveries = await db.delivery.findMany({
        where: { AND: [{ disputeId }, inScope(operator)] },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        include: withAttempts,
      });
      if (deliveries.length === 0) throw notFound('deliveries of this dispute');
      const link = await db.caseDispute.findUnique({ where: { disputeId } });
      return { disputeId, caseId: link?.caseId ?? null, ...summarise(deliveries) };
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/v1/cases/:caseId/deliveries',
      summary: "A case's deliveries, and whether its assignments reached every department",
      ...operatorsOnly,
      params: CaseParams,
    },
    async ({ params: { caseId }, actor: operator }) => {
      const deliveries = await db.delivery.findMany({
        where: { AND: [await caseWhere(db, caseId), inScope(operator)] },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        include: withAttempts,
      });
      if (deliveries.length === 0) throw notFound('deliveries of this case');
      const disputeIds = (await db.caseDispute.findMany({ where: { caseId } })).map((row) => row.disputeId);
      return { caseId, disputeIds, ...summarise(deliveries) };
    },
  );
}

/** A case's deliveries: those recorded for the case, and those of the disputes it is made of. */
async function caseWhere(db: NotifyDb, caseId: string): Promise<Prisma.DeliveryWhereInput> {
  const disputeIds = (await db.caseDispute.findMany({ where: { caseId } })).map((row) => row.disputeId);
  return { OR: [{ caseId }, ...(disputeIds.length ? [{ disputeId: { in: disputeIds } }] : [])] };
}
