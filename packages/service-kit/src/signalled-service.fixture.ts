/**
 * A service for process.test.ts to signal: `serve` with one app whose stop takes 800 ms (SIGNALLED_DRAIN_MS). Prints
 * `listening` once its port is bound and `drained` once its stop has run to the end. With
 * SIGNALLED_CONSUMER=joining it has a consumer that never joins its group (a group waiting for a
 * killed member), so `serve` waits for it. SIGNALLED_LOG_LEVEL=info has it log (JSON lines on stdout).
 */
import { consumes, createServiceApp } from './http-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { serve } from './process.ts';

const logger = createLogger({ service: 'signalled', level: process.env.SIGNALLED_LOG_LEVEL ?? 'silent' });
const app = createServiceApp({ logger, metrics: createMetrics('signalled'), readiness: {} });
const drainMs = Number(process.env.SIGNALLED_DRAIN_MS ?? 800);
app.addHook('preClose', () => new Promise<void>((resolve) => setTimeout(resolve, drainMs)));
app.addHook('onListen', () => {
  process.stdout.write('listening\n');
});
if (process.env.SIGNALLED_CONSUMER === 'joining') consumes(app, () => new Promise(() => {}));
await serve([{ name: 'signalled', app, port: 0 }], {
  host: '127.0.0.1',
  logger,
  cleanup: async () => {
    process.stdout.write('drained\n');
  },
});
