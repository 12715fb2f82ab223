// A rolling restart behind the shipped nginx config: each of three nodes in turn gets SIGTERM and comes back,
// while SDK clients keep offering, accepting, cancelling and rescinding. No command fails for a user (the
// SDK rides out the drain's 503s and the dropped connections), and every owner is told every event of its
// cleanings exactly once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhreshClient, PhreshError, type OfferEventPublic } from '../../client/sdk/index.ts';
import { makeCleaning, makeUsers, type TestUser } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import type { Balancer } from '../helpers/balancer.ts';
import { canRunNginx, startNginx } from '../helpers/nginx.ts';
import { freePort } from '../helpers/private-services.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { TEST_SECRET, testEnv } from '../helpers/server.ts';
import { requirePostgres, requireRedis } from '../helpers/services.ts';
import { until } from '../helpers/wait.ts';

const OWNERS = 6;
const CLEANERS = 36;
const CLEANINGS_PER_OWNER = 3;

let db: TestDatabase;
let nginx: Balancer;
let env: Record<string, string>;
const nodes: ServerProcess[] = [];
const clients: PhreshClient[] = [];

beforeAll(async () => {
  if (!canRunNginx) return;
  requirePostgres();
  db = await createTestDatabase();
  env = testEnv(db, {
    REDIS_URL: requireRedis(),
    REDIS_PREFIX: `phresh-rolling-${randomBytes(4).toString('hex')}`,
    SECRET_KEY: TEST_SECRET,
    TRUST_PROXY: 'loopback',
    SHUTDOWN_GRACE_MS: '5000',
  });
  // Fixed ports, so that a restarted node comes back where nginx expects it.
  for (let i = 0; i < 3; i++) {
    nodes.push(await startServerProcess({ ...env, PORT: String(await freePort()), NODE_ID: `node-${i}` }));
  }
  nginx = await startNginx(nodes.map((n) => n.url));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await nginx?.stop();
  await Promise.all(nodes.map((n) => (n.child.exitCode === null ? n.stop() : undefined)));
  await db?.drop();
});

async function sdkClient(user: TestUser): Promise<PhreshClient> {
  // On a machine this loaded a node takes up to half a minute to start, and the survivors slow down as much:
  // the clients get a longer retry window than the SDK's default (30 s) so that the test measures losses,
  // not this machine's speed.
  const client = new PhreshClient({
    url: nginx.url,
    reconnectDelayMs: 300,
    reconnectDelayMaxMs: 2000,
    commandRetryWindowMs: 120_000,
  });
  clients.push(client);
  await client.login(user.email, user.password);
  await client.connect();
  return client;
}

