// The shipped deploy/nginx.conf and deploy/haproxy.cfg, each in front of three nodes: clients on both
// transports reach the nodes through it, a node killed with SIGKILL sends its clients through the balancer to
// the others, where they resync with nothing lost or twice, and REST behind it keys its per-IP limit on each
// client's own address.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCleaning, makeUser, makeUsers } from '../helpers/api.ts';
import { startChurn } from '../helpers/churn.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { canRunHaproxy, startHaproxy } from '../helpers/haproxy.ts';
import { agentFrom, requestFrom, type Balancer } from '../helpers/balancer.ts';
import { canRunNginx, startNginx } from '../helpers/nginx.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { TEST_SECRET, testEnv } from '../helpers/server.ts';
import { requirePostgres, requireRedis } from '../helpers/services.ts';
import { auditClients, TrackedClient } from '../helpers/tracked-client.ts';
import { until } from '../helpers/wait.ts';

const balancers = [
  { name: 'nginx', canRun: canRunNginx, start: startNginx },
  { name: 'haproxy', canRun: canRunHaproxy, start: startHaproxy },
];

const transportOf = (client: TrackedClient) => client.socket?.io.engine?.transport?.name;

for (const balancer of balancers) {
  describe.runIf(balancer.canRun)(`behind ${balancer.name}`, () => {
    let db: TestDatabase;
    let proxy: Balancer;
    const nodes: ServerProcess[] = [];

    beforeAll(async () => {
      requirePostgres();
      db = await createTestDatabase();
      const env = testEnv(db, {
        REDIS_URL: requireRedis(),
        REDIS_PREFIX: `phresh-${balancer.name}-${randomBytes(4).toString('hex')}`,
        SECRET_KEY: TEST_SECRET,
        // The balancer runs on the loopback network, as the shipped configs ask the nodes to be told.
        TRUST_PROXY: 'loopback',
        LOGIN_IP_RATE_LIMIT: '3',
        LOGIN_RATE_WINDOW_SECONDS: '3600',
      });
      nodes.push(await startServerProcess({ ...env, NODE_ID: 'node-0' }));
      nodes.push(
        ...(await Promise.all([1, 2].map((i) => startServerProcess({ ...env, NODE_ID: `node-${i}` })))),
      );
      proxy = await balancer.start(nodes.map((n) => n.url));
    });
    afterAll(async () => {
      await proxy?.stop();
      await Promise.all(nodes.map((n) => (n.child.exitCode === null ? n.stop() : undefined)));
      await db?.drop();
    });

    it('moves a killed node’s clients through the balancer to the others, on both transports, losing and repeating nothing', async () => {
      const owner = await makeUser(proxy.url);
      const cleaners = await makeUsers(proxy.url, 24);
      const ids = (await Promise.all(Array.from({ length: 8 }, () => makeCleaning(owner)))).map((c) => c.id);

      // Each client comes from an address of its own; every other one starts on long-polling and upgrades.
      const addressOf = new Map<TrackedClient, string>();
      const track = (user: typeof owner, role: 'owner' | 'cleaner', i: number) => {
        const address = `127.0.0.${10 + i}`;
        const transports = i % 2 === 0 ? ['websocket'] : ['polling', 'websocket'];
        const client = new TrackedClient(user, role, { transports, agent: agentFrom(address) as never });
        addressOf.set(client, address);
        return client;
      };
      const ownerClient = track(owner, 'owner', 0);
      const clients = cleaners.map((u, i) => track(u, 'cleaner', i + 1));
      const everyone = [ownerClient, ...clients];
      await ownerClient.connectTo(proxy.url);
      for (const id of ids) await ownerClient.subscribe(id);
      await Promise.all(clients.map((c) => c.connectTo(proxy.url)));
      // Polling clients upgrade, which only works if every request of their session reached one node.
      await until(async () => everyone.every((c) => transportOf(c) === 'websocket'), 20_000, 'upgrades');

      const nodeOf = new Map<TrackedClient, string>();
      for (const c of everyone) nodeOf.set(c, await proxy.upstreamOf(addressOf.get(c)!));
      const load = new Map<string, number>();
      for (const node of nodeOf.values()) load.set(node, (load.get(node) ?? 0) + 1);
      expect(load.size).toBeGreaterThan(1);
      const victimAddress = [...load].sort((a, b) => b[1] - a[1])[0]![0];
      const victimNode = nodes.find((n) => new URL(n.url).host === victimAddress)!;
      const moving = everyone.filter((c) => nodeOf.get(c) === victimAddress);
      const staying = everyone.filter((c) => nodeOf.get(c) !== victimAddress);

      const churn = startChurn({ owner, cleaners, cleaningIds: ids, urls: () => [proxy.url] });
      await new Promise((r) => setTimeout(r, 1500));

      const dropped = moving.map(
        (c) => new Promise<void>((resolve) => c.socket!.once('disconnect', () => resolve())),
      );
      const killedAt = Date.now();
      await victimNode.kill();
      await Promise.all(dropped);
      await Promise.all(moving.map((c) => c.reconnectTo(proxy.url, () => churn.cleaningIds())));
      const recoveredMs = Date.now() - killedAt;
      await until(async () => moving.every((c) => transportOf(c) === 'websocket'), 20_000, 'upgrades again');
      for (const c of moving) expect(await proxy.upstreamOf(addressOf.get(c)!)).not.toBe(victimAddress);

      await new Promise((r) => setTimeout(r, 1500));
      const stats = await churn.stop();
      ids.splice(0, ids.length, ...churn.cleaningIds());
      await new Promise((r) => setTimeout(r, 500));

      // The others never noticed: still connected, with nothing resynced since the kill.
      for (const c of staying) {
        expect(c.socket!.connected).toBe(true);
        expect(c.deliveries.some((d) => d.via === 'resync' && d.at >= killedAt)).toBe(false);
      }
      const { lost, duplicates, extra, outOfOrder } = await auditClients(everyone, proxy.url, ids);
      recordFigures(`${balancer.name}-kill-node-under-load`, {
        nodes: 3,
        clients: everyone.length,
        clientsMoved: moving.length,
        commandAnswers: stats.byStatus,
        reconnectAndResyncMs: recoveredMs,
        eventsLost: lost,
        duplicatesDelivered: duplicates,
        outOfOrderPushes: outOfOrder,
      });
      expect(moving.length).toBeGreaterThan(0);
      expect(lost).toBe(0);
      expect(duplicates).toBe(0);
      expect(extra).toBe(0);
      for (const c of everyone) c.close();
    });

    it('passes each client’s own address to REST, so the per-IP login limit counts each client apart', async () => {
      const login = (address: string, headers: Record<string, string> = {}) =>
        requestFrom(address, 'POST', `${proxy.url}/api/users/login/token/`, {
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({
            username: `nobody-${randomBytes(4).toString('hex')}@example.io`,
            password: 'wrong-password',
          }).toString(),
        }).then((r) => r.status);
      const first: number[] = [];
      for (let i = 0; i < 4; i++) first.push(await login('127.0.0.200'));
      expect(first).toEqual([401, 401, 401, 429]);
      // A forwarded address the client made up does not get it a fresh count: the balancer replaces the header.
      expect(await login('127.0.0.200', { 'x-forwarded-for': '203.0.113.9' })).toBe(429);
      expect(await login('127.0.0.201')).toBe(401);
    });
  });
}
