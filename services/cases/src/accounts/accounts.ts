import { randomBytes } from 'node:crypto';
import { topics } from '@huijie/contracts/topics.ts';
import { loadDepartmentDirectory } from '@huijie/routing/domain/departments.ts';
import { hashPassword, type OperatorAccount, type OperatorClaims } from '@huijie/service-kit/auth-token.ts';
import type { CasesDb } from '../db/prisma.ts';
import { type Division, jurisdictions } from '../domain/divisions.ts';
import { hashApiKey } from '../http/actor.ts';
import { appendOutbox, type Tx } from '../outbox/outbox.ts';

/**
 * Who may use the cases API: operators (username, password, role, jurisdiction) and partner
 * agencies' API keys (one department each). What `scripts/accounts.ts` does, as functions.
 */

/** A refusal the person running the command can act on: printed as is, never a stack. */
export class AccountError extends Error {
  override name = 'AccountError';
}

export const operatorRoles = [
  'operator',
  'leader',
  'admin',
] as const satisfies readonly OperatorClaims['role'][];
export type OperatorRole = (typeof operatorRoles)[number];

/**
 * A disabled operator keeps their row (role, scope, who they were) but their hash is prefixed with
 * `!`, as `passwd -l` locks a Unix account: `checkPassword` reads it as an unknown scheme and every
 * sign-in fails, and `enableOperator` gives the same password back. No migration, and sign-in has
 * no second path to forget.
 */
export const disabledMark = '!';

/** An operator's row as the token rule (`tokenRefusal`) and `operator.access.v1` read it: no hash. */
export function accountOf(row: {
  passwordHash: string;
  role: string;
  scopeCode: string;
  tokensValidFrom: Date;
}): OperatorAccount {
  return {
    status: row.passwordHash.startsWith(disabledMark) ? 'disabled' : 'active',
    role: row.role,
    scope: row.scopeCode,
    tokensValidFrom: row.tokensValidFrom,
  };
}

/**
 * Announces the operator's account as it is after a change (`operator.access.v1`), in the
 * transaction of the change: notify, which takes the operators' tokens too but cannot read this
 * table, refuses them by it as the cases API does. The relay publishes it (a running cases, within
 * its poll: the accounts command is another process).
 */
async function announceAccount(tx: Tx, username: string, account: OperatorAccount) {
  // Stamped by the database, after the change took the operator's row: notify keeps the latest
  // stamp, and the accounts command runs on any admin's machine, whose clock may be behind the one
  // that made the change before (a disable stamped earlier than the reset before it was ignored).
  const [{ at }] = (await tx.$queryRaw`SELECT clock_timestamp() AS at`) as [{ at: Date }];
  await appendOutbox(tx, {
    name: topics.operatorAccess,
    key: username,
    data: {
      username,
      status: account.status,
      role: account.role,
      scope: account.scope,
      tokensValidFrom: account.tokensValidFrom.toISOString(),
      occurredAt: at.toISOString(),
    },
  });
}

/**
 * The operator's `tokensValidFrom` for a change made now: the cases API (http/auth.ts) and notify
 * (once announced) refuse every token issued before it. Set by each change of who may hold the
 * operator's tokens or what they may do — created, disabled, enabled, a new password, role or
 * scope — so that no token outlives the change: one from before a disable does not come back with
 * enable-operator, one from before a password reset stops at the reset, a removed operator added
 * again does not revive the old tokens. This process's clock, as the tokens' `iat` is cases' (the command runs with cases' code).
 */
const tokensValidFromNow = () => new Date();

/** Passwords chosen by people: long enough that the sign-in limits (50 per username per 15 min) make guessing hopeless. */
export const minPasswordLength = 12;
const usernamePattern = /^[\p{L}\p{N}._@-]{1,100}$/u;

function scopeNamed(code: string, divisions: Map<string, Division>): Division {
  const division = divisions.get(code);
  if (!division) {
    throw new AccountError(
      `unknown scope ${JSON.stringify(code)}: a division code of the city (6 digits, e.g. 350800), a county (350802 新罗区) or a town (9 digits, 350802107 江山镇)`,
    );
  }
  return division;
}

function checkRole(role: string): OperatorRole {
  if (!(operatorRoles as readonly string[]).includes(role)) {
    throw new AccountError(`unknown role ${JSON.stringify(role)}: one of ${operatorRoles.join(', ')}`);
  }
  return role as OperatorRole;
}

function checkPasswordStrength(password: string): void {
  if ([...password].length < minPasswordLength) {
    throw new AccountError(`the password is too short: at least ${minPasswordLength} characters`);
  }
  if (password.length > 1024) throw new AccountError('the password is too long: 1024 characters at most');
}

