import { defineConfig } from 'vitest/config';

// In CI the JSON report is what .ci/run counts; locally the default reporter is enough.
const reporters = process.env.CI
  ? ['default', ['json', { outputFile: 'test-results/vitest.json' }] as const]
  : ['default'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: reporters as never,
  },
});
