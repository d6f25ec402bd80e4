import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, normaliseWorkOrder, WorkOrder } from '../src/work-order.ts';
import { anyOrderBody, anyRawBody, mutatedOrder, reverseKeys, validOrder } from './arbitraries.ts';
import { setup, signedHeaders } from './fixtures.ts';

const runs = 10_000;
/** Generous: these run beside every other unit test file on a shared, often busy 2-core machine. */
const timeoutMs = 120_000;
/** How many payloads each target got: the issue asks for at least 10,000 at the parser and at the endpoint. */
const thrown = { parser: 0, single: 0, batchItems: 0, signatures: 0 };

type Result = { status: number; disputeId?: string; duplicate?: boolean; revision?: number };

/**
 * What every run must leave behind: each 202 that was not a duplicate has exactly its event on
 * the log, nothing else is there, and each order's revisions count 1, 2, 3… without a gap.
 */
function expectLogMatches(events: { disputeId: string; revision: number }[], results: Result[]) {
  const written = events.map((event) => `${event.disputeId}#${event.revision}`);
  const acknowledged = results
    .filter((result) => result.status === 202 && result.duplicate === false)
    .map((result) => `${result.disputeId}#${result.revision}`);
  expect(written.sort()).toEqual(acknowledged.sort());
  const revisions = new Map<string, number[]>();
  for (const event of events)
    revisions.set(event.disputeId, [...(revisions.get(event.disputeId) ?? []), event.revision]);
  for (const list of revisions.values())
    expect(list.sort((a, b) => a - b)).toEqual(list.map((_, i) => i + 1));
}

describe('the work-order parser under generated input', () => {
  it(
    `accepts every one of ${runs / 5} generated valid orders, and what it makes fits the contract`,
    () => {
      fc.assert(
        fc.property(validOrder, (order) => {
          thrown.parser++;
          const parsed = WorkOrder.safeParse(order);
          expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
          const dispute = normaliseWorkOrder(parsed.data!, { clientId: 'hotline-a' });
          expect(DisputeReceivedV1.safeParse(dispute).success).toBe(true);
          expect(dispute.disputeId).toBe(disputeIdFor('hotline_12345', order.orderNo));
        }),
        { numRuns: runs / 5 },
      );
    },
    timeoutMs,
  );

  it(
    `never throws on ${runs} mutated orders and ${runs / 5} arbitrary JSON values; what it accepts fits the contract and has one fingerprint`,
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          fc.oneof({ arbitrary: mutatedOrder, weight: 5 }, { arbitrary: fc.jsonValue(), weight: 1 }),
          (body) => {
            thrown.parser++;
            const parsed = WorkOrder.safeParse(body);
            if (!parsed.success) {
              expect(parsed.error.issues.length).toBeGreaterThan(0);
              return;
            }
            accepted++;
            const dispute = normaliseWorkOrder(parsed.data, { clientId: 'hotline-a' });
            // Anything accepted must be publishable: a contract failure at publish would be a 5xx.
            const checked = DisputeReceivedV1.safeParse(dispute);
            expect(checked.success).toBe(true);
            // The contract is checked at publish only: its parse must not change what the fingerprint covers.
            expect(fingerprintOf(checked.data!)).toBe(fingerprintOf(dispute));
            // The same order sent again — re-serialised, keys in another order — is the same report.
            const again = WorkOrder.parse(JSON.parse(JSON.stringify(reverseKeys(body))));
            expect(fingerprintOf(normaliseWorkOrder(again, { clientId: 'hotline-b' }))).toBe(
              fingerprintOf(dispute),
            );
          },
        ),
        { numRuns: runs + runs / 5 },
      );
      // Some mutations leave an order valid (an optional field removed): the accepting side is exercised too.
      expect(accepted).toBeGreaterThan(500);
    },
    timeoutMs,
  );
});