describe.runIf(canRunNginx)('rolling restart behind nginx', () => {
  it('restarts every node in turn under load with no failed command and no lost or repeated event', async () => {
    const ownerUsers = await makeUsers(nginx.url, OWNERS);
    const cleanerUsers = await makeUsers(nginx.url, CLEANERS);
    const cleaningIds: number[] = [];
    const ownerOf = new Map<number, number>();
    const owners = await Promise.all(ownerUsers.map(sdkClient));
    const told = new Map<number, OfferEventPublic[]>();
    for (const [i, owner] of owners.entries()) {
      owner.on('offer:event', (e) => told.get(e.cleaning_id)!.push(e));
      for (let j = 0; j < CLEANINGS_PER_OWNER; j++) {
        const cleaning = await makeCleaning(ownerUsers[i]!);
        cleaningIds.push(cleaning.id);
        ownerOf.set(cleaning.id, i);
        told.set(cleaning.id, []);
        await owner.subscribe(cleaning.id);
      }
    }
    const cleaners = await Promise.all(cleanerUsers.map(sdkClient));
    const usernameOf = new Map(cleanerUsers.map((u) => [u.id, u.username]));

    const outcomes = { ok: 0, refused: 0, failed: 0 };
    const refusals: Record<string, number> = {};
    const failures: string[] = [];
    let offlineRetries = 0;
    // As the dashboard does: act only while live, and when a command finds the connection gone before it was
    // sent (OFFLINE: nothing ran), try it again once live. Everything else is up to the SDK.
    const run = async (client: PhreshClient, what: string, command: () => Promise<unknown>) => {
      const began = Date.now();
      for (;;) {
        await until(async () => client.connectionState === 'live', 120_000, 'live again');
        try {
          await command();
          outcomes.ok++;
          return;
        } catch (e) {
          if (e instanceof PhreshError && e.code === 'OFFLINE') {
            offlineRetries++;
            continue;
          }
          // A rule's refusal (a race with another user's command) is an answer; anything else is a failure.
          if (e instanceof PhreshError && e.status >= 400 && e.status < 500 && e.status !== 408) {
            outcomes.refused++;
            refusals[`${what} ${e.code}`] = (refusals[`${what} ${e.code}`] ?? 0) + 1;
          } else {
            outcomes.failed++;
            failures.push(
              `${what} after ${Date.now() - began} ms: ${e instanceof Error ? e.message : String(e)}`,
            );
          }
          return;
        }
      }
    };
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

    let running = true;
    const cleanerLoop = async (client: PhreshClient, i: number) => {
      const mine = new Map<number, 'pending' | 'accepted'>();
      while (running) {
        const id = pick(cleaningIds)!;
        const status = mine.get(id);
        if (status === undefined) {
          await run(client, 'offer:create', async () => {
            await client.createOffer(id);
            mine.set(id, 'pending');
          });
        } else if (status === 'pending' && i % 3 === 0) {
          await run(client, 'offer:rescind', async () => {
            await client.rescindOffer(id);
            mine.delete(id);
          });
        } else {
          const offer = (await client.rest.myOffers().catch(() => [])).find((o) => o.cleaning_id === id);
          if (offer?.status === 'accepted') await run(client, 'offer:cancel', () => client.cancelOffer(id));
          if (offer?.status !== 'pending') mine.set(id, 'accepted');
        }
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
      }
    };
    const ownerLoop = async (client: PhreshClient, i: number) => {
      while (running) {
        const id = pick(cleaningIds.filter((c) => ownerOf.get(c) === i))!;
        const offers = client.offers(id);
        const pending = offers.filter((o) => o.status === 'pending');
        if (!offers.some((o) => o.status === 'accepted') && pending.length > 0) {
          await run(client, 'offer:accept', () =>
            client.acceptOffer(id, usernameOf.get(pick(pending)!.user_id)!),
          );
        }
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    };
    const load = [...cleaners.map(cleanerLoop), ...owners.map(ownerLoop)];

    await new Promise((r) => setTimeout(r, 1500));
    const restarts: number[] = [];
    for (const [i, node] of nodes.entries()) {
      const port = new URL(node.url).port;
      const began = Date.now();
      expect(await node.stop()).toBe(0);
      // A loaded machine can take long to start a node; the others carry the load meanwhile.
      nodes[i] = await startServerProcess({ ...env, PORT: port, NODE_ID: `node-${i}-again` }, 90_000);
      restarts.push(Date.now() - began);
      await new Promise((r) => setTimeout(r, 2000));
    }
    running = false;
    await Promise.all(load);

    // Every client is back and caught up; then each owner's events are the log's, once each, in order.
    await until(async () => [...owners, ...cleaners].every((c) => c.connectionState === 'live'), 30_000);
    let lost = 0;
    let duplicates = 0;
    for (const id of cleaningIds) {
      const owner = owners[ownerOf.get(id)!]!;
      const log = await owner.rest.events(id, 0);
      await until(async () => told.get(id)!.length >= log.length, 15_000, `events of cleaning ${id}`);
      const seqs = told.get(id)!.map((e) => e.seq);
      duplicates += seqs.length - new Set(seqs).size;
      lost += log.filter((e) => !seqs.includes(e.seq)).length;
      expect(seqs).toEqual(log.map((e) => e.seq));
    }
    recordFigures('rolling-restart-under-load', {
      nodes: 3,
      clients: owners.length + cleaners.length,
      commands: outcomes,
      refusals,
      offlineRetries,
      restartMs: restarts,
      eventsLost: lost,
      duplicatesDelivered: duplicates,
    });
    expect(failures).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    // Three restarts of up to half a minute each on this machine, plus the load before and after.
  }, 300_000);
});
