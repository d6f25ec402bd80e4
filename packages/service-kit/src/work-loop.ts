import type { Logger } from './logger.ts';

export interface WorkLoop {
  /** Asks for a run now (new work was committed): at once if idle, right after the current run if not. */
  poke(): void;
  /** Waits for the run under way, then stops. */
  stop(): Promise<void>;
}

/**
 * Runs `work` until stopped: again at once when it says there is more to do now, or when it was
 * poked meanwhile; otherwise after `intervalMs`, or sooner if poked. A failed run is logged as
 * "<name> failed; retrying" and tried again after the interval. The background workers that poll
 * the database (outbox relay, statistics folder, SLA sweeper, notification dispatcher) all run so.
 */
export function startWorkLoop(options: {
  name: string;
  logger: Logger;
  intervalMs: number;
  /** Resolves true when more work is ready at once (a full batch). */
  work: () => Promise<boolean>;
}): WorkLoop {
  let stopped = false;
  let poked = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      poked = false;
      let more = false;
      try {
        more = await options.work();
      } catch (error) {
        options.logger.warn({ err: error }, `${options.name} failed; retrying`);
      }
      if (stopped || more || poked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
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
      wake?.();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