describe('POST /v1/work-orders under generated input', () => {
  it(
    `answers ${runs} generated and mutated signed payloads with 202 or 400 — never a 5xx — and logs exactly what it acknowledged`,
    async () => {
      const { app, events } = setup(undefined, undefined, { writeMs: 0 });
      const statuses = new Map<number, number>();
      const results: Result[] = [];
      await fc.assert(
        fc.asyncProperty(anyRawBody, async (raw) => {
          thrown.single++;
          const response = await app.inject({
            method: 'POST',
            url: '/v1/work-orders',
            headers: signedHeaders(raw),
            payload: raw,
          });
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          expect([202, 400]).toContain(response.statusCode);
          const body = response.json();
          if (response.statusCode === 202) {
            expect(body.disputeId).toMatch(
              /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
            );
            expect(body.revision).toBeGreaterThanOrEqual(1);
            results.push({ status: 202, ...body });
          } else {
            expect(body.error.code).toBe('invalid_request');
            expect(body.error.fields.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: runs },
      );
      console.log(
        `[ingest-12345] generated single pushes answered: ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      expect(statuses.get(202)).toBeGreaterThan(1_000);
      expect(statuses.get(400)).toBeGreaterThan(1_000);
      // Repeats and updates of the pooled order numbers happened, and were told apart.
      expect(results.filter((result) => result.duplicate).length).toBeGreaterThan(10);
      expect(results.filter((result) => !result.duplicate && result.revision! > 1).length).toBeGreaterThan(
        10,
      );
      expectLogMatches(events(), results);
    },
    3 * timeoutMs,
  );

  it(
    `answers ${runs / 10} generated batches (5–20 orders each) item by item on a broker that fails now and then — never a 5xx, never a 202 that was not written`,
    async () => {
      const { app, events, state } = setup(undefined, undefined, { writeMs: 0 });
      const itemStatuses = new Map<number, number>();
      const results: Result[] = [];
      await fc.assert(
        fc.asyncProperty(
          fc.array(anyOrderBody, { minLength: 5, maxLength: 20 }),
          fc.integer({ min: 0, max: 9 }),
          async (orders, luck) => {
            thrown.batchItems += orders.length;
            state.down = luck === 0;
            const raw = JSON.stringify({ orders });
            const response = await app.inject({
              method: 'POST',
              url: '/v1/work-orders/batch',
              headers: signedHeaders(raw),
              payload: raw,
            });
            expect(response.statusCode).toBe(200);
            const body = response.json();
            expect(body.results.map((result: { index: number }) => result.index)).toEqual(
              orders.map((_, i) => i),
            );
            for (const result of body.results) {
              itemStatuses.set(result.status, (itemStatuses.get(result.status) ?? 0) + 1);
              expect([202, 400, 503]).toContain(result.status);
              if (result.status === 202) results.push(result);
              else expect(result.error.fields.length > 0 || result.status === 503).toBe(true);
            }
            if (body.summary.unavailable > 0) expect(response.headers['retry-after']).toBeDefined();
          },
        ),
        { numRuns: runs / 10 },
      );
      console.log(
        `[ingest-12345] generated batch items answered: ${JSON.stringify(Object.fromEntries(itemStatuses))}`,
      );
      expect(itemStatuses.get(202)).toBeGreaterThan(1_000);
      expect(itemStatuses.get(400)).toBeGreaterThan(1_000);
      expect(itemStatuses.get(503)).toBeGreaterThan(10);
      expectLogMatches(events(), results);
    },
    3 * timeoutMs,
  );

  it(
    `answers ${runs / 5} requests with mangled signature headers with 401, never a 5xx`,
    async () => {
      const { app, written } = setup();
      const raw = JSON.stringify({ orderNo: 'GD1', content: '欠薪' });
      const header = fc.oneof(
        fc.string({ maxLength: 70 }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.constant(undefined),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            client: fc.oneof(header, fc.constant('hotline-a')),
            timestamp: header,
            signature: header,
          }),
          fc.constantFrom('/v1/work-orders', '/v1/work-orders/batch'),
          async ({ client, timestamp, signature }, url) => {
            thrown.signatures++;
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (client !== undefined) headers['x-huijie-client'] = client;
            if (timestamp !== undefined) headers['x-huijie-timestamp'] = timestamp;
            if (signature !== undefined) headers['x-huijie-signature'] = signature;
            const response = await app.inject({ method: 'POST', url, headers, payload: raw });
            expect(response.statusCode).toBe(401);
            expect(response.json().error.fields).toHaveLength(1);
          },
        ),
        { numRuns: runs / 5 },
      );
      expect(written).toHaveLength(0);
    },
    timeoutMs,
  );

  it('threw at least 10,000 generated and mutated payloads at the parser and at each endpoint', () => {
    expect(thrown.parser).toBeGreaterThanOrEqual(runs);
    expect(thrown.single).toBeGreaterThanOrEqual(runs);
    expect(thrown.batchItems).toBeGreaterThanOrEqual(runs);
    console.log(`[ingest-12345] payloads thrown: ${JSON.stringify(thrown)}`);
  });
});
