import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The vitest projects of one suite: `websocket` runs every file with clients on WebSocket alone; `polling`
 * runs the socket suites again on socket.io's default transports (HTTP long-polling first, then the upgrade
 * to WebSocket). The test helpers read the set from `TEST_SOCKET_TRANSPORTS` (see sockets.ts), and the
 * report names each file's project.
 */
export function socketTransportProjects(files: {
  include: string[];
  exclude: string[];
  socketSuites: string[];
  /** Files under `socketSuites` whose clients choose their own transports: they run once. */
  runOnce?: string[];
}): TestProjectInlineConfiguration[] {
  return [
    {
      extends: true,
      test: {
        name: 'websocket',
        include: files.include,
        exclude: files.exclude,
        env: { TEST_SOCKET_TRANSPORTS: 'websocket' },
      },
    },
    {
      extends: true,
      test: {
        name: 'polling',
        include: files.socketSuites,
        exclude: [...files.exclude, ...(files.runOnce ?? [])],
        env: { TEST_SOCKET_TRANSPORTS: 'polling,websocket' },
      },
    },
  ];
}
