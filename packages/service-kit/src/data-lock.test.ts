import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from './data-lock.ts';

describe('a data directory held by a live process', () => {
  const dirs: string[] = [];
  /** A data directory whose lock says `content`; the parent of this process is the live holder. */
  const heldAs = (content: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'huijie-lock-unit-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'huijie.lock'), content);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('a refused start names the holder the lock records', () => {
    const dir = heldAs(`${process.ppid} the historical import`);
    expect(() => lockDataDir(dir, 'the platform (npm start)')).toThrow(
      `${dir} is in use by the historical import (pid ${process.ppid}, lock ${join(dir, 'huijie.lock')}); stop it or set DATA_DIR`,
    );
  });

  it('a lock that records only a pid (written by an older version) names no holder', () => {
    const dir = heldAs(String(process.ppid));
    expect(() => lockDataDir(dir, 'the historical import')).toThrow(
      `${dir} is in use by another process (pid ${process.ppid}, lock ${join(dir, 'huijie.lock')}); stop it or set DATA_DIR`,
    );
  });
});

describe('a data directory taken', () => {
  it("is made the owner's alone: no other local user can read or write what the platform keeps there", () => {
    const dir = mkdtempSync(join(tmpdir(), 'huijie-lock-mode-'));
    try {
      // As `mkdir -p data` under the usual umask makes it.
      chmodSync(dir, 0o755);
      lockDataDir(dir, 'the platform (npm start)');
      expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
