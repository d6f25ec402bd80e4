import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from './process.ts';

/**
 * Takes the data directory for this process, before anything opens it: PGlite's database
 * supports one process, and a second `npm start` on the same directory (or the historical import,
 * which writes to its event log) could damage it before failing on a port. The lock is a file
 * holding the pid; a lock whose process died (kill -9, a crash) is taken over, so it never needs
 * removing by hand. Released when the process exits.
 */
export function lockDataDir(dataDir: string): void {
  const lock = join(dataDir, 'huijie.lock');
  // Written aside, then linked into place: linking fails if the lock exists (an exclusive create),
  // and a lock that exists always holds its whole pid, never a half-written one.
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, String(process.pid));
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = pidIn(lock);
      if (holder !== undefined && alive(holder))
        throw new StartupError(
          `${dataDir} is in use by another Huijie (pid ${holder}, lock ${lock}); stop it or set DATA_DIR`,
        );
      // Left by a process that died: take it over (unless another start just replaced it).
      if (pidIn(lock) === holder) rmSync(lock, { force: true });
    }
  } finally {
    rmSync(mine, { force: true });
  }
  process.on('exit', () => {
    if (pidIn(lock) === process.pid) rmSync(lock, { force: true });
  });
}

function pidIn(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
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
