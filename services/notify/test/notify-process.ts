// Notify in a process of its own, for tests that kill it (see `spawnNotify` in harness.ts).
import { type ChildSettings, startNotify, type World } from './harness.ts';

const world = JSON.parse(process.env.NOTIFY_TEST_WORLD ?? '{}') as World;
const settings = JSON.parse(process.env.NOTIFY_TEST_SETTINGS ?? '{}') as ChildSettings;
const notify = await startNotify(world, {
  webhooks: new Map(settings.webhooks),
  schedule: settings.schedule,
  sendTimeoutMs: settings.sendTimeoutMs,
  dispatch: settings.dispatch,
});
process.stdout.write('notify ready\n');
process.once('SIGTERM', () => void notify.close().then(() => process.exit(0)));
