import { afterAll, beforeAll } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import { Api, type TestUser } from './api.ts';
import { startServer, type TestServer } from './server.ts';
import { closeAll, connect, Recorder, type ClientSocket } from './sockets.ts';

/**
 * A server for one test file (REST and socket suites alike), started before its tests and stopped after them,
 * with every socket the file opened closed first. A test that needs a server of its own (other settings, a
 * second node) calls `startServer` and closes it itself.
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
    /** A REST client without a token. */
    get api(): Api {
      return new Api(suite.server.url);
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
