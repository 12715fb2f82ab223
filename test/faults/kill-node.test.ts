// kill -9 a node under load: its clients move to another node and resync, nothing committed goes missing,
// and what the dead node committed but never pushed reaches live subscribers through the survivors.
import { afterAll, describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferEventPublic } from '../../src/contract/schemas.ts';
import { Api, makeCleaning, makeOffers, makeUser, makeUsers } from '../helpers/api.ts';
import { startChurn } from '../helpers/churn.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { armFault, FAULT_NODE } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { closeAll, command, connect, ok, Recorder } from '../helpers/sockets.ts';
import { auditClients, TrackedClient } from '../helpers/tracked-client.ts';
import { until } from '../helpers/wait.ts';

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
    await until(async () => churn.answered().ok >= 30, 30_000, 'the load to commit 30 commands');

    const killedAt = Date.now();
    alive = [b, c];
    await cluster.nodes[0]!.kill();
    // Its clients notice, and reconnect to a surviving node (as a load balancer would send them).
    const victims = clients.filter((_, i) => i % 2 === 0);
    await Promise.all(victims.map((cl) => cl.reconnectTo(b, () => churn.cleaningIds())));
    const recoveredMs = Date.now() - killedAt;

    const okAtRecovery = churn.answered().ok;
    await until(
      async () => churn.answered().ok >= okAtRecovery + 30,
      30_000,
      'the load to commit 30 more commands on the survivors',
    );
    const stats = await churn.stop();
    ids.splice(0, ids.length, ...churn.cleaningIds());
    // The last commits' pushes may still be on their way: wait until every client holds what it may see (or
    // give up and let the audit below name what is missing).
    await until(
      async () => (await auditClients([ownerClient, ...clients], b, ids, { quiet: true })).lost === 0,
      10_000,
    ).catch(() => undefined);

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
    const cluster = await startCluster(2, {}, { entry: FAULT_NODE });
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
    const boardWatcher = await connect(b, cleaners[0]!.token);
    const assigned = new Recorder<CleaningPublic>(boardWatcher, 'cleaning:assigned');
    await ok(boardWatcher, 'feed:subscribe', {});

    const commander = await connect(a, owner.token);
    await armFault(cluster.nodes[0]!);
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
    await watched.waitForExactly(5);
    expect(watched.items.map((e) => e.type)).toEqual([
      'accepted',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
    for (const [i, rec] of cleanerEvents.entries()) {
      await rec.waitForExactly(1, 2000);
      expect(rec.items.map((e) => e.type)).toEqual([i === 2 ? 'accepted' : 'rejected']);
    }
    expect((await assigned.waitForExactly(1, 2000)).map((c) => c.id)).toEqual([cleaning.id]);
    recordFigures('kill-node-right-after-commit', {
      eventsCommittedByDeadNode: 5,
      allPushedWithinMsOfTheCommand: fromCommandMs,
      stillMissingWhenTheDeathWasSeenMs: latencyMs,
      eventsLost: 0,
    });
    expect(latencyMs).toBeLessThan(2000);
    await closeAll(watcher, commander, boardWatcher, ...cleanerSockets);
  });

  it('pushes a job posted on a node that died right after its commit to every job-board watcher elsewhere', async () => {
    // Node A kills itself right after the new cleaning's transaction commits, before it answers the POST.
    const cluster = await startCluster(3, {}, { entry: FAULT_NODE });
    clusters.push(cluster);
    const [a, b, c] = cluster.nodes.map((n) => n.url) as [string, string, string];
    const owner = await makeUser(b);
    const watchers = await Promise.all(
      [b, b, c, c].map(async (url) => connect(url, (await makeUser(url)).token)),
    );
    const boards = watchers.map((w) => new Recorder<CleaningPublic>(w, 'cleaning:created'));
    for (const w of watchers) await ok(w, 'feed:subscribe', {});

    await armFault(cluster.nodes[0]!);
    const posted = new Api(a, owner.token)
      .post('/api/cleanings/', { json: { new_cleaning: { name: 'posted as A died', price: 10 } } })
      .then(
        (res) => `answered ${res.status}`,
        (e: Error) => e.message,
      );
    expect(await cluster.nodes[0]!.exited).toBeNull(); // killed by a signal
    expect(await posted).not.toMatch(/^answered/);

    for (const board of boards) {
      const [created] = await board.waitFor(1, 5000);
      expect(created).toMatchObject({ name: 'posted as A died', owner: owner.id });
    }
    // Exactly once each: one more job posted on a survivor is the next and only other push.
    await makeCleaning(owner, { name: 'after' });
    for (const board of boards)
      expect((await board.waitForExactly(2, 5000)).map((x) => x.name)).toEqual(['posted as A died', 'after']);
    await closeAll(...watchers);
  });
});
