// A push service and a server that sends to it, as one test file's fixture. Kept apart from push-service.ts,
// which the benchmark imports outside vitest.
import { afterAll, beforeAll } from 'vitest';
import { startPushService, type PushService } from './push-service.ts';
import { startServer, type TestServer } from './server.ts';

/**
 * A local push service and a server that may send to it, for one test file: both started before its tests and
 * stopped after them.
 */
export function usePushServer() {
  let push: PushService | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    push = await startPushService();
    server = await startServer({ env: push.env() });
  });
  afterAll(async () => {
    await server?.close();
    await push?.close();
  });
  return {
    get push(): PushService {
      if (!push) throw new Error('the push service starts in beforeAll');
      return push;
    },
    get server(): TestServer {
      if (!server) throw new Error('the server starts in beforeAll');
      return server;
    },
  };
}
