import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { referralKey, takeIn } from '../src/app.ts';
import { normaliseReferral, referralSchema, validateReferral } from '../src/referral.ts';
import { demoClient, memoryEngine, now, referral } from './fixtures.ts';

describe('takeIn', () => {
  it('an event that does not fit its contract is our bug: it throws (a 500, not a 503 the court would retry), writes nothing and frees the referral', async () => {
    const { bus, records } = memoryEngine({ writeMs: 0 });
    const idempotency = memoryIdempotency();
    const checked = validateReferral(
      referralSchema(() => now),
      referral(),
      now,
    );
    if (!checked.ok) throw checked.error;
    const dispute = normaliseReferral(checked.value, { clientId: demoClient.id, receivedAt: now });
    // A valid referral always makes a valid event (referral.property.test.ts); to play the bug of a
    // normalisation that breaks the contract, the event is changed past the referral's check.
    const broken = { ...dispute, content: '' };

    await expect(takeIn(broken, { bus, idempotency }, pino({ level: 'silent' }))).rejects.toBeInstanceOf(
      ZodError,
    );
    expect(records).toHaveLength(0);
    // Not left claimed: once the bug is fixed, the referral is written at once, not after 30 s of 503s.
    expect(await idempotency.claim(referralKey(dispute.sourceRef, 1), 1_000)).toEqual({ claimed: true });
  });
});
