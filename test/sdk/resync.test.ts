// The SDK's view converges to the server's by itself: after a server restart, a gap in the pushes,
// or an expired token, the client catches up on exactly what it missed, each event once and in order.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PhreshClient, ConnectionState } from 'phresh-live/client';
import type { OfferPublic } from '../../src/contract/schemas.ts';
import { Api, makeCleaning, makeOffers, makeUsers, type TestUser } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { startServer, testEnv, type TestServer } from '../helpers/server.ts';
import { described, freePort, liveClient, recordEvents, statusesOn, until } from './sdk-clients.ts';

const clients: PhreshClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function live(url: string, user: TestUser, options: Parameters<typeof liveClient>[2] = {}) {
  const client = await liveClient(url, user, { reconnectDelayMs: 100, reconnectDelayMaxMs: 500, ...options });
  clients.push(client);
  return client;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const asApi = (url: string, user: TestUser) => new Api(url, user.token);

describe('after the server restarts', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let node: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    env = testEnv(db, { PORT: String(await freePort()) });
    node = await startServerProcess(env);
  });
  afterAll(async () => {
    await node.stop();
    await db.drop();
  });

  /**
   * Stops the server the clients use, makes `changes` through another node on the same database while it is
   * down, then brings it back on the same port: connected clients see an outage with changes they missed.
   */
  async function outage(clientsDown: PhreshClient[], changes: (url: string) => Promise<void>) {
    await node.stop();
    for (const c of clientsDown)
      await until(
        c,
        () => c.connectionState === 'reconnecting',
        () => c.connectionState,
      );
    const side = await startServerProcess(testEnv(db));
    try {
      await changes(side.url);
    } finally {
      await side.stop();
    }
    node = await startServerProcess(env);
  }

  it('resubscribes an owner with `since` and gives it exactly the missed events, in order', async () => {
    const [ownerUser, a, b, c, d] = await makeUsers(node.url, 5);
    const owner = await live(node.url, ownerUser!);
    const cleaning = await owner.createCleaning({ name: 'Windows', price: 40 });
    await owner.subscribe(cleaning.id);
    const events = recordEvents(owner);
    const states: ConnectionState[] = [];
    owner.on('state', (s) => states.push(s));
    const synced: boolean[] = [];
    owner.on('synced', (info) => synced.push(info.reconnected));
    await makeOffers(
      cleaning,
      [a!, b!, c!].map((u) => ({ ...u, api: asApi(node.url, u) })),
    );
    await until(
      owner,
      () => owner.offers(cleaning.id).length === 3,
      () => owner.offers(cleaning.id),
    );

    await outage([owner], async (url) => {
      await asApi(url, ownerUser!).put(`/api/cleanings/${cleaning.id}/offers/${a!.username}/`); // 4 accepted, 5-6 rejected
      await asApi(url, a!).put(`/api/cleanings/${cleaning.id}/offers/`); // 7 cancelled, 8-9 pending
      await asApi(url, c!).delete(`/api/cleanings/${cleaning.id}/offers/`); // 10 rescinded
      await asApi(url, d!).post(`/api/cleanings/${cleaning.id}/offers/`); // 11 created
    });

    const server = (
      await asApi(node.url, ownerUser!).get<OfferPublic[]>(`/api/cleanings/${cleaning.id}/offers/`)
    ).body;
    const expected = Object.fromEntries(server.map((o) => [o.user_id, o.status]));
    expect(expected).toEqual({ [a!.id]: 'cancelled', [b!.id]: 'pending', [d!.id]: 'pending' });
    await until(
      owner,
      () =>
        owner.connectionState === 'live' &&
        JSON.stringify(statusesOn(owner, cleaning.id)) === JSON.stringify(expected),
      () => [owner.connectionState, statusesOn(owner, cleaning.id)],
    );
    expect(events.map((e) => e.seq)).toEqual(range(1, 11));
    expect(states).toEqual(['reconnecting', 'live']);
    expect(synced).toEqual([true]);

    // And pushes flow again on the new connection.
    await asApi(node.url, b!).delete(`/api/cleanings/${cleaning.id}/offers/`);
    await until(
      owner,
      () => events.length === 12,
      () => described(events),
    );
    expect(described(events).at(-1)).toBe(`${cleaning.id}:12:rescinded:${b!.id}`);
    expect(owner.cursor(cleaning.id)).toBe(12);
  });

  it('brings a cleaner’s offers up to date through offers:sync, and finds the ones made elsewhere', async () => {
    const [cleanerUser, rival, ownerX, ownerY, ownerZ, ownerW] = await makeUsers(node.url, 6);
    const [x, y, z, w] = await Promise.all(
      [ownerX, ownerY, ownerZ, ownerW].map((o) => makeCleaning({ ...o!, api: asApi(node.url, o!) })),
    );
    const cleaner = await live(node.url, cleanerUser!);
    await cleaner.loadMyOffers();
    const events = recordEvents(cleaner);
    await cleaner.createOffer(x!.id);
    await makeOffers(x!, [{ ...rival!, api: asApi(node.url, rival!) }]);
    await cleaner.createOffer(y!.id);
    await cleaner.createOffer(w!.id);
    await until(
      cleaner,
      () => cleaner.myOffers().length === 3,
      () => cleaner.myOffers(),
    );

    await outage([cleaner], async (url) => {
      await asApi(url, ownerX!).put(`/api/cleanings/${x!.id}/offers/${rival!.username}/`); // x: 3 accepted, 4 rejected
      await asApi(url, rival!).put(`/api/cleanings/${x!.id}/offers/`); // x: 5 cancelled, 6 pending
      await asApi(url, ownerY!).put(`/api/cleanings/${y!.id}/offers/${cleanerUser!.username}/`); // y: 2 accepted
      await asApi(url, cleanerUser!).post(`/api/cleanings/${z!.id}/offers/`); // z: made on another device
      await asApi(url, ownerW!).delete(`/api/cleanings/${w!.id}/`); // w: gone
    });

    const mine = () => Object.fromEntries(cleaner.myOffers().map((o) => [o.cleaning_id, o.status]));
    const expected = { [x!.id]: 'pending', [y!.id]: 'accepted', [z!.id]: 'pending' };
    await until(
      cleaner,
      () => cleaner.connectionState === 'live' && JSON.stringify(mine()) === JSON.stringify(expected),
      () => [cleaner.connectionState, mine()],
    );
    // The missed events came from offers:sync, once each: the cleaner's own, never the rival's.
    expect(described(events).slice(3)).toEqual([
      `${x!.id}:4:rejected:${cleanerUser!.id}`,
      `${x!.id}:6:pending:${cleanerUser!.id}`,
      `${y!.id}:2:accepted:${cleanerUser!.id}`,
    ]);
    expect(cleaner.myOffers().find((o) => o.cleaning_id === z!.id)?.cleaning?.name).toBe(z!.name);
  });
});

