import { defineConfig } from 'vitest/config';

// Fault injection: kills nodes, restarts PostgreSQL and Redis (private instances), stalls clients.
// Runs one file at a time, since each file breaks things on purpose.
const reporters = process.env.CI
  ? ['default', ['json', { outputFile: 'test-results/faults.json' }] as const]
  : ['default'];

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: reporters as never,
  },
});
