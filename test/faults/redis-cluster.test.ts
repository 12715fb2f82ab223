// Three nodes of ours on a real three-master Redis Cluster (sharded pub/sub): pushes cross nodes, the rooms'
// channels spread over the masters, the login limits hold across nodes, and one master restarting under
// load loses nothing once clients resync.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleaningPublic } from '../../src/contract/schemas.ts';
import { FEED_ROOM } from '../../src/realtime/rooms.ts';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { startChurn } from '../helpers/churn.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../helpers/private-services.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { TEST_SECRET, testEnv } from '../helpers/server.ts';
import { requirePostgres } from '../helpers/services.ts';
import { closeAll, connect, ok, type ClientSocket } from '../helpers/sockets.ts';
import { auditClients, trackedMarket } from '../helpers/tracked-client.ts';
import { until } from '../helpers/wait.ts';

const PREFIX = `phresh-rc-${randomBytes(4).toString('hex')}`;
let redis: PrivateRedisCluster;
let db: TestDatabase;
const nodes: ServerProcess[] = [];
const open: ClientSocket[] = [];
const url = (i: number) => nodes[i % nodes.length]!.url;

beforeAll(async () => {
  requirePostgres();
  redis = await startPrivateRedisCluster(3);
  db = await createTestDatabase();
  const env = testEnv(db, {
    REDIS_CLUSTER_NODES: redis.nodes,
    REDIS_PREFIX: PREFIX,
    SECRET_KEY: TEST_SECRET,
    LOGIN_RATE_LIMIT: '5',
    LOGIN_RATE_WINDOW_SECONDS: '3600',
  });
  nodes.push(await startServerProcess({ ...env, NODE_ID: 'node-0' }));
  nodes.push(...(await Promise.all([1, 2].map((i) => startServerProcess({ ...env, NODE_ID: `node-${i}` })))));
});
afterAll(async () => {
  await closeAll(...open);
  await Promise.all(nodes.map((n) => (n.child.exitCode === null ? n.stop() : undefined)));
  await redis?.destroy();
  await db?.drop();
});

async function live(i: number, token: string) {
  const socket = await connect(url(i), token);
  open.push(socket);
  return socket;
}

/** The sharded channels of ours that one master holds subscribers for. */
const channelsOn = (port: number) =>
  redis
    .cli(port, 'pubsub', 'shardchannels', `${PREFIX}#*`)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The master serving a channel's slot, as the cluster itself says. */
function masterOf(channel: string) {
  const slot = Number(redis.cli(redis.masters[0]!.port, 'cluster', 'keyslot', channel).trim());
  const shards = redis.cli(redis.masters[0]!.port, 'cluster', 'slots');
  // `cluster slots` prints: start, end, then the master's host, port and id, per range.
  const lines = shards.split('\n').map((l) => l.trim());
  for (let i = 0; i + 3 < lines.length; i++) {
    const [start, end, , port] = [lines[i], lines[i + 1], lines[i + 2], lines[i + 3]].map(Number);
    if (Number.isInteger(start) && Number.isInteger(end) && slot >= start! && slot <= end! && port! > 0) {
      const master = redis.masters.find((m) => m.port === port);
      if (master) return master;
    }
  }
  throw new Error(`no master found for slot ${slot}`);
}

describe('Redis Cluster', () => {
  it('pushes across nodes, with the rooms’ channels spread over every master', async () => {
    const watchers = await Promise.all([0, 1, 2].map(async (i) => live(i, (await makeUser(url(i))).token)));
    const got = watchers.map(
      (w) => new Promise<CleaningPublic>((resolve) => w.once('cleaning:created', resolve)),
    );
    for (const w of watchers) await ok(w, 'feed:subscribe', {});
    const owner = await makeUser(url(1));
    const cleaning = await makeCleaning(owner, { name: 'posted on a cluster' });
    for (const c of await Promise.all(got)) expect(c).toMatchObject({ id: cleaning.id });

    // Each connected user has a room, hence a channel, on the node that hosts the socket.
    const users = await Promise.all(Array.from({ length: 24 }, (_, i) => makeUser(url(i))));
    await Promise.all(users.map((u, i) => live(i, u.token)));
    const perMaster = redis.masters.map((m) => channelsOn(m.port).length);
    expect(perMaster.every((n) => n > 0)).toBe(true);
    expect(perMaster.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24);

    // A user's room crosses nodes too: deactivation reaches the user's sockets on all three.
    const user = users[0]!;
    const devices = await Promise.all([0, 1, 2].map((i) => live(i, user.token)));
    const gone = devices.map((d) => new Promise<string>((resolve) => d.once('disconnect', resolve)));
    const res = await fetch(`${url(2)}/api/users/${user.username}/deactivate/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(res.status).toBe(200);
    expect(await Promise.all(gone)).toEqual(Array(3).fill('io server disconnect'));
  });

  it('shares the login limits across nodes (each key in its own slot)', async () => {
    const user = await makeUser(url(0));
    const statuses = [];
    for (let i = 0; i < 9; i++) {
      const res = await fetch(`${url(i)}/api/users/login/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: user.email, password: 'wrong-password' }),
      });
      statuses.push(res.status);
    }
    // Counted per node, three attempts each would all be 401: the 429s prove one count in the cluster.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429]);
  });

  it('loses nothing when one master restarts under load, once clients resync', async () => {
    const urls = [url(0), url(1), url(2)];
    const { owner, cleaners, ids, ownerClient, clients } = await trackedMarket(urls[1]!, urls);
    const watcher = await live(2, (await makeUser(url(0))).token);
    const board: CleaningPublic[] = [];
    watcher.on('cleaning:created', (c) => board.push(c));
    await ok(watcher, 'feed:subscribe', {});

    const churn = startChurn({ owner, cleaners, cleaningIds: ids, urls: () => urls });
    await new Promise((r) => setTimeout(r, 1000));

    // The master that carries the job board's channel is the one to lose.
    const victim = masterOf(`${PREFIX}#/#${FEED_ROOM}#`);
    await victim.stop();
    const downAt = Date.now();
    const during = await makeCleaning(owner, { name: 'posted while a master was down' });
    await new Promise((r) => setTimeout(r, 3000));
    await victim.start();
    await redis.waitHealthy();
    const healthyMs = Date.now() - downAt;

    await until(
      async () => {
        await makeCleaning(owner, { name: 'after the master restart' });
        await new Promise((r) => setTimeout(r, 300));
        return board.some((c) => c.name === 'after the master restart');
      },
      30_000,
      'job board pushes resume after the master restart',
    );
    const pushesResumedMs = Date.now() - downAt;

    const stats = await churn.stop();
    ids.splice(0, ids.length, ...churn.cleaningIds());
    const feed = await new Api(urls[0]!, owner.token).get('/api/feed/cleanings/?page_chunk_size=50');
    expect(feed.body.some((c: CleaningPublic) => c.id === during.id)).toBe(true);

    const { lost, duplicates } = await auditClients([ownerClient, ...clients], urls[2]!, ids, {
      resyncFirst: true,
    });
    const alive = nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).length;
    recordFigures('redis-cluster-master-restart-under-load', {
      nodes: 3,
      masters: 3,
      commandAnswers: stats.byStatus,
      masterDownUntilHealthyMs: healthyMs,
      crossNodePushesResumedAfterMs: pushesResumedMs,
      eventsLost: lost,
      duplicatesDelivered: duplicates,
      nodeCrashes: 3 - alive,
    });
    expect(alive).toBe(3);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    for (const c of [ownerClient, ...clients]) c.close();
  });
});
