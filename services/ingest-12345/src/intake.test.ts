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