/** A password for someone to change later: 128 random bits, in characters that survive copying. */
export function generatePassword(): string {
  return randomBytes(16).toString('base64url');
}

export interface OperatorInput {
  username: string;
  role: string;
  scope: string;
  password: string;
}

/** Creates an operator; refuses an existing username (use `updateOperator`). */
export async function addOperator(db: CasesDb, input: OperatorInput, divisions = jurisdictions()) {
  if (!usernamePattern.test(input.username)) {
    throw new AccountError(
      'a username is 1 to 100 letters, digits, ".", "_", "@" or "-" (no spaces): it is typed at every sign-in',
    );
  }
  const role = checkRole(input.role);
  const scope = scopeNamed(input.scope, divisions);
  checkPasswordStrength(input.password);
  const passwordHash = await hashPassword(input.password);
  try {
    await db.$transaction(async (tx) => {
      const created = await tx.operator.create({
        data: {
          username: input.username,
          passwordHash,
          role,
          scopeCode: scope.code,
          tokensValidFrom: tokensValidFromNow(),
        },
      });
      await announceAccount(tx, created.username, accountOf(created));
    });
  } catch (error) {
    // The primary key decides, not a lookup before the insert: two admins adding one name at once.
    if ((error as { code?: string }).code === 'P2002') {
      throw new AccountError(`operator ${input.username} already exists: use update-operator to change them`);
    }
    throw error;
  }
  return { username: input.username, role, scope };
}

/**
 * Changes an existing operator's role, scope or password; a new password also enables them again.
 * Every token issued before is refused from now on (a reset after a compromise cuts the intruder's).
 */
export async function updateOperator(
  db: CasesDb,
  username: string,
  changes: { role?: string; scope?: string; password?: string },
  divisions = jurisdictions(),
) {
  const role = changes.role === undefined ? undefined : checkRole(changes.role);
  const scope = changes.scope === undefined ? undefined : scopeNamed(changes.scope, divisions);
  if (changes.password !== undefined) checkPasswordStrength(changes.password);
  if (role === undefined && scope === undefined && changes.password === undefined) {
    throw new AccountError('nothing to change: give --role, --scope or a new password');
  }
  const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
  await db.$transaction(async (tx) => {
    const { count } = await tx.operator.updateMany({
      where: { username },
      data: { role, scopeCode: scope?.code, passwordHash, tokensValidFrom: tokensValidFromNow() },
    });
    if (count === 0) throw new AccountError(`no operator ${username}`);
    const updated = await tx.operator.findUniqueOrThrow({ where: { username } });
    await announceAccount(tx, username, accountOf(updated));
  });
  return listOperator(db, username, divisions);
}

async function listOperator(db: CasesDb, username: string, divisions: Map<string, Division>) {
  const [found] = (await listOperators(db, divisions)).filter((operator) => operator.username === username);
  if (!found) throw new AccountError(`no operator ${username}`);
  return found;
}

/**
 * Refuses every sign-in of the operator from now on, and every token issued before (the cases API
 * at once, notify once it has the announcement), even once enabled again.
 */
export async function disableOperator(db: CasesDb, username: string): Promise<void> {
  await changeLock(db, username, (hash) => (hash.startsWith(disabledMark) ? undefined : disabledMark + hash));
}

/** Lets a disabled operator sign in again with the password they had; tokens from before stay refused. */
export async function enableOperator(db: CasesDb, username: string): Promise<void> {
  await changeLock(db, username, (hash) =>
    hash.startsWith(disabledMark) ? hash.slice(disabledMark.length) : undefined,
  );
}

/** Disables or enables: the hash `lock` makes of the current one, or nothing when it is so already. */
async function changeLock(db: CasesDb, username: string, lock: (hash: string) => string | undefined) {
  await db.$transaction(async (tx) => {
    const operator = await tx.operator.findUnique({ where: { username } });
    if (!operator) throw new AccountError(`no operator ${username}`);
    const passwordHash = lock(operator.passwordHash);
    if (passwordHash === undefined) return;
    const tokensValidFrom = tokensValidFromNow();
    // Conditional on the hash read: a password changed meanwhile is not overwritten with the old one.
    const { count } = await tx.operator.updateMany({
      where: { username, passwordHash: operator.passwordHash },
      data: { passwordHash, tokensValidFrom },
    });
    if (count === 0) return;
    // As the row is now, ours to read till the commit: a role or scope changed between the read
    // above and the update is announced with it, not as it was read.
    const changed = await tx.operator.findUniqueOrThrow({ where: { username } });
    await announceAccount(tx, username, accountOf(changed));
  });
}

