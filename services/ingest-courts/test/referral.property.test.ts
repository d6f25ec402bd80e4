import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { memoryRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCaseNumber, parseCaseNumber } from '../src/case-number.ts';
import { normaliseReferral, referralSchema, validateReferral } from '../src/referral.ts';
import {
  anyPayload,
  caseParts,
  mutatedCaseNumber,
  mutatedReferral,
  spelledCaseNumber,
} from './arbitraries.ts';
import { memoryEngine, now, signedHeaders, testApp, testConfig } from './fixtures.ts';

const runs = 10_000;
/** Generous: these run beside every other unit test file on a shared, sometimes busy machine. */
const timeoutMs = 60_000;
const strictCanonical = /^（20\d{2}）闽08(\d{2})?(民诉前调|民初|民终)[1-9]\d{0,6}号$/u;
let generated = 0;

/** What must hold for anything the parser says about any input. */
function checkParse(input: unknown) {
  generated++;
  const result = parseCaseNumber(input, now);
  if (!result.ok) {
    expect(result.reason.length).toBeGreaterThan(0);
    return;
  }
  expect(result.value.canonical).toMatch(strictCanonical);
  // Canonical forms are fixed points: idempotency keys never drift between pushes.
  expect(parseCaseNumber(result.value.canonical, now)).toEqual(result);
  expect(result.value.year).toBeLessThanOrEqual(2024);
}

describe('the case-number parser under generated input', () => {
  it(
    `never throws on ${runs} arbitrary strings and always answers consistently`,
    () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 80 })),
          checkParse,
        ),
        { numRuns: runs },
      );
    },
    timeoutMs,
  );

  it(
    `never throws on ${runs} mutated case numbers`,
    () => {
      fc.assert(fc.property(mutatedCaseNumber, checkParse), { numRuns: runs });
    },
    timeoutMs,
  );

  it(
    `reads ${runs} spellings of valid numbers as their one canonical form`,
    () => {
      fc.assert(
        fc.property(
          caseParts.chain((parts) => spelledCaseNumber(parts).map((text) => ({ parts, text }))),
          ({ parts, text }) => {
            generated++;
            const result = parseCaseNumber(text, now);
            expect(result).toEqual({ ok: true, value: { ...parts, canonical: formatCaseNumber(parts) } });
          },
        ),
        { numRuns: runs },
      );
    },
    timeoutMs,
  );
});

describe('the referral checks under generated input', () => {
  const schema = referralSchema(() => now);

  it(
    `never throw on ${runs} mutated referrals and ${runs / 5} arbitrary JSON values; what they accept fits the contract`,
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          fc.oneof({ arbitrary: mutatedReferral, weight: 5 }, { arbitrary: fc.jsonValue(), weight: 1 }),
          (body) => {
            generated++;
            const result = validateReferral(schema, body, now);
            if (!result.ok) {
              expect(result.error.issues.length).toBeGreaterThan(0);
              return;
            }
            accepted++;
            const dispute = normaliseReferral(result.value, { clientId: 'demo-court', receivedAt: now });
            // Anything accepted must be publishable: a contract failure at publish would be a 500.
            expect(DisputeReceivedV1.safeParse(dispute).success).toBe(true);
            expect(dispute.sourceRef).toMatch(strictCanonical);
            expect(dispute.location.divisionCode).toMatch(/^3508/);
          },
        ),
        { numRuns: runs + runs / 5 },
      );
      // The mutations leave some referrals valid (e.g. a deleted optional field): the accepting side is exercised too.
      expect(accepted).toBeGreaterThan(100);
    },
    timeoutMs,
  );
});

describe('POST /v1/referrals under generated input', () => {
  it(
    `answers ${runs} generated and mutated signed payloads with 202, 400 or 403 — never a 5xx`,
    async () => {
      const memory = memoryEngine({ writeMs: 0 });
      const app = testApp(
        { bus: memory.bus, rateLimiter: memoryRateLimiter() },
        testConfig({ rateLimitPerMinute: 1_000_000 }),
      );
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            { arbitrary: anyPayload.map((body) => JSON.stringify(body) ?? ''), weight: 12 },
            // Bytes that are not JSON at all, signed correctly.
            { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
          ),
          async (raw) => {
            generated++;
            const response = await app.inject({
              method: 'POST',
              url: '/v1/referrals',
              headers: signedHeaders(raw),
              payload: raw,
            });
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
            expect([202, 400, 403]).toContain(response.statusCode);
            const body = response.json();
            if (response.statusCode === 202) expect(body.disputeId).toMatch(/^[0-9a-f-]{36}$/);
            else expect(body.error.code).toMatch(/^(invalid_request|forbidden)$/);
            if (response.statusCode === 400) expect(body.error.fields.length).toBeGreaterThan(0);
          },
        ),
        { numRuns: runs },
      );
      console.log(
        `[ingest-courts] generated payloads answered: ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      // Every kind of answer was reached, so the generators cover the endpoint and not just its front door.
      expect(statuses.get(202)).toBeGreaterThan(100);
      expect(statuses.get(400)).toBeGreaterThan(100);
      expect(statuses.get(403)).toBeGreaterThan(10);
      // A changed referral of a case already taken is its next revision: each written once, and
      // a dispute's revisions count up from 1 without a gap.
      const revisions = new Map<string, number[]>();
      for (const record of memory.records) {
        const { revision } = JSON.parse(record.value.toString()) as { revision: number };
        revisions.set(String(record.key), [...(revisions.get(String(record.key)) ?? []), revision]);
      }
      for (const taken of revisions.values())
        expect(taken).toEqual(Array.from({ length: taken.length }, (_, index) => index + 1));
    },
    3 * timeoutMs,
  );

  it(
    `answers ${runs / 5} requests with mangled signature headers with 401, never a 5xx`,
    async () => {
      const memory = memoryEngine({ writeMs: 0 });
      const app = testApp({ bus: memory.bus });
      const raw = JSON.stringify({ caseNumber: '（2024）闽0803民诉前调1号' });
      const header = fc.oneof(
        fc.string({ maxLength: 70 }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.constant(undefined),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record({ client: header, timestamp: header, signature: header }),
          async ({ client, timestamp, signature }) => {
            generated++;
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (client !== undefined) headers['x-huijie-client'] = client;
            if (timestamp !== undefined) headers['x-huijie-timestamp'] = timestamp;
            if (signature !== undefined) headers['x-huijie-signature'] = signature;
            const response = await app.inject({
              method: 'POST',
              url: '/v1/referrals',
              headers,
              payload: raw,
            });
            expect(response.statusCode).toBe(401);
            expect(response.json().error.fields).toHaveLength(1);
          },
        ),
        { numRuns: runs / 5 },
      );
      expect(memory.records).toHaveLength(0);
    },
    timeoutMs,
  );

  it('counted what it threw', () => {
    expect(generated).toBeGreaterThanOrEqual(4 * runs + runs / 5 + runs / 5);
  });
});
