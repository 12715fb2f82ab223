// kill -9 a node under load: its clients move to another node and resync, nothing committed goes missing,
// and what the dead node committed but never pushed reaches live subscribers through the survivors.
import { afterAll, describe, expect, it } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers } from '../helpers/api.ts';
import { startChurn } from '../helpers/churn.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { closeAll, command, connect, ok, Recorder } from '../helpers/sockets.ts';
import { auditClients, TrackedClient } from '../helpers/tracked-client.ts';

const clusters: Cluster[] = [];
afterAll(async () => {
  for (const c of clusters) await c.close();
});

describe('kill -9 a node', () => {
  it('loses no committed event: its clients resync on another node, the others never notice', async () => {
    const cluster = await startCluster(3);
    clusters.push(cluster);
    const [a, b, c] = cluster.nodes.map((n) => n.url) as [string, string, string];
    const owner = await makeUser(a);
    const cleaners = await makeUsers(a, 8);
    const cleanings = await Promise.all(Array.from({ length: 12 }, () => makeCleaning(owner)));
    const ids = cleanings.map((x) => x.id);

    // The owner watches from node C; half the cleaners live on the node that will die, half on B.
    const ownerClient = new TrackedClient(owner, 'owner');
    await ownerClient.connectTo(c);
    for (const id of ids) await ownerClient.subscribe(id);
    const clients = cleaners.map((u) => new TrackedClient(u, 'cleaner'));
    await Promise.all(clients.map((cl, i) => cl.connectTo(i % 2 === 0 ? a : b)));

    let alive = [a, b, c];
    const churn = startChurn({ owner, cleaners, cleaningIds: ids, urls: () => alive });
    await new Promise((r) => setTimeout(r, 1500));

    const killedAt = Date.now();
    alive = [b, c];
    await cluster.nodes[0]!.kill();
    // Its clients notice, and reconnect to a surviving node (as a load balancer would send them).
    const victims = clients.filter((_, i) => i % 2 === 0);
    await Promise.all(victims.map((cl) => cl.reconnectTo(b, churn.cleaningIds())));
    const recoveredMs = Date.now() - killedAt;

    await new Promise((r) => setTimeout(r, 1500));
    const stats = await churn.stop();
    ids.splice(0, ids.length, ...churn.cleaningIds());
    await new Promise((r) => setTimeout(r, 500));

    const { lost, duplicates, outOfOrder, extra } = await auditClients([ownerClient, ...clients], b, ids);
    expect(extra).toBe(0);
    const totalEvents = (
      await Promise.all(
        ids.map((id) =>
          fetch(`${b}/api/cleanings/${id}/events/`, {
            headers: { authorization: `Bearer ${owner.token}` },
          }).then((r) => r.json() as Promise<OfferEventPublic[]>),
        ),
      )
    ).reduce((n, events) => n + events.length, 0);
    // The owner on node C was never disconnected: it received everything live.
    expect(ownerClient.deliveries.filter((d) => d.via === 'resync').every((d) => d.at < killedAt)).toBe(true);
    recordFigures('kill-node-under-load', {
      nodes: 3,
      commandAnswers: stats.byStatus,
      eventsCommitted: totalEvents,
      clientsMoved: victims.length,
      reconnectAndResyncMs: recoveredMs,
      eventsLost: lost,
      duplicatesDelivered: duplicates,
      outOfOrderPushes: outOfOrder,
    });
    expect(totalEvents).toBeGreaterThan(50);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(outOfOrder).toBe(0);
    for (const cl of [ownerClient, ...clients]) cl.close();
  });

  it('pushes, from a surviving node within 2 s, what a node committed just before it died', async () => {
    // Node A kills itself (SIGKILL) right after an accept commits, before it can answer or push.
    const cluster = await startCluster(2, { FAULT_KILL_AFTER_COMMIT: 'offer:accept' });
    clusters.push(cluster);
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    const owner = await makeUser(b);
    const cleaners = await makeUsers(b, 5);
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, cleaners);

    const watcher = await connect(b, owner.token);
    const watched = new Recorder<OfferEventPublic>(watcher, 'offer:event');
    await ok(watcher, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    const cleanerSockets = await Promise.all(cleaners.map((u) => connect(b, u.token)));
    const cleanerEvents = cleanerSockets.map((s) => new Recorder<OfferEventPublic>(s, 'offer:event'));

    const commander = await connect(a, owner.token);
    const died = cluster.nodes[0]!.exited;
    const sentAt = Date.now();
    const ack = command(
      commander,
      'offer:accept',
      { cleaning_id: cleaning.id, username: cleaners[2]!.username },
      5000,
    ).catch((e: Error) => e.message);
    const exitCode = await died;
    const diedAt = Date.now();
    expect(exitCode).toBeNull(); // killed by a signal
    expect(await ack).toMatch(/timed out|disconnect/i);

    await watched.waitFor(5, 2000);
    const latencyMs = Date.now() - diedAt;
    const fromCommandMs = Date.now() - sentAt;
    expect(watched.items.map((e) => e.type)).toEqual([
      'accepted',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
    for (const [i, rec] of cleanerEvents.entries()) {
      await rec.waitFor(1, 2000);
      expect(rec.items.map((e) => e.type)).toEqual([i === 2 ? 'accepted' : 'rejected']);
    }
    recordFigures('kill-node-right-after-commit', {
      eventsCommittedByDeadNode: 5,
      allPushedWithinMsOfTheCommand: fromCommandMs,
      stillMissingWhenTheDeathWasSeenMs: latencyMs,
      eventsLost: 0,
    });
    expect(latencyMs).toBeLessThan(2000);
    await closeAll(watcher, commander, ...cleanerSockets);
  });
});
