import { defineConfig } from 'vitest/config';
import { socketTransportProjects } from './test/helpers/transport-projects.ts';

// Fault injection: kills nodes, restarts PostgreSQL and Redis (private instances), stalls clients.
// Runs one file at a time, since each file breaks things on purpose.
const reporters = process.env.CI
  ? ['default', ['json', { outputFile: 'test-results/faults.json' }] as const]
  : ['default'];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: reporters as never,
    projects: socketTransportProjects({
      include: ['test/faults/**/*.test.ts'],
      exclude: ['node_modules/**'],
      // The slow consumer stalls the TCP socket under a WebSocket: it has no long-polling counterpart.
      socketSuites: [
        'test/faults/kill-node.test.ts',
        'test/faults/postgres-restart.test.ts',
        'test/faults/redis-restart.test.ts',
      ],
    }),
  },
});
