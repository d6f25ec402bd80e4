import { readFile } from 'node:fs/promises';
import type { SqlClient } from '@huijie/database/sql-client.ts';
import { eventually } from '@huijie/testing/servers.ts';
import { expect } from 'vitest';
import type { Pusher } from './pusher.ts';
import type { Stack } from './stack.ts';

interface Progress {
  acknowledged: number;
  reports: number;
  assigned: number;
  /** Deliveries notify should have: one per department of each case, and the caller's notice. */
  expectedDeliveries: number;
  deliveries: number;
  delivered: number;
}

/** How far the acknowledged disputes have come: reports, assigned cases, deliveries recorded and made. */
export async function progress(sql: SqlClient, disputeIds: string[]): Promise<Progress> {
  const [cases] = (
    await sql.query<{ reports: string; assigned: string; departments: string }>(
      `SELECT count(*) AS reports,
              count(*) FILTER (WHERE c.status = 'assigned') AS assigned,
              coalesce(sum((SELECT count(*) FROM cases.assignments a WHERE a.case_id = c.id)), 0) AS departments
         FROM cases.reports r JOIN cases.cases c ON c.id = r.case_id
        WHERE r.dispute_id = ANY($1::uuid[])`,
      [disputeIds],
    )
  ).rows;
  const [deliveries] = (
    await sql.query<{ recorded: string; delivered: string }>(
      `SELECT count(*) AS recorded, count(*) FILTER (WHERE state = 'delivered') AS delivered
         FROM notify.deliveries WHERE dispute_id = ANY($1::uuid[])`,
      [disputeIds],
    )
  ).rows;
  const assigned = Number(cases?.assigned ?? 0);
  return {
    acknowledged: disputeIds.length,
    reports: Number(cases?.reports ?? 0),
    assigned,
    expectedDeliveries: Number(cases?.departments ?? 0) + assigned,
    deliveries: Number(deliveries?.recorded ?? 0),
    delivered: Number(deliveries?.delivered ?? 0),
  };
}

/**
 * Waits until the platform works end to end again: the next `count` orders sent from now are
 * acknowledged, assigned, and every delivery they owe is made. Returns how long that took.
 */
export async function flowingAgain(stack: Stack, pusher: Pusher, count = 6, timeoutMs = 90_000) {
  const started = Date.now();
  const mark = pusher.sent;
  const fresh = await eventually(
    () => {
      const ids = pusher.acknowledgedAfter(mark);
      return ids.length >= count ? ids.slice(0, count) : undefined;
    },
    { what: `${count} more pushes acknowledged`, timeoutMs, intervalMs: 200 },
  );
  let last: Progress | undefined;
  await eventually(
    async () => {
      last = await progress(stack.sql, fresh);
      return (
        last.assigned === fresh.length &&
        last.expectedDeliveries > 0 &&
        last.deliveries === last.expectedDeliveries &&
        last.delivered === last.expectedDeliveries
      );
    },
    { what: 'the latest disputes to be assigned and notified', timeoutMs, intervalMs: 300 },
  ).catch((error: Error) => {
    const tails = stack.all.map((service) => `--- ${service.name}\n${service.warnings(10)}`).join('\n');
    throw new Error(`${error.message}\nprogress: ${JSON.stringify(last)}\n${tails}`);
  });
  return Date.now() - started;
}

/** Waits until every acknowledged dispute is an assigned case whose deliveries were all made. */
export async function everythingDone(stack: Stack, pusher: Pusher, timeoutMs = 120_000): Promise<void> {
  const ids = pusher.disputeIds();
  let last: Progress | undefined;
  await eventually(
    async () => {
      last = await progress(stack.sql, ids);
      return (
        last.reports === ids.length &&
        last.assigned === ids.length &&
        last.delivered === last.expectedDeliveries &&
        last.deliveries === last.expectedDeliveries
      );
    },
    { what: 'every acknowledged dispute to be assigned and notified', timeoutMs, intervalMs: 1_000 },
  ).catch((error: Error) => {
    const tails = stack.all.map((service) => `--- ${service.name}\n${service.warnings(10)}`).join('\n');
    throw new Error(`${error.message}\nprogress: ${JSON.stringify(last)}\n${tails}`);
  });
}

/**
 * Every push that got a 202 is exactly one case — its own, assigned once — and nothing else is
 * in the database: no push lost, none doubled, no case made from an unacknowledged push.
 */
