import { personalNumberIn } from '@huijie/contracts/personal-numbers.ts';
import { type OperatorClaims, verifyToken } from '@huijie/service-kit/auth-token.ts';
import { AppError, notFound } from '@huijie/service-kit/errors.ts';
import { route, strictQuery } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { assignmentKinds } from '../consumers/record-assignment.ts';
import type { NotifyDb } from '../db/prisma.ts';
import { Prisma } from '../generated/prisma/client.ts';

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

const withAttempts = { attemptLog: { orderBy: { id: 'asc' as const } } };

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

/**
 * Where the matter of a delivery (aliased `alias`) is now, in SQL: the place of its case — the
 * latest decision handed out of the case's own dispute (its first report, the one routing routes
 * the case under; dispute_sources.division_code) — as the cases API places a case, for an
 * operator's correction moves the case and everything about it. The case is the one its dispute
 * is in now (case_disputes, a folded report's too), else the one it was recorded for. A dispute
 * whose case notify has not heard of, or whose case's own dispute it knows no place of, is where
 * its own latest decision put it; a delivery of neither, where it was recorded (its division_code).
 */
function matterPlaceSql(alias: string): Prisma.Sql {
  const d = Prisma.raw(alias);
  return Prisma.sql`COALESCE(
    (SELECT own_source."division_code"
       FROM "notify"."case_disputes" AS own
       JOIN "notify"."dispute_sources" AS own_source ON own_source."dispute_id" = own."dispute_id"
      WHERE own."case_id" = COALESCE(
              (SELECT member."case_id" FROM "notify"."case_disputes" AS member
                WHERE member."dispute_id" = ${d}."dispute_id"),
              ${d}."case_id")
        AND own."merged_into" IS NULL AND own_source."division_code" IS NOT NULL
      ORDER BY own_source."updated_at" DESC
      LIMIT 1),
    (SELECT source."division_code" FROM "notify"."dispute_sources" AS source
      WHERE source."dispute_id" = ${d}."dispute_id"),
    ${d}."division_code")`;
}

/**
 * The deliveries an operator may see, in SQL on the deliveries aliased `alias`: those whose matter
 * is in their jurisdiction now (`matterPlaceSql`: a town a correction moved a case out of sees
 * none of its deliveries, the new town all of them, as the cases API shows the case); the city
 * sees everything. An express-lane notice also only by its own division, that of the secretary it
 * went to: a notice to the county's secretary is the county's, not its town's.
 */
function inScopeSql(operator: OperatorClaims, alias: string): Prisma.Sql {
  if (isCity(operator)) return Prisma.sql`TRUE`;
  const d = Prisma.raw(alias);
  return Prisma.sql`starts_with(${matterPlaceSql(alias)}, ${operator.scope})
    AND (${d}."kind" <> 'escalation_notice' OR starts_with(${d}."division_code", ${operator.scope}))`;
}

type Reader = NotifyDb | Prisma.TransactionClient;

/**
 * The ids of the deliveries matching `where` (SQL on the deliveries aliased `d`) that `operator`
 * may see (`inScopeSql`), in the order they were recorded (`asc`) or newest first (`desc`).
 */
