import { chmodSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from './process.ts';

/** Who may hold a data directory, as a start it refuses names it. */
export type DataDirHolder =
  | 'the platform (npm start)'
  | 'the historical import'
  | 'the accounts command'
  | 'the dead-letters command';

/**
 * Takes the data directory for this process, before anything opens it: PGlite's database
 * supports one process, and a second `npm start` on the same directory (or the historical import,
 * which writes to its event log) could damage it before failing on a port. The lock is a file
 * holding the pid and its holder (`4242 the historical import`), so a refused start can say what
 * to stop; a lock whose process died (kill -9, a crash) is taken over, so it never needs removing
 * by hand. Released when the process exits.
 */
export function lockDataDir(dataDir: string, holder: DataDirHolder): void {
  // The owner's alone: the embedded database writes its first files (initdb's, the WAL with every
  // caller's phone and name and the operators' password hashes) readable and writable by anyone,
  // and a directory made under umask 022 lets any local user in to read them, or corrupt them.
  chmodSync(dataDir, 0o700);
  const lock = join(dataDir, 'huijie.lock');
  // Written aside, then linked into place: linking fails if the lock exists (an exclusive create),
  // and a lock that exists always holds its whole content, never a half-written one.
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, `${process.pid} ${holder}`);
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = readLock(lock);
      if (held.pid !== undefined && alive(held.pid))
        // A lock written before locks named their holder (only a pid): who holds it is not known.
        throw new StartupError(
          `${dataDir} is in use by ${held.holder ?? 'another process'} (pid ${held.pid}, lock ${lock}); stop it or set DATA_DIR`,
        );
      // Left by a process that died: take it over (unless another start just replaced it).
      if (readLock(lock).pid === held.pid) rmSync(lock, { force: true });
    }
  } finally {
    rmSync(mine, { force: true });
  }
  process.on('exit', () => {
    if (readLock(lock).pid === process.pid) rmSync(lock, { force: true });
  });
}

function readLock(lock: string): { pid?: number; holder?: string } {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch {
    return {};
  }
  const [, digits, holder] = /^(\d+)(?: (.+))?$/.exec(text.trim()) ?? [];
  const pid = Number(digits);
  if (!Number.isSafeInteger(pid) || pid <= 0) return {};
  return holder ? { pid, holder } : { pid };
}

function alive(pid: number): boolean {
  // Our own pid in the lock is a previous life of this container's process (pids restart at 1).
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    // EPERM: it exists, run by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
