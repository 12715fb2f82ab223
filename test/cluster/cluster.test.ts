// Two and three real server processes behind one PostgreSQL and one Redis, with clients spread over them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferEventPublic } from '../../src/contract/schemas.ts';
import type { EventsSince } from '../../src/contract/socket-events.ts';
import { makeCleaning, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { canRunCluster } from '../helpers/services.ts';
import { closeAll, connect, ok, Recorder, type ClientSocket } from '../helpers/sockets.ts';

let cluster: Cluster;
const open: ClientSocket[] = [];

beforeAll(async () => {
  if (!canRunCluster) return;
  cluster = await startCluster(3);
});
afterAll(async () => {
  await closeAll(...open);
  await cluster?.close();
});

const node = (i: number) => cluster.nodes[i % cluster.nodes.length]!.url;

async function liveOn(i: number, user: TestUser) {
  const socket = await connect(node(i), user.token);
  open.push(socket);
  return { user, socket, events: new Recorder<OfferEventPublic>(socket, 'offer:event') };
}

describe.runIf(canRunCluster)('several nodes', () => {
  it('delivers every push across nodes: commands on one node reach subscribers on the others', async () => {
    const owner = await makeUser(node(0));
    const cleaning: CleaningPublic = await makeCleaning(owner);
    const ownerOnB = await liveOn(1, owner);
    await ok(ownerOnB.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    const cleaners = await Promise.all((await makeUsers(node(0), 6)).map((u, i) => liveOn(i, u)));
    // Each cleaner offers through a node other than the one its socket is on.
    for (const [i, c] of cleaners.entries()) {
      const res = await fetch(`${node(i + 1)}/api/cleanings/${cleaning.id}/offers/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${c.user.token}` },
      });
      expect(res.status).toBe(201);
    }
    await ok(ownerOnB.socket, 'offer:accept', {
      cleaning_id: cleaning.id,
      username: cleaners[2]!.user.username,
    });
    await ownerOnB.events.waitFor(12);
    expect(ownerOnB.events.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const c of cleaners) {
      await c.events.waitFor(2);
      expect(c.events.items.map((e) => e.type)).toEqual([
        'created',
        c === cleaners[2] ? 'accepted' : 'rejected',
      ]);
    }
  });

  it('pushes to all of a user’s sockets on all nodes', async () => {
    const owner = await makeUser(node(0));
    const cleaner = await makeUser(node(1));
    const devices = await Promise.all([0, 1, 2].map((i) => liveOn(i, cleaner)));
    const cleaning = await makeCleaning(owner);
    await cleaner.api.post(`/api/cleanings/${cleaning.id}/offers/`);
    for (const d of devices) {
      await d.events.waitFor(1);
      expect(d.events.items.map((e) => e.type)).toEqual(['created']);
    }
  });

  it('replays on another node what was missed on the first', async () => {
    const owner = await makeUser(node(0));
    const cleaners = await makeUsers(node(0), 3);
    const cleaning = await makeCleaning(owner);
    const onA = await liveOn(0, owner);
    await ok(onA.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    await cleaners[0]!.api.post(`/api/cleanings/${cleaning.id}/offers/`);
    await onA.events.waitFor(1);
    await closeAll(onA.socket);
    for (const c of cleaners.slice(1))
      await fetch(`${node(2)}/api/cleanings/${cleaning.id}/offers/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${c.token}` },
      });
    const onB = await liveOn(1, owner);
    const replay = (await ok(onB.socket, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
      since: 1,
    })) as EventsSince;
    expect(replay.events.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('pushes the job board across nodes', async () => {
    const watchers = await Promise.all([0, 1, 2].map(async (i) => liveOn(i, await makeUser(node(i)))));
    const got = watchers.map(
      (w) => new Promise<CleaningPublic>((resolve) => w.socket.once('cleaning:created', resolve)),
    );
    for (const w of watchers) await ok(w.socket, 'feed:subscribe', {});
    const owner = await makeUser(node(1));
    const cleaning = await makeCleaning(owner, { name: 'cross-node job' });
    for (const c of await Promise.all(got))
      expect(c).toMatchObject({ id: cleaning.id, name: 'cross-node job' });
  });

  it('disconnects a deactivated user’s sockets on every node', async () => {
    const user = await makeUser(node(0));
    const devices = await Promise.all([0, 1, 2].map((i) => liveOn(i, user)));
    const gone = devices.map((d) => new Promise<string>((resolve) => d.socket.once('disconnect', resolve)));
    const res = await fetch(`${node(2)}/api/users/${user.username}/deactivate/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(res.status).toBe(200);
    expect(await Promise.all(gone)).toEqual([
      'io server disconnect',
      'io server disconnect',
      'io server disconnect',
    ]);
  });
});

describe.runIf(canRunCluster)('two nodes', () => {
  it('act as one for a cleaner on one node and an owner on the other', async () => {
    const pair = await startCluster(2);
    try {
      const [a, b] = pair.nodes.map((n) => n.url) as [string, string];
      const owner = await makeUser(a);
      const cleaner = await makeUser(b);
      const ownerSocket = await connect(a, owner.token);
      const cleanerSocket = await connect(b, cleaner.token);
      const ownerEvents = new Recorder<OfferEventPublic>(ownerSocket, 'offer:event');
      const cleanerEvents = new Recorder<OfferEventPublic>(cleanerSocket, 'offer:event');
      const cleaning = await makeCleaning(owner);
      await ok(ownerSocket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
      await ok(cleanerSocket, 'offer:create', { cleaning_id: cleaning.id });
      await ok(ownerSocket, 'offer:accept', { cleaning_id: cleaning.id, username: cleaner.username });
      await ok(cleanerSocket, 'offer:cancel', { cleaning_id: cleaning.id });
      expect((await ownerEvents.waitFor(3)).map((e) => e.type)).toEqual(['created', 'accepted', 'cancelled']);
      expect((await cleanerEvents.waitFor(3)).map((e) => e.type)).toEqual([
        'created',
        'accepted',
        'cancelled',
      ]);
      await closeAll(ownerSocket, cleanerSocket);
    } finally {
      await pair.close();
    }
  });

  it('share the login rate limit, so that spreading attempts over nodes does not multiply it', async () => {
    const pair = await startCluster(2, { LOGIN_RATE_LIMIT: '5', LOGIN_RATE_WINDOW_SECONDS: '3600' });
    try {
      const urls = pair.nodes.map((n) => n.url);
      const user = await makeUser(urls[0]!);
      const answers = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${urls[i % 2]}/api/users/login/token/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: user.email, password: 'wrong-password' }),
        });
        answers.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      }
      expect(answers.slice(0, 5).map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
      for (const a of answers.slice(5)) {
        expect(a.status).toBe(429);
        expect(Number(a.retryAfter)).toBeGreaterThan(0);
      }
    } finally {
      await pair.close();
    }
  });
});
