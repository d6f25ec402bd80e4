import { parseArgs } from 'node:util';
import { loadDepartmentDirectory } from '@huijie/routing/domain/departments.ts';
import { loadGazetteer } from '@huijie/routing/domain/gazetteer.ts';
import type { CasesDb } from '../db/prisma.ts';
import {
  AccountError,
  addOperator,
  disableOperator,
  enableOperator,
  generatePassword,
  issueApiKey,
  listApiKeys,
  listOperators,
  operatorRoles,
  removeOperator,
  revokeApiKey,
  updateOperator,
} from './accounts.ts';

export const accountsUsage = `usage: npx tsx services/cases/scripts/accounts.ts <command> …

operators (sign in with POST /v1/auth/token):
  add-operator <username> --role=${operatorRoles.join('|')} --scope=<division code> [--password-stdin]
  update-operator <username> [--role=…] [--scope=…] [--password-stdin | --new-password]
                                   the tokens issued before are refused at once (cases and notify)
  disable-operator <username>      every sign-in and every token refused at once (cases and notify)
  enable-operator <username>       sign-ins work again; tokens issued before stay refused
  remove-operator <username>
  list-operators

agency API keys (sent as x-api-key):
  issue-key <department code> [--label=…]
  revoke-key <key id> | revoke-key --label=…
  list-keys
  list-departments [text]           department codes, names and places; those whose code, name or place contains text

A password is read from stdin with --password-stdin (typed unseen on a terminal, or piped), or
generated and printed once. Secrets go to stdout alone; everything else to stderr.`;

export interface AccountsIo {
  db: CasesDb;
  /** The password given with --password-stdin. */
  readPassword: () => Promise<string>;
  /** A secret or a listing: stdout, so that `key=$(… issue-key …)` captures the key alone. */
  out: (line: string) => void;
  /** What happened, for the person: stderr. */
  err: (line: string) => void;
  /**
   * Where `db` came from, for what to do when it cannot be used: PostgreSQL named by DATABASE_URL
   * (the default), or the standalone platform's data directory.
   */
  databaseFrom?: 'DATABASE_URL' | 'DATA_DIR';
}

