/**
 * Operators and agency API keys of the cases API: who may sign in, and which departments' keys work.
 *
 *   DATABASE_URL=postgres://… npx tsx services/cases/scripts/accounts.ts <command> …
 *   npx tsx services/cases/scripts/accounts.ts <command> …     (standalone: DATA_DIR, default ./data;
 *                                                             stop the platform first)
 *   docker compose exec cases node --import tsx services/cases/scripts/accounts.ts <command> …
 *
 * Commands (`accountsUsage` in src/accounts/accounts-command.ts; the rules in src/accounts/accounts.ts):
 *   add-operator <username> --role=operator|leader|admin --scope=<division code> [--password-stdin]
 *   update-operator <username> [--role=…] [--scope=…] [--password-stdin | --new-password]
 *   disable-operator | enable-operator | remove-operator <username>;  list-operators
 *   issue-key <department code> [--label=…];  revoke-key <key id> | --label=…;  list-keys
 *   list-departments [text]      by code, name or place (江山镇 lists 江山派出所 too)
 *
 * A password comes from stdin (`--password-stdin`: typed unseen on a terminal, or piped) or is
 * generated and printed once; never from an argument, which would stay in the shell history and
 * show in `ps`. A new API key is printed once and only its SHA-256 stored. Secrets are the only
 * thing on stdout (`key=$(… issue-key …)`); messages go to stderr. Exit code 0 done, 1 refused
 * (unknown department or scope, existing username…), 2 usage.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commonEnv, parseConfig } from '@huijie/service-kit/config.ts';
import { lockDataDir } from '@huijie/service-kit/data-lock.ts';
import { z } from 'zod';
import { runAccountsCommand } from '../src/accounts/accounts-command.ts';
import { openCasesDb } from './open-cases-db.ts';

const config = parseConfig(
  z.object({ DATABASE_URL: commonEnv.DATABASE_URL.optional(), DATA_DIR: z.string().default('data') }),
  Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')),
);

/** The first line of stdin: piped, or typed on a terminal without echo. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += chunk;
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write('password (not shown): ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: string) => {
        for (const char of chunk) {
          if (char === '\r' || char === '\n' || char === '\u0004') {
            stdin.off('data', onData);
            process.stderr.write('\n');
            resolve(typed);
            return;
          }
          if (char === '\u0003') {
            stdin.off('data', onData);
            process.stderr.write('\n');
            reject(new Error('cancelled'));
            return;
          }
          typed = char === '\u007f' || char === '\b' ? [...typed].slice(0, -1).join('') : typed + char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}

if (!config.DATABASE_URL) {
  if (!existsSync(join(config.DATA_DIR, 'pglite'))) {
    console.error(
      `no platform data in ${config.DATA_DIR}: start the platform (npm start) once, or set DATABASE_URL`,
    );
    process.exit(1);
  }
  // The embedded database is one process's: refuse while the platform runs, instead of damaging it.
  try {
    lockDataDir(config.DATA_DIR, 'the accounts command');
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
const { db, close } = await openCasesDb(config);

try {
  process.exitCode = await runAccountsCommand(process.argv.slice(2), {
    db,
    readPassword,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    databaseFrom: config.DATABASE_URL ? 'DATABASE_URL' : 'DATA_DIR',
  });
} catch (error) {
  console.error(`accounts: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await close();
}