describe('while connected', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('refetches the events it missed when a pushed seq jumps, and applies each of them once', async () => {
    const [ownerUser, a, b, c] = await makeUsers(server.url, 4);
    const owner = await live(server.url, ownerUser!);
    const cleaning = await owner.createCleaning({ name: 'Oven', price: 25 });
    await owner.subscribe(cleaning.id);
    const events = recordEvents(owner);
    await makeOffers(cleaning, [a!]);
    await until(
      owner,
      () => events.length === 1,
      () => described(events),
    );

    // Behind the SDK's back, leave the cleaning's room and come back past two events: the next push jumps.
    const socket = owner.socket!;
    await socket.timeout(5000).emitWithAck('cleaning:unsubscribe', { cleaning_id: cleaning.id });
    await makeOffers(cleaning, [b!]);
    await ownerUser!.api.put(`/api/cleanings/${cleaning.id}/offers/${a!.username}/`); // 3 accepted, 4 rejected
    const rejoined = await socket
      .timeout(5000)
      .emitWithAck('cleaning:subscribe', { cleaning_id: cleaning.id, since: 1_000_000 });
    expect(rejoined).toMatchObject({ ok: true, data: { events: [], seq: 4 } });
    expect(owner.cursor(cleaning.id)).toBe(1);
    await makeOffers(cleaning, [c!]); // 5, pushed

    await until(
      owner,
      () => events.length >= 5,
      () => described(events),
    );
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(statusesOn(owner, cleaning.id)).toEqual({
      [a!.id]: 'accepted',
      [b!.id]: 'rejected',
      [c!.id]: 'pending',
    });
  });
});

describe('when the token expires', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Three-second tokens.
    server = await startServer({ env: { ACCESS_TOKEN_EXPIRE_MINUTES: '0.05' } });
  });
  afterAll(() => server.close());

  it('asks the hook for a fresh token, reconnects with it, and catches up on what happened meanwhile', async () => {
    const [ownerUser, cleanerUser] = await makeUsers(server.url, 2);
    const renewals: string[] = [];
    const owner = await live(server.url, ownerUser!, {
      async renewToken({ detail }) {
        renewals.push(detail);
        // While the owner is disconnected, a cleaner makes an offer.
        if (renewals.length === 1) {
          const login = await new Api(server.url).post('/api/users/login/token/', {
            form: { username: cleanerUser!.email, password: cleanerUser!.password },
          });
          await new Api(server.url, login.body.access_token).post(`/api/cleanings/${cleaning.id}/offers/`);
        }
        const res = await new Api(server.url).post('/api/users/login/token/', {
          form: { username: ownerUser!.email, password: ownerUser!.password },
        });
        return res.body.access_token as string;
      },
    });
    const cleaning = await owner.createCleaning({ name: 'Garage', price: 60 });
    await owner.subscribe(cleaning.id);
    const expired: string[] = [];
    owner.on('session:expired', (p) => expired.push(p.detail));
    const synced: boolean[] = [];
    owner.on('synced', (info) => synced.push(info.reconnected));

    await until(
      owner,
      () => synced.length >= 1 && owner.connectionState === 'live' && owner.offers(cleaning.id).length === 1,
      () => [renewals, synced, owner.connectionState, owner.offers(cleaning.id)],
    );
    expect(expired[0]).toBe('Token expired.');
    expect(renewals[0]).toBe('Token expired.');
    expect(owner.offers(cleaning.id)[0]).toMatchObject({ user_id: cleanerUser!.id, status: 'pending' });
  });

  it('goes offline and says why when no fresh token comes', async () => {
    const [user] = await makeUsers(server.url, 1);
    const client = await live(server.url, user!);
    const expired: string[] = [];
    client.on('session:expired', (p) => expired.push(p.detail));
    const errors: string[] = [];
    client.on('error', (e) => errors.push(`${e.status} ${e.detail}`));
    await until(
      client,
      () => client.connectionState === 'offline',
      () => client.connectionState,
    );
    expect(expired).toEqual(['Token expired.']);
    expect(errors).toEqual(['401 Token expired.']);
  });
});
