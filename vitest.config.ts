import { defineConfig } from 'vitest/config';
import { socketTransportProjects } from './test/helpers/transport-projects.ts';

// In CI the JSON report is what .ci/run counts; locally the default reporter is enough.
const reporters = process.env.CI
  ? ['default', ['json', { outputFile: 'test-results/vitest.json' }] as const]
  : ['default'];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: reporters as never,
    projects: socketTransportProjects({
      include: ['test/**/*.test.ts'],
      exclude: ['test/faults/**', 'node_modules/**'],
      // Every file that connects socket.io clients to a server runs a second time on socket.io's default
      // transports; the others run once.
      socketSuites: [
        'test/socket/**/*.test.ts',
        'test/sdk/**/*.test.ts',
        'test/cluster/**/*.test.ts',
        'test/process/**/*.test.ts',
        'test/hardening/auth.test.ts',
        'test/hardening/socket-fuzz.test.ts',
      ],
      // A newcomer's steps (install, seed, start, the README's own examples with their own clients) do not
      // depend on the helpers' transports; a second run would only repeat them, and race on the SDK's build.
      runOnce: [
        'test/process/first-run.test.ts',
        'test/process/production-install.test.ts',
        'test/process/readme-examples.test.ts',
      ],
    }),
  },
});
