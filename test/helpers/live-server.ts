import { afterAll, beforeAll } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import type { TestUser } from './api.ts';
import { startServer, type TestServer } from './server.ts';
import { closeAll, connect, Recorder, type ClientSocket } from './sockets.ts';

/**
 * A server for one test file, started before its tests and stopped after them, with every socket the file
 * opened closed first.
 */
export function useLiveServer(options: Parameters<typeof startServer>[0] = {}) {
  let server: TestServer | undefined;
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    server = await startServer(options);
  });
  afterAll(async () => {
    await closeAll(...open);
    await server?.close();
  });
  const suite = {
    get server(): TestServer {
      if (!server) throw new Error('the server starts in beforeAll');
      return server;
    },
    /** A socket of `user`, closed with the file. */
    async socketFor(user: TestUser): Promise<ClientSocket> {
      const socket = await connect(suite.server.url, user.token);
      open.push(socket);
      return socket;
    },
    /** A connected user with a recorder of their `offer:event` pushes, listening before the connection opens. */
    async live(user: TestUser) {
      let events!: Recorder<OfferEventPublic>;
      const socket = await connect(suite.server.url, user.token, {
        listen: (s) => (events = new Recorder<OfferEventPublic>(s, 'offer:event')),
      });
      open.push(socket);
      return { user, socket, events };
    },
  };
  return suite;
}
