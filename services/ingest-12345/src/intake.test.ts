import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { guo, memoryEngine } from '../test/fixtures.ts';
import { revisionKey, takeIn } from './intake.ts';
import { WorkOrder } from './work-order.ts';

const quiet = { warn: () => {} };

describe('takeIn', () => {
  it('an event that does not fit its contract is our bug: it throws (a 500), writes nothing and frees the order', async () => {
    const { bus, written } = memoryEngine({ writeMs: 0 });
    const store = memoryIdempotency();
    // A valid order always makes a valid event (work-order.property.test.ts); to play the bug of a
    // normalisation that breaks the contract, the order is changed past the work-order check:
    // the event's party phone is limited to 30 characters.
    const order = WorkOrder.parse({ ...guo, orderNo: 'GD-BUG-1', caller: { phone: '1'.repeat(20) } });
    const broken = { ...order, caller: { ...order.caller, phone: '1'.repeat(31) } };
    const context = { clientId: 'hotline-a', bus, store, log: quiet };

    await expect(takeIn([broken], context)).rejects.toBeInstanceOf(ZodError);
    expect(written).toHaveLength(0);
    // Not left claimed: once the bug is fixed, the order is written at once, not after 30 s of 503s.
    expect(await store.claim(revisionKey('GD-BUG-1', 1), 1_000)).toEqual({ claimed: true });
  });
});

describe('revisions stored by an earlier release', () => {
  // Guo's order with a second 催办 as the release before revisions moved to service-kit stored it:
  // its key, then its fingerprint and reminder position. Redis keeps them 400 days: a change of
  // key, fingerprint or value format would make every order pushed before it a new revision.
  const reminded = { ...guo, reminder: { count: 2, lastAt: '2024-08-26T10:00:00+08:00' } };
  const stored = 'v1:44F0jVW26ShDxHff_zyGUvvYj_gjNxE1EmduNP0ZJw4 2 1724637600000';

  it('are still read: the same push again is a duplicate, an older 催办 is superseded', async () => {
    const { bus, written } = memoryEngine({ writeMs: 0 });
    const store = memoryIdempotency();
    await store.complete('12345:order:GD20240824001:r1', stored, 60_000);
    const context = { clientId: 'hotline-a', bus, store, log: quiet };

    const [again] = await takeIn([WorkOrder.parse(reminded)], context);
    expect(again).toMatchObject({ status: 202, duplicate: true, revision: 1 });
    const older = { ...reminded, reminder: { count: 1, lastAt: '2024-08-25T10:00:00+08:00' } };
    const [late] = await takeIn([WorkOrder.parse(older)], context);
    expect(late).toMatchObject({ status: 202, duplicate: true, revision: 1, superseded: true });
    expect(written).toHaveLength(0);
  });
});
