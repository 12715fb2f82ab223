// The SDK's default transports behind a network that refuses WebSocket upgrades: it falls back to HTTP
// long-polling by itself, and everything works as on WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhreshClient } from 'phresh-live/client';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import {
  startWebSocketBlockingProxy,
  type WebSocketBlockingProxy,
} from '../helpers/websocket-blocking-proxy.ts';
import { described, recordEvents, statusesOn, until } from './sdk-clients.ts';

let server: TestServer;
let proxy: WebSocketBlockingProxy;
const clients: PhreshClient[] = [];

beforeAll(async () => {
  server = await startServer();
  proxy = await startWebSocketBlockingProxy(server.url);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await proxy?.close();
  await server?.close();
});

describe('the SDK behind a proxy that refuses WebSocket', () => {
  it('falls back to long-polling with its default transports, and gets its pushes once and in order', async () => {
    const [ownerUser, cleanerUser] = [await makeUser(server.url), await makeUser(server.url)];
    const cleaning = await makeCleaning(ownerUser);
    const connectVia = async (user: typeof ownerUser) => {
      const client = new PhreshClient({ url: proxy.url, ackTimeoutMs: 10_000 });
      clients.push(client);
      await client.login(user.email, user.password);
      await client.connect();
      return client;
    };
    const owner = await connectVia(ownerUser);
    const cleaner = await connectVia(cleanerUser);
    expect(owner.socket?.io.engine.transport.name).toBe('polling');
    expect(cleaner.socket?.io.engine.transport.name).toBe('polling');
    expect(proxy.stats.refusedUpgrades).toBeGreaterThanOrEqual(2);

    const ownerEvents = recordEvents(owner);
    await owner.subscribe(cleaning.id);
    await cleaner.createOffer(cleaning.id);
    await owner.acceptOffer(cleaning.id, cleanerUser.username);
    await cleaner.cancelOffer(cleaning.id);
    await until(
      owner,
      () => ownerEvents.length >= 3,
      () => ownerEvents,
    );
    expect(described(ownerEvents)).toEqual([
      `${cleaning.id}:1:created:${cleanerUser.id}`,
      `${cleaning.id}:2:accepted:${cleanerUser.id}`,
      `${cleaning.id}:3:cancelled:${cleanerUser.id}`,
    ]);
    expect(statusesOn(owner, cleaning.id)).toEqual({ [cleanerUser.id]: 'cancelled' });
  });
});