/** Deletes the operator; announced `removed`, with the role and scope they had. */
export async function removeOperator(db: CasesDb, username: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const removed = await tx.operator.delete({ where: { username } }).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'P2025') throw new AccountError(`no operator ${username}`);
      throw error;
    });
    await announceAccount(tx, username, { ...accountOf(removed), status: 'removed' });
  });
}

/** Every operator, without their password hashes. */
export async function listOperators(db: CasesDb, divisions = jurisdictions()) {
  const rows = await db.operator.findMany({ orderBy: { username: 'asc' } });
  return rows.map((row) => ({
    username: row.username,
    role: row.role,
    scope: { code: row.scopeCode, name: divisions.get(row.scopeCode)?.name ?? '(not a known division)' },
    disabled: row.passwordHash.startsWith(disabledMark),
    createdAt: row.createdAt,
  }));
}

// ── agency API keys ────────────────────────────────────────────────────────────────────────

/**
 * A key's short id: the start of its stored hash, so it names the key in lists and revocations
 * without the key itself, and the holder of a key can find it (`sha256sum`).
 */
export const keyIdLength = 12;
const keyIdOf = (keyHash: string) => keyHash.slice(0, keyIdLength);

/** 256 random bits (test/security/README.md asks for 128 at least: keys are stored as unsalted SHA-256). */
export function newApiKey(): string {
  return `hj_${randomBytes(32).toString('base64url')}`;
}

export interface IssuedKey {
  /** The key itself: shown once, never stored. */
  key: string;
  keyId: string;
  department: { code: string; name: string };
  label: string;
}

/** A new key for a department of routing's directory; only its hash is kept. */
export async function issueApiKey(
  db: CasesDb,
  input: { departmentCode: string; label?: string | undefined },
  departments = loadDepartmentDirectory(),
): Promise<IssuedKey> {
  const department = departments.get(input.departmentCode);
  if (!department) {
    throw new AccountError(
      `unknown department ${JSON.stringify(input.departmentCode)}: a code of routing's department directory (services/routing/data/departments-350800.json), e.g. 350802107-judicial_office (江山镇司法所)`,
    );
  }
  const label = input.label?.trim() || department.name;
  if (label.length > 200) throw new AccountError('the label is too long: 200 characters at most');
  const key = newApiKey();
  const keyHash = hashApiKey(key);
  await db.agencyKey.create({ data: { keyHash, departmentCode: department.code, label } });
  return {
    key,
    keyId: keyIdOf(keyHash),
    department: { code: department.code, name: department.name },
    label,
  };
}

/** Every key, without anything that would let one be used: its short id, department and label. */
export async function listApiKeys(db: CasesDb, departments = loadDepartmentDirectory()) {
  const rows = await db.agencyKey.findMany({ orderBy: [{ departmentCode: 'asc' }, { createdAt: 'asc' }] });
  return rows.map((row) => ({
    keyId: keyIdOf(row.keyHash),
    department: {
      code: row.departmentCode,
      name: departments.get(row.departmentCode)?.name ?? '(not in the directory)',
    },
    label: row.label,
    createdAt: row.createdAt,
  }));
}

/**
 * Revokes one key, named by its id (or a longer start of its hash, at least 8 characters) or by its
 * label. A name that fits several keys revokes none and lists them: revoking a department's every
 * key by a shared label would cut off the ones meant to stay.
 */
export async function revokeApiKey(
  db: CasesDb,
  which: { keyId: string } | { label: string },
): Promise<{ keyId: string; departmentCode: string; label: string }> {
  let matches: { keyHash: string; departmentCode: string; label: string }[];
  if ('keyId' in which) {
    const prefix = which.keyId.trim().toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(prefix)) {
      throw new AccountError('a key id is 8 to 64 hex characters, as list-keys shows it');
    }
    matches = await db.agencyKey.findMany({ where: { keyHash: { startsWith: prefix } } });
  } else {
    matches = await db.agencyKey.findMany({ where: { label: which.label } });
  }
  const named = 'keyId' in which ? `id ${which.keyId}` : `label ${JSON.stringify(which.label)}`;
  if (matches.length === 0) throw new AccountError(`no key with ${named}`);
  if (matches.length > 1) {
    const ids = matches.map((match) => `${keyIdOf(match.keyHash)} (${match.departmentCode})`).join(', ');
    throw new AccountError(`${matches.length} keys have ${named}: ${ids}; revoke one by its id`);
  }
  const [match] = matches as [(typeof matches)[number]];
  await db.agencyKey.deleteMany({ where: { keyHash: match.keyHash } });
  return { keyId: keyIdOf(match.keyHash), departmentCode: match.departmentCode, label: match.label };
}
