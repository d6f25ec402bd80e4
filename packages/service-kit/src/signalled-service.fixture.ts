/**
 * A service for process.test.ts to signal: `serve` with one app whose stop takes 800 ms. Prints
 * `listening` once served and `drained` once its stop has run to the end.
 */
import { createServiceApp } from './http-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { serve } from './process.ts';

const logger = createLogger({ service: 'signalled', level: 'silent' });
const app = createServiceApp({ logger, metrics: createMetrics('signalled'), readiness: {} });
app.addHook('preClose', () => new Promise<void>((resolve) => setTimeout(resolve, 800)));
await serve([{ name: 'signalled', app, port: 0 }], {
  host: '127.0.0.1',
  logger,
  cleanup: async () => {
    process.stdout.write('drained\n');
  },
});
process.stdout.write('listening\n');