/** Runs one accounts command; the exit code is 0 done, 1 refused (the reason on `err`), 2 usage. */
export async function runAccountsCommand(argv: string[], io: AccountsIo): Promise<number> {
  // Asked for, the usage is the answer (on stdout, exit 0), not an unknown option; `help` only as
  // the command (a username or a town may be called anything).
  if (argv[0] === 'help' || argv.some((arg) => arg === '--help' || arg === '-h')) {
    io.out(accountsUsage);
    return 0;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const onCommandLine = argv.some((arg) => arg === '--password' || arg.startsWith('--password='));
    io.err(
      onCommandLine
        ? 'a password is never taken on the command line (it would stay in the shell history and show in ps): use --password-stdin'
        : `${(error as Error).message}\n\n${accountsUsage}`,
    );
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, subject, ...extra] = positionals;
  const needsSubject = (what: string) => {
    if (!subject || extra.length > 0) throw new UsageError(`${command} takes one ${what}`);
    return subject;
  };
  try {
    switch (command) {
      case 'add-operator': {
        const username = needsSubject('username');
        if (!values.role || !values.scope) throw new UsageError('add-operator needs --role and --scope');
        const generated = values['password-stdin'] ? undefined : generatePassword();
        const password = generated ?? (await io.readPassword());
        const added = await addOperator(io.db, {
          username,
          role: values.role,
          scope: values.scope,
          password,
        });
        io.err(`operator ${added.username} added: ${added.role} of ${added.scope.code} ${added.scope.name}`);
        if (generated) {
          io.err('their password (shown this once; give it to them privately):');
          io.out(generated);
        }
        return 0;
      }
      case 'update-operator': {
        const username = needsSubject('username');
        if (values['password-stdin'] && values['new-password']) {
          throw new UsageError('--password-stdin or --new-password, not both');
        }
        const generated = values['new-password'] ? generatePassword() : undefined;
        const password = values['password-stdin'] ? await io.readPassword() : generated;
        const updated = await updateOperator(io.db, username, {
          role: values.role,
          scope: values.scope,
          password,
        });
        io.err(
          `operator ${updated.username}: ${updated.role} of ${updated.scope.code} ${updated.scope.name}` +
            `${updated.disabled ? ' (disabled)' : ''}${password ? ', new password set' : ''}` +
            "; the cases API refuses the tokens issued before at once (notify's once a running cases has announced the change, within a second): sign in again",
        );
        if (generated) {
          io.err('their new password (shown this once):');
          io.out(generated);
        }
        return 0;
      }
      case 'disable-operator':
        await disableOperator(io.db, needsSubject('username'));
        io.err(
          `operator ${subject} disabled: every sign-in is refused, and the cases API refuses its tokens at once (notify's once a running cases has announced the change, within a second)`,
        );
        return 0;
      case 'enable-operator':
        await enableOperator(io.db, needsSubject('username'));
        io.err(
          `operator ${subject} enabled: their password works again; the cases API and notify still refuse the tokens issued before (sign in again)`,
        );
        return 0;
      case 'remove-operator':
        await removeOperator(io.db, needsSubject('username'));
        io.err(
          `operator ${subject} removed: the cases API refuses its tokens at once, even if the name is added again (notify's once a running cases has announced the change, within a second)`,
        );
        return 0;
      case 'list-operators': {
        if (subject) throw new UsageError('list-operators takes no argument');
        const operators = await listOperators(io.db);
        io.out(['username', 'role', 'scope', 'scope name', 'state', 'created'].join('\t'));
        for (const o of operators) {
          io.out(
            [
              o.username,
              o.role,
              o.scope.code,
              o.scope.name,
              o.disabled ? 'disabled' : 'active',
              o.createdAt.toISOString(),
            ].join('\t'),
          );
        }
        return 0;
      }
      case 'issue-key': {
        const issued = await issueApiKey(io.db, {
          departmentCode: needsSubject('department code'),
          label: values.label,
        });
        io.err(
          `key ${issued.keyId} issued to ${issued.department.code} ${issued.department.name} (label ${JSON.stringify(issued.label)}).`,
        );
        io.err('The key, shown this once (only its hash is kept); the agency sends it as x-api-key:');
        io.out(issued.key);
        return 0;
      }
      case 'revoke-key': {
        if (extra.length > 0 || (subject && values.label !== undefined) || (!subject && !values.label)) {
          throw new UsageError('revoke-key takes a key id or --label=…');
        }
        const revoked = await revokeApiKey(
          io.db,
          subject ? { keyId: subject } : { label: values.label as string },
        );
        io.err(
          `key ${revoked.keyId} of ${revoked.departmentCode} (label ${JSON.stringify(revoked.label)}) revoked: refused from now on`,
        );
        return 0;
      }
      case 'list-keys': {
        if (subject) throw new UsageError('list-keys takes no argument');
        const keys = await listApiKeys(io.db);
        io.out(['key id', 'department', 'department name', 'label', 'created'].join('\t'));
        for (const key of keys) {
          io.out(
            [
              key.keyId,
              key.department.code,
              key.department.name,
              key.label,
              key.createdAt.toISOString(),
            ].join('\t'),
          );
        }
        return 0;
      }
      case 'list-departments': {
        const text = subject ?? '';
        // By place too: 江山派出所 is a department of 江山镇 whose name does not say 镇.
        const gazetteer = loadGazetteer();
        for (const d of loadDepartmentDirectory().all()) {
          const place = gazetteer.label(d.divisionCode);
          if ([d.code, d.name, place].some((field) => field.includes(text)))
            io.out(`${d.code}\t${d.name}\t${place}`);
        }
        return 0;
      }
      default:
        throw new UsageError(command ? `unknown command ${command}` : 'which command?');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${accountsUsage}`);
      return 2;
    }
    if (error instanceof AccountError) {
      io.err(`refused: ${error.message}`);
      return 1;
    }
    const problem = databaseProblem(error, io.databaseFrom ?? 'DATABASE_URL');
    if (problem) {
      io.err(problem);
      return 1;
    }
    throw error;
  }
}

/**
 * What to do, in one line, when the database cannot be used: Prisma's own error is an excerpt of
 * our source around the call, and names neither the variable to check nor the remedy.
 */
export function databaseProblem(error: unknown, from: 'DATABASE_URL' | 'DATA_DIR'): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  // The cases service creates its tables (its migrations) when it starts.
  if (code === 'P2021')
    return from === 'DATABASE_URL'
      ? 'the database of DATABASE_URL has no cases tables yet: start the cases service on it once (it applies its migrations at start), then run this again'
      : 'the platform data has no cases tables yet: start the platform (npm start) once, stop it, then run this again';
  // P1xxx: the server cannot be reached, the database does not exist, the user is refused…
  if (/^P1\d{3}$/.test(code)) {
    const reason = (error as Error).message.trim().split('\n').at(-1)?.trim();
    return `cannot use the database of ${from}${reason ? ` (${reason})` : ''}: check ${from}${from === 'DATABASE_URL' ? ' and that PostgreSQL is running' : ''}`;
  }
  return undefined;
}

class UsageError extends Error {}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      role: { type: 'string' },
      scope: { type: 'string' },
      label: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'new-password': { type: 'boolean' },
      // No --password=…: a password on the command line lands in shell history and `ps`.
    },
  });
}
