import { personalNumberIn } from '@huijie/contracts/personal-numbers.ts';
import type { OperatorClaims } from '@huijie/service-kit/auth-token.ts';
import { AppError, notFound } from '@huijie/service-kit/errors.ts';
import { route, strictQuery } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { assignmentKinds } from '../consumers/record-assignment.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { authenticateOperator } from './authenticate-operator.ts';

/**
 * `failed` is a dead letter awaiting replay; `replaced` a citizen's WeChat notice WeChat refused and
 * an SMS carried instead (dispatch/sms-fallback.ts): final, like `delivered` and `cancelled`.
 */
export const deliveryStates = ['pending', 'sending', 'delivered', 'failed', 'replaced', 'cancelled'] as const;

/**
 * Who a delivery went to, as the list and the bulk replay name it: a department code
 * (`350802107-judicial_office`) or a hotline or court client id. A citizen's phone number is not
 * taken in a URL (proxies log URLs): a citizen's deliveries are found by their dispute or case.
 */
const Recipient = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((value) => personalNumberIn(value) === null, {
    message:
      "a phone or ID-card number does not go in a URL: find a citizen's deliveries by disputeId or caseId",
  });

/**
 * The list's filters. Strict, as the cases search's: a filter misspelt or not there (`foo=`, or
 * `recipient=` before it existed) is a 400 naming it, never a list of everything read as filtered.
 */
const ListQuery = strictQuery({
  disputeId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  recipient: Recipient.optional().describe(
    'A department code (350802107-judicial_office) or a hotline or court client id: what the bulk replay takes',
  ),
  state: z.enum(deliveryStates).optional(),
  kind: z.string().max(40).optional(),
  channel: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  after: z.uuid().optional().describe('The last id of the previous page (`next`)'),
});

/** The most dead letters one bulk replay sends again. */
const bulkReplayMax = 1_000;

