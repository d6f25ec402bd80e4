import type { OperatorAccessV1 } from '@huijie/contracts/events/operator-access-v1.ts';
import type { NotifyDb } from '../db/prisma.ts';

/**
 * operator.access.v1 → the operator's account as the delivery routes judge tokens by it. The latest
 * per operator holds: an event older than the one the row holds (delivered again late, a dead
 * letter replayed) changes nothing; one of the same moment is taken (one key's events arrive in the
 * order cases wrote them). Delivered twice, written once: the second writes the same values.
 */
export async function recordOperatorAccess(db: NotifyDb, event: OperatorAccessV1): Promise<void> {
  await db.$executeRaw`
    INSERT INTO notify.operator_access (username, status, role, scope, tokens_valid_from, occurred_at)
    VALUES (${event.username}, ${event.status}, ${event.role}, ${event.scope},
      ${event.tokensValidFrom}::timestamptz, ${event.occurredAt}::timestamptz)
    ON CONFLICT (username) DO UPDATE SET
      status = excluded.status,
      role = excluded.role,
      scope = excluded.scope,
      tokens_valid_from = excluded.tokens_valid_from,
      occurred_at = excluded.occurred_at
    WHERE operator_access.occurred_at <= excluded.occurred_at`;
}
