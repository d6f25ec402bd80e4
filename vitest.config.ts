import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/data/**', '.kafka/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,services,standalone,test}/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts'],
          // Vitest leaves a core to itself by default: on CI's 2 cores that is one worker, and the
          // unit files took 108 s in a row instead of 75 s (vitest runs them before the integration files).
          maxWorkers: '100%',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{packages,services,standalone,test}/**/*.int.test.ts'],
          exclude,
          // Integration files share one broker, one PostgreSQL and one Redis on a 2-core machine.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
