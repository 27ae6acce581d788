import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['signal/**/*.test.ts', 'web/**/*.test.ts', 'tests/**/*.test.ts'],
    pool: 'forks',
    // Most server suites wait on real processes and timers (Redis, coturn, liveness): they overlap well
    // even on two cores.
    maxWorkers: 4,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