export async function expectOneCasePerAcknowledgedPush(stack: Stack, pusher: Pusher): Promise<void> {
  expect(pusher.rejected).toEqual([]);
  expect(pusher.abandoned).toEqual([]);
  const ids = pusher.disputeIds();
  expect(new Set(ids).size).toBe(ids.length);
  const reports = (
    await stack.sql.query<{ dispute_id: string; case_id: string; status: string; merged: string | null }>(
      `SELECT r.dispute_id, r.case_id, c.status, c.merged_into_id AS merged
         FROM cases.reports r JOIN cases.cases c ON c.id = r.case_id`,
    )
  ).rows;
  expect(reports.map((row) => row.dispute_id).sort()).toEqual([...ids].sort());
  expect(new Set(reports.map((row) => row.case_id)).size).toBe(ids.length);
  const [counts] = (await stack.sql.query<{ cases: string }>(`SELECT count(*) AS cases FROM cases.cases`))
    .rows;
  expect(Number(counts?.cases)).toBe(ids.length);
  expect(reports.filter((row) => row.status !== 'assigned' || row.merged !== null)).toEqual([]);
  // Each case's history says it was received once and assigned once, whatever was redelivered.
  const repeated = (
    await stack.sql.query(
      `SELECT case_id, type, count(*)::int AS times FROM cases.history
        GROUP BY case_id, type HAVING count(*) > 1`,
    )
  ).rows;
  expect(repeated).toEqual([]);
  const assignments = (
    await stack.sql.query<{ per_case: number; cases: string }>(
      `SELECT n AS per_case, count(*) AS cases
         FROM (SELECT case_id, count(*)::int AS n FROM cases.assignments GROUP BY case_id) AS per
        GROUP BY n`,
    )
  ).rows;
  // Guo's matter: the town's judicial office leads, the county's labour inspection joins.
  expect(assignments.map((row) => [row.per_case, Number(row.cases)])).toEqual([[2, ids.length]]);
}

/**
 * Every delivery notify owes for these disputes was recorded once (one per department of the
 * case and one notice to the caller) and made: the receivers, deduplicating on the delivery id
 * as their contract says, act on each exactly once. A repeat reaches a receiver only for a
 * delivery whose sender was killed between sending and recording it (its attempt log says so).
 */
export async function expectEachDeliveryMadeOnce(stack: Stack, pusher: Pusher): Promise<void> {
  const ids = pusher.disputeIds();
  const rows = (
    await stack.sql.query<{
      id: string;
      dispute_id: string;
      kind: string;
      channel: string;
      recipient: string;
      state: string;
      interrupted: boolean;
    }>(
      `SELECT d.id, d.dispute_id, d.kind, d.channel, d.recipient, d.state,
              EXISTS (SELECT 1 FROM notify.delivery_attempts a
                       WHERE a.delivery_id = d.id AND a.detail LIKE 'no result recorded%') AS interrupted
         FROM notify.deliveries d`,
    )
  ).rows;
  expect(rows.filter((row) => row.state !== 'delivered')).toEqual([]);
  expect(new Set(rows.map((row) => row.dispute_id))).toEqual(new Set(ids));
  const perDispute = new Map<string, string[]>();
  for (const row of rows)
    perDispute.set(row.dispute_id, [...(perDispute.get(row.dispute_id) ?? []), `${row.kind}:${row.channel}`]);
  const shapes = new Set([...perDispute.values()].map((kinds) => kinds.sort().join(' ')));
  // The lead by webhook, the co-handler and the caller's SMS through the outbox stand-in.
  expect([...shapes]).toEqual(['assignment:outbox assignment:webhook citizen_notice:sms']);

  const interrupted = new Set(rows.filter((row) => row.interrupted).map((row) => row.id));
  const webhook = rows.filter((row) => row.channel === 'webhook').map((row) => row.id);
  expect(new Set(stack.receiver.applied.keys())).toEqual(new Set(webhook));
  expect(stack.receiver.requests.every((request) => request.signatureOk)).toBe(true);
  expect(stack.receiver.duplicates.filter((request) => !interrupted.has(request.deliveryId!))).toEqual([]);

  const lines = (await readFile(stack.outboxFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { deliveryId: string });
  const written = new Map<string, number>();
  for (const line of lines) written.set(line.deliveryId, (written.get(line.deliveryId) ?? 0) + 1);
  const toFile = rows.filter((row) => row.channel !== 'webhook').map((row) => row.id);
  expect(new Set(written.keys())).toEqual(new Set(toFile));
  expect([...written].filter(([id, times]) => times > 1 && !interrupted.has(id))).toEqual([]);
}
