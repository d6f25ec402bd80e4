import { failureLog, formatSeconds } from './failure-log.ts';
import type { Logger } from './logger.ts';

export interface WorkLoop {
  /** Asks for a run now (new work was committed): at once if idle, right after the current run if not. */
  poke(): void;
  /** Waits for the run under way, then stops. */
  stop(): Promise<void>;
}

/**
 * The longest wait between attempts of a loop that keeps failing, unless its own interval is
 * longer. The attempts of a loop with a short interval double from it up to this: the outbox relay
 * (200 ms) tries 5 times in its first 3 s of an outage, then every 3 s, 20 times a minute instead
 * of 300, and is back at most 3 s after the database is, as the event consumers are (their
 * handlers' retries of an unreachable database wait at most 3 s too, event-bus runner.ts).
 */
export const maxBackoffMs = 3_000;

/** How long a loop waits before attempt `failures + 1`, after `failures` failed in a row. */
export function backoffDelay(intervalMs: number, failures: number, capMs = maxBackoffMs): number {
  if (failures <= 0) return intervalMs;
  const doubled = intervalMs * 2 ** Math.min(failures - 1, 30);
  // A loop that runs less often than the cap (the SLA sweep, outbox pruning) keeps its interval.
  return Math.max(intervalMs, Math.min(doubled, capMs));
}

/**
 * Runs `work` until stopped: again at once when it says there is more to do now, or when it was
 * poked meanwhile; otherwise after `intervalMs`, or sooner if poked. The background workers that
 * poll the database (outbox relay, statistics folder, SLA sweeper, notification dispatcher) all
 * run so.
 *
 * A run that fails is tried again with backoff: after the interval, then twice as long each time,
 * up to {@link maxBackoffMs}; a poke does not cut the wait short while it fails (each commit during
 * an outage would otherwise be one more attempt). The log gets one line when it starts failing
 * ("<name> failed; retrying with backoff", with the reason, and the stack only for an error other
 * than an unreachable database or broker), one line a minute while it keeps failing so, and one
 * when it works again ("<name> recovered after N failed attempts, Xs"). A different failure is
 * logged when it starts.
 */
export function startWorkLoop(options: {
  name: string;
  logger: Logger;
  intervalMs: number;
  /** Resolves true when more work is ready at once (a full batch). */
  work: () => Promise<boolean>;
  /** The longest wait between failing attempts (default {@link maxBackoffMs}). */
  maxBackoffMs?: number;
  /** How often a loop that keeps failing says so again (default failure-log.ts `failingReminderMs`). */
  reminderMs?: number;
}): WorkLoop {
  const { name } = options;
  const capMs = options.maxBackoffMs ?? maxBackoffMs;
  let stopped = false;
  let poked = false;
  let wake: (() => void) | undefined;
  const log = failureLog({
    logger: options.logger,
    reminderMs: options.reminderMs,
    wording: {
      started: `${name} failed; retrying with backoff (up to every ${formatSeconds(Math.max(capMs, options.intervalMs))})`,
      still: (attempts, failingFor) =>
        `${name} still failing after ${attempts} attempts, ${failingFor}; retrying`,
      recovered: (attempts, downFor) =>
        `${name} recovered after ${attempts} failed ${attempts === 1 ? 'attempt' : 'attempts'}, ${downFor}`,
    },
  });
  const failed = (error: unknown) =>
    log.failed(error, { retryInMs: backoffDelay(options.intervalMs, log.failures + 1, capMs) });

  const loop = (async () => {
    while (!stopped) {
      poked = false;
      let more = false;
      try {
        more = await options.work();
        log.succeeded();
      } catch (error) {
        failed(error);
      }
      if (stopped) break;
      // A failed run waits out its backoff, poked or not.
      if (log.failures === 0 && (more || poked)) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffDelay(options.intervalMs, log.failures, capMs));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();
  return {
    poke() {
      poked = true;
      if (log.failures === 0) wake?.();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
