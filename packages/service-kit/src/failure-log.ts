import { errorReason } from '@huijie/database/error-for-log.ts';
import { isDatabaseUnavailable } from '@huijie/database/unavailable.ts';
import { isBrokerUnavailable } from '@huijie/event-bus/unavailable.ts';
import type { Logger } from './logger.ts';

/** How often something that keeps failing the same way says it still does (with the count of attempts). */
export const failingReminderMs = 60_000;

/** What the log says of something failing: when it starts, while it goes on, when it is over. */
export interface FailureWording {
  started: string;
  still: (attempts: number, failingFor: string) => string;
  recovered: (attempts: number, downFor: string) => string;
}

/**
 * The log of something that is tried again and again while it fails (a background loop's runs, a
 * readiness check's probes): one line when it starts failing, with the reason (and the stack only
 * for an error other than an unreachable database or broker, where it was seen says nothing about
 * why), one line a `reminderMs` while it keeps failing so, and one when it works again. A different
 * failure is logged when it starts.
 */
export function failureLog(options: { logger: Logger; wording: FailureWording; reminderMs?: number }) {
  const { logger, wording } = options;
  const reminderMs = options.reminderMs ?? failingReminderMs;
  let failures = 0;
  let failingSince = 0;
  let lastFailure = '';
  let lastLoggedAt = 0;
  return {
    /** Counts a failure, and logs it when the log should hear of it; `context` goes on the line. */
    failed(error: unknown, context: Record<string, unknown> = {}) {
      failures += 1;
      const now = Date.now();
      if (failures === 1) failingSince = now;
      const away = isDatabaseUnavailable(error) || isBrokerUnavailable(error);
      const reason = errorReason(error);
      // Reasons of an unreachable server differ only in the wording of the driver that saw it.
      const failure = away ? 'unavailable' : reason;
      if (failure !== lastFailure) {
        lastFailure = failure;
        lastLoggedAt = now;
        logger.warn(away ? { reason, ...context } : { err: error, ...context }, wording.started);
      } else if (now - lastLoggedAt >= reminderMs) {
        lastLoggedAt = now;
        logger.warn(
          { reason, attempts: failures, failingForMs: now - failingSince, ...context },
          wording.still(failures, formatSeconds(now - failingSince)),
        );
      }
    },
    /** Ends a run of failures, saying how long it lasted; nothing when there was none. */
    succeeded() {
      if (failures === 0) return;
      const downMs = Date.now() - failingSince;
      logger.info({ attempts: failures, downMs }, wording.recovered(failures, formatSeconds(downMs)));
      failures = 0;
      lastFailure = '';
    },
    /** Failed attempts in a row so far. */
    get failures() {
      return failures;
    },
  };
}

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${seconds < 10 ? seconds.toFixed(1).replace(/\.0$/, '') : Math.round(seconds)}s`;
}
