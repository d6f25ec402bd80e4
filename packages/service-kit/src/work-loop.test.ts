import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { startWorkLoop } from './work-loop.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = createLogger({ service: 'work-loop-test', level: 'silent' });

/** A loop whose runs are counted, each answering with the next of `answers` (then false). */
function counted(answers: (boolean | Error)[], intervalMs = 60_000) {
  const runs: number[] = [];
  const warnings: string[] = [];
  const logger = createLogger(
    { service: 'work-loop-test' },
    { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) },
  );
  const loop = startWorkLoop({
    name: 'test work',
    logger,
    intervalMs,
    work: async () => {
      runs.push(runs.length + 1);
      const answer = answers.shift() ?? false;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  return { loop, runs, warnings };
}

describe('startWorkLoop', () => {
  it('runs at once, again at once while there is more, then waits for the interval', async () => {
    const { loop, runs } = counted([true, true, false]);
    await sleep(50);
    expect(runs).toHaveLength(3);
    await loop.stop();
    expect(runs).toHaveLength(3);
  });

  it('runs again on the interval when idle', async () => {
    const { loop, runs } = counted([], 10);
    await expect.poll(() => runs.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    await loop.stop();
  });

  it('a poke while idle runs at once; a poke during a run runs again right after it', async () => {
    let release: () => void = () => {};
    const runs: string[] = [];
    const loop = startWorkLoop({
      name: 'test work',
      logger: quiet,
      intervalMs: 60_000,
      work: async () => {
        runs.push('run');
        if (runs.length === 2) await new Promise<void>((resolve) => (release = resolve));
        return false;
      },
    });
    await sleep(20);
    expect(runs).toHaveLength(1);
    loop.poke();
    await sleep(20);
    expect(runs).toHaveLength(2);
    // Poked while run 2 is under way: its work may have missed what the poke announced.
    loop.poke();
    release();
    await sleep(20);
    expect(runs).toHaveLength(3);
    await loop.stop();
  });

  it('logs a failed run by name and retries after the interval', async () => {
    const { loop, runs, warnings } = counted([new Error('database away')], 30);
    await sleep(10);
    expect(warnings).toEqual(['test work failed; retrying']);
    expect(runs).toHaveLength(1);
    await expect.poll(() => runs.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    await loop.stop();
  });

  it('stop waits for the run under way and starts no other', async () => {
    let release: () => void = () => {};
    let runs = 0;
    const loop = startWorkLoop({
      name: 'test work',
      logger: quiet,
      intervalMs: 60_000,
      work: async () => {
        runs++;
        await new Promise<void>((resolve) => (release = resolve));
        return true;
      },
    });
    await sleep(20);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(runs).toBe(1);
  });
});
