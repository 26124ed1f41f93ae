import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons and worker threads do not mix well with the threads pool.
    pool: 'forks',
    testTimeout: 60_000,
  },
});
