import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['signal/**/*.test.ts', 'web/**/*.test.ts', 'tests/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
