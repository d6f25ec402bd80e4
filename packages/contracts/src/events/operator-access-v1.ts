import { z } from 'zod';
import { instant } from '../vocabulary.ts';

export const OperatorAccountStatus = z
  .enum(['active', 'disabled', 'removed'])
  .describe(
    '`active` (may sign in), `disabled` (every sign-in refused; enable-operator may make it active again), `removed` (the account no longer exists; added again under the same name, it is announced `active` with a later `tokensValidFrom`).',
  );
export type OperatorAccountStatus = z.infer<typeof OperatorAccountStatus>;

/**
 * An operator's account as it is now, after a change made through the accounts command (added,
 * disabled, enabled, given a new password, role or scope, removed), or as it stood when cases
 * first announced its operators. Published by cases through its outbox, keyed by the username;
 * notify keeps the latest per operator and refuses a token by the rule cases applies
 * (packages/service-kit/src/auth-token.ts `tokenRefusal`), so a disabled leaver's token stops
 * reading deliveries at once, not 8 h later. Nothing secret: no password or its hash.
 *
 * `role` and `scope` are strings as cases holds them, not enums: an event the relay could not
 * publish (a row edited by hand) would hold back every event behind it in cases' outbox.
 */
export const OperatorAccessV1 = z.object({
  username: z.string().describe("The operator's username: the `sub` of their tokens."),
  status: OperatorAccountStatus,
  role: z
    .string()
    .describe(
      "The operator's role: `operator`, `leader` or `admin`. A token naming another is refused (sign in again). For a removed account, the role it had.",
    ),
  scope: z
    .string()
    .describe(
      "The operator's jurisdiction, a division code: the city (350800), a county (350802) or a town (350802107). A token naming another is refused. For a removed account, the scope it had.",
    ),
  tokensValidFrom: instant(
    'Tokens issued before it (their `iat`, compared to the second) are refused: moved by every change of the account, so that no token outlives a disable, a password reset or a new role or scope, nor comes back with enable-operator.',
  ),
  occurredAt: instant(
    'When the account became as this event says. Of two events of one operator, the one with the later `occurredAt` holds: one delivered late changes nothing.',
  ),
});
export type OperatorAccessV1 = z.infer<typeof OperatorAccessV1>;
