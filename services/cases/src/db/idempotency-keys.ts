import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '@huijie/service-kit/errors.ts';
import type { Logger } from '@huijie/service-kit/logger.ts';
import { startWorkLoop } from '@huijie/service-kit/work-loop.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Tx } from '../outbox/outbox.ts';
import type { CasesDb } from './prisma.ts';

/** The header a client names a request with, so that its retries are answered, not applied again. */
export const idempotencyKeyHeader = 'Idempotency-Key';

/**
 * How long an answer is remembered: a day covers a client retrying after a timeout, a restart or
 * a night's outage of its own; a key sent again later is a new request.
 */
export const idempotencyWindowMs = 24 * 3600 * 1000;

/** A request sent with an Idempotency-Key. */
export interface KeyedRequest {
  /** Who sent it (`actorName`): each caller's keys are its own, never another's. */
  caller: string;
  key: string;
  /** What it asks, in words for a refusal: `POST /v1/cases/<id>/accept`. */
  request: string;
  /** The digest of its route, case and body: a retry has the same. */
  fingerprint: string;
  /**
   * Whether the caller may still see the case, checked before a retry is given the first answer:
   * a department withdrawn since, or an operator whose jurisdiction the case has left, is refused
   * (410, 404) as it would be without the key, not told its old success again.
   */
  stillVisible: (tx: Tx) => Promise<unknown>;
}

/**
 * The keyed request an action runs for. Ambient because the actions (act-on-case.ts,
 * reshape-case.ts) open their transaction themselves and the key must be claimed inside it:
 * passing it through every action would tie the domain's actions to an HTTP header.
 */
const keyedRequest = new AsyncLocalStorage<{ request: KeyedRequest; claimed: boolean }>();

/** Runs an action for a keyed request: its transaction (`caseTransaction`) claims the key. */
export function underIdempotencyKey<T>(request: KeyedRequest, action: () => Promise<T>): Promise<T> {
  return keyedRequest.run({ request, claimed: false }, action);
}

/** What a transaction does for a keyed request: answer the first one's result, or run and remember its own. */
export type KeyClaim =
  | { answered: true; result: unknown }
  | { answered: false; remember: (result: unknown) => Promise<void> };

/**
 * Claims the key of the request this transaction runs for (none: undefined), first thing in it.
 * Inserting the key is the claim: a concurrent request with the same key waits on the primary key
 * until the first one's transaction ends, then reads what it answered — or, if it rolled back
 * (refused or failed, nothing recorded, nothing remembered), claims the key itself. A key used
 * for another request is refused (422). Only the first transaction of a request claims its key.
 */
export async function claimIdempotencyKey(tx: Tx, now = new Date()): Promise<KeyClaim | undefined> {
  const scope = keyedRequest.getStore();
  if (!scope || scope.claimed) return undefined;
  scope.claimed = true;
  return claim(tx, scope.request, now);
}

async function claim(tx: Tx, request: KeyedRequest, now: Date): Promise<KeyClaim> {
  const { caller, key, fingerprint } = request;
  const where = { caller_key: { caller, key } };
  // A key past the window is forgotten even before the pruning gets to it: a new request.
  await tx.idempotencyKey.deleteMany({
    where: { caller, key, createdAt: { lt: new Date(now.getTime() - idempotencyWindowMs) } },
  });
  const inserted = await tx.idempotencyKey.createMany({
    data: [{ caller, key, request: request.request, fingerprint, createdAt: now }],
    skipDuplicates: true,
  });
  if (inserted.count === 1) {
    return {
      answered: false,
      remember: async (result) => {
        await tx.idempotencyKey.update({ where, data: { answer: rememberedAnswer(result) } });
      },
    };
  }
  const first = await tx.idempotencyKey.findUnique({ where });
  // Pruned between the two statements, as it expired: the key is free again.
  if (!first) return claim(tx, request, now);
  if (first.fingerprint !== fingerprint) throw keyUsedForAnotherRequest(first.request, request.request);
  await request.stillVisible(tx);
  return { answered: true, result: (first.answer as { result?: unknown } | null)?.result };
}

/**
 * A transaction's result as JSON (`{"result": …}`; `{}` for none). What the actions' transactions
 * answer is plain data (a state, an id, nothing): what a retry is answered is the same.
 */
const rememberedAnswer = (result: unknown) =>
  JSON.parse(JSON.stringify({ result })) as Prisma.InputJsonObject;

function keyUsedForAnotherRequest(firstRequest: string, thisRequest: string): AppError {
  const hours = idempotencyWindowMs / 3600_000;
  const reason = `already used in the last ${hours} hours for ${
    firstRequest === thisRequest ? 'this action with another body' : `another request (${firstRequest})`
  }: a new request needs a new key`;
  return new AppError(422, 'idempotency_key_reused', `${idempotencyKeyHeader} ${reason}`, [
    { field: idempotencyKeyHeader, reason },
  ]);
}

/** Keys one pruning statement deletes at most: a short transaction even after a long pause. */
const pruneBatch = 5_000;

/**
 * Deletes up to `batch` keys claimed before `before`, oldest first, skipping any a request is
 * claiming again now. Returns how many it deleted. Without it the table keeps every key ever sent.
 */
export async function pruneIdempotencyKeys(db: CasesDb, before: Date, batch = pruneBatch): Promise<number> {
  return db.$executeRaw`
    DELETE FROM cases.idempotency_keys WHERE (caller, key) IN (
      SELECT caller, key FROM cases.idempotency_keys WHERE created_at < ${before}
      ORDER BY created_at LIMIT ${batch} FOR UPDATE SKIP LOCKED)`;
}

/** Prunes the keys past the window every `intervalMs` (at once again while a whole batch was old enough). */
export function startIdempotencyKeyPruning(deps: { db: CasesDb; logger: Logger; intervalMs?: number }) {
  return startWorkLoop({
    name: 'idempotency key pruning',
    logger: deps.logger,
    intervalMs: deps.intervalMs ?? 10 * 60_000,
    work: async () =>
      (await pruneIdempotencyKeys(deps.db, new Date(Date.now() - idempotencyWindowMs))) >= pruneBatch,
  });
}