async function visibleIds(
  db: Reader,
  operator: OperatorClaims,
  where: Prisma.Sql,
  order: 'asc' | 'desc' = 'asc',
  limit?: number,
): Promise<string[]> {
  const direction = Prisma.raw(order === 'asc' ? 'ASC' : 'DESC');
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT d."id"::text AS "id" FROM "notify"."deliveries" AS d
     WHERE ${where} AND ${inScopeSql(operator, 'd')}
     ORDER BY d."created_at" ${direction}, d."id" ${direction}
     ${limit === undefined ? Prisma.empty : Prisma.sql`LIMIT ${limit}`}`;
  return rows.map((row) => row.id);
}

/** The deliveries of `ids`, with their attempts, in the order of `ids`. */
async function deliveriesIn(db: Reader, ids: string[]): Promise<DeliveryRow[]> {
  const rows = await db.delivery.findMany({ where: { id: { in: ids } }, include: withAttempts });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** One delivery, if the operator may see it. */
async function visibleDelivery(db: Reader, operator: OperatorClaims, id: string) {
  const [visible] = await visibleIds(db, operator, Prisma.sql`d."id" = ${id}::uuid`);
  return visible === undefined
    ? null
    : db.delivery.findUnique({ where: { id: visible }, include: withAttempts });
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
      const filters = Prisma.join(
        [
          Prisma.sql`TRUE`,
          ...(query.caseId ? [ofCaseSql(query.caseId, 'd')] : []),
          ...(query.disputeId ? [Prisma.sql`d."dispute_id" = ${query.disputeId}::uuid`] : []),
          ...(query.recipient ? [Prisma.sql`d."recipient" = ${query.recipient}`] : []),
          ...(query.state ? [Prisma.sql`d."state" = ${query.state}`] : []),
          ...(query.kind ? [Prisma.sql`d."kind" = ${query.kind}`] : []),
          ...(query.channel ? [Prisma.sql`d."channel" = ${query.channel}`] : []),
          // The page after the delivery `after`, in the list's order (none when it does not exist).
          ...(query.after
            ? [
                Prisma.sql`(d."created_at", d."id") < (SELECT c."created_at", c."id" FROM "notify"."deliveries" AS c
                   WHERE c."id" = ${query.after}::uuid)`,
              ]
            : []),
        ],
        ' AND ',
      );
      const deliveries = await deliveriesIn(db, await visibleIds(db, operator, filters, 'desc', query.limit));
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
      const delivery = await visibleDelivery(db, operator, id);
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
        // A dead letter the operator may not see is answered as one that is not there (below).
        const [dead] = await visibleIds(
          tx,
          operator,
          Prisma.sql`d."id" = ${id}::uuid AND d."state" = 'failed'`,
        );
        if (!dead) return null;
        const [followed] = await tx.$queryRaw<{ id: string; kind: string }[]>`
          SELECT later."id", later."kind" FROM "notify"."deliveries" AS dead
           CROSS JOIN LATERAL (${laterHandOvers('dead')}) AS later
           WHERE dead."id" = ${id}::uuid
           LIMIT 1`;
        if (followed) {
          throw new AppError(
            409,
            'superseded',
            `a later ${followed.kind} (${followed.id}) of this dispute to this recipient was sent after it; replayed, this one would arrive after that`,
            [{ field: 'id', reason: `superseded by ${followed.id}` }],
          );
        }
        const updated = await tx.delivery.updateMany({
          where: { id, state: 'failed' },
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
        const delivery = await visibleDelivery(db, operator, id);
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
      const deliveries = await deliveriesIn(
        db,
        await visibleIds(db, operator, Prisma.sql`d."dispute_id" = ${disputeId}::uuid`),
      );
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
      const deliveries = await deliveriesIn(db, await visibleIds(db, operator, ofCaseSql(caseId, 'd')));
      if (deliveries.length === 0) throw notFound('deliveries of this case');
      const disputeIds = (await db.caseDispute.findMany({ where: { caseId } })).map((row) => row.disputeId);
      return { caseId, disputeIds, ...summarise(deliveries) };
    },
  );
}

/**
 * A case's deliveries, in SQL on the deliveries aliased `alias`: those recorded for the case, and
 * those of the disputes it is made of.
 */
function ofCaseSql(caseId: string, alias: string): Prisma.Sql {
  const d = Prisma.raw(alias);
  return Prisma.sql`(${d}."case_id" = ${caseId}::uuid OR ${d}."dispute_id" IN (
    SELECT member."dispute_id" FROM "notify"."case_disputes" AS member WHERE member."case_id" = ${caseId}::uuid))`;
}