const BulkReplayBody = z
  // Strict: a misspelt filter (`recipent`) dropped would widen the replay to the whole channel.
  .strictObject({
    recipient: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        'A department code (350802107-judicial_office) or a callback client id, as `GET /v1/deliveries?recipient=` lists them',
      ),
    channel: z.string().max(40).optional().describe('webhook, hotline, court, sms, wechat, outbox'),
    kind: z.string().max(40).optional(),
    createdFrom: z.iso.datetime({ offset: true }).optional().describe('Recorded at or after (RFC 3339)'),
    createdTo: z.iso.datetime({ offset: true }).optional().describe('Recorded before (RFC 3339)'),
    limit: z.number().int().min(1).max(bulkReplayMax).default(bulkReplayMax),
  })
  // Every dead letter of the jurisdiction at once is never what an operator after one outage means.
  .refine((body) => body.recipient || body.channel, {
    path: ['recipient'],
    message: 'give a recipient or a channel (or both)',
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

const isCity = (operator: OperatorClaims) => operator.scope.length === 6 && operator.scope.endsWith('00');

/** The deliveries an operator may see: those of their jurisdiction (the city sees everything). */
function inScope(operator: OperatorClaims): Prisma.DeliveryWhereInput {
  return isCity(operator) ? {} : { divisionCode: { startsWith: operator.scope } };
}

/** `inScope` in SQL, on the deliveries aliased `alias`. */
function inScopeSql(operator: OperatorClaims, alias: string): Prisma.Sql {
  return isCity(operator)
    ? Prisma.sql`TRUE`
    : Prisma.sql`starts_with(${Prisma.raw(alias)}."division_code", ${operator.scope})`;
}

/** What a department acts on in the order it got them. */
const handOverKinds: string[] = [...assignmentKinds, 'withdrawal'];

/**
 * The replays' `superseded` rule, on the dead delivery aliased `dead`: the later assignments,
 * updates or withdrawals of the same dispute to the same recipient that went out (or are going).
 * An assignment, update or withdrawal that died while one of those went is not sent again: it
 * would arrive after it — an assignment after its withdrawal hands the dispute back to a
 * department that lost it.
 */
function laterHandOvers(dead: string): Prisma.Sql {
  const d = Prisma.raw(dead);
  return Prisma.sql`
    SELECT later."id", later."kind" FROM "notify"."deliveries" AS later
     WHERE ${d}."kind" = ANY(${handOverKinds}::text[]) AND later."kind" = ANY(${handOverKinds}::text[])
       AND later."dispute_id" = ${d}."dispute_id" AND later."channel" = ${d}."channel"
       AND later."recipient" = ${d}."recipient" AND later."created_at" > ${d}."created_at"
       AND later."state" IN ('pending', 'sending', 'delivered')`;
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
    // Notify takes no API keys: a caller without a token is told to send one, not a key.
    credentials: ['authorization'],
    authenticate: (request: FastifyRequest) => authenticateOperator(request, deps),
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
              ...(query.recipient && { recipient: query.recipient }),
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
   * that a later one of the same dispute to the same recipient followed (409 `superseded`), nor a
   * WeChat notice texted instead (409 `replaced`): the citizen would get it twice.
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
          select: { id: true },
        });
        const [followed] = dead
          ? await tx.$queryRaw<{ id: string; kind: string }[]>`
              SELECT later."id", later."kind" FROM "notify"."deliveries" AS dead
               CROSS JOIN LATERAL (${laterHandOvers('dead')}) AS later
               WHERE dead."id" = ${id}::uuid
               LIMIT 1`
          : [];
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
        if (delivery.state === 'replaced') {
          throw new AppError(
            409,
            'replaced',
            'WeChat refused this citizen and the notice was texted instead; replayed, it would reach them twice',
            [{ field: 'state', reason: 'is replaced' }],
          );
        }
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

  /**
   * The dead letters of a recipient and/or channel (and kind, and a time of recording) sent again,
   * as the single replay does, oldest first, at most `limit` (1,000) a call: after an agency's
   * outage, its dozens of dead deliveries in one go. Those the single replay would refuse as
   * `superseded` are left dead and counted; `remaining` says how many more a next call would send.
   * `replaced` WeChat notices are no dead letters and never match (`failed` only).
   */
  route(
    app,
    {
      method: 'POST',
      url: '/v1/deliveries/replay',
      summary: 'Send the failed deliveries of a recipient or a channel again (at most 1,000 a call)',
      ...operatorsOnly,
      body: BulkReplayBody,
      bodyLimit: 16 * 1024,
      responses: {
        202: z.object({ replayed: z.number(), superseded: z.number(), remaining: z.number() }),
      },
    },
    async ({ body, actor: operator, request, reply }) => {
      const matching = Prisma.join(
        [
          Prisma.sql`dead."state" = 'failed'`,
          inScopeSql(operator, 'dead'),
          ...(body.recipient ? [Prisma.sql`dead."recipient" = ${body.recipient}`] : []),
          ...(body.channel ? [Prisma.sql`dead."channel" = ${body.channel}`] : []),
          ...(body.kind ? [Prisma.sql`dead."kind" = ${body.kind}`] : []),
          ...(body.createdFrom ? [Prisma.sql`dead."created_at" >= ${new Date(body.createdFrom)}`] : []),
          ...(body.createdTo ? [Prisma.sql`dead."created_at" < ${new Date(body.createdTo)}`] : []),
        ],
        ' AND ',
      );
      const answer = await db.$transaction(async (tx) => {
        // Oldest first: a dead one left for the next call is never older than one sent now, so
        // what this call sends cannot make it `superseded`.
        const replayed = await tx.$executeRaw`
          WITH picked AS (
            SELECT dead."id" FROM "notify"."deliveries" AS dead
             WHERE ${matching} AND NOT EXISTS (${laterHandOvers('dead')})
             ORDER BY dead."created_at", dead."id"
             LIMIT ${body.limit}
             FOR UPDATE
          )
          UPDATE "notify"."deliveries" AS d
             SET "state" = 'pending', "attempts" = 0, "next_attempt_at" = now(),
                 "replays" = d."replays" + 1, "replayed_by" = ${operator.sub}, "updated_at" = now()
            FROM picked
           WHERE d."id" = picked."id"`;
        const [left] = await tx.$queryRaw<{ superseded: number; remaining: number }[]>`
          SELECT count(*) FILTER (WHERE EXISTS (${laterHandOvers('dead')}))::int AS superseded,
                 count(*) FILTER (WHERE NOT EXISTS (${laterHandOvers('dead')}))::int AS remaining
            FROM "notify"."deliveries" AS dead
           WHERE ${matching}`;
        return { replayed, superseded: left?.superseded ?? 0, remaining: left?.remaining ?? 0 };
      });
      // Counts and the filter's channel and kind only: a recipient may be a phone number.
      request.log.info(
        { ...answer, channel: body.channel, kind: body.kind, by: operator.sub },
        'deliveries replayed in bulk',
      );
      if (answer.replayed > 0) deps.onReplay?.();
      return reply.status(202).send(answer);
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
