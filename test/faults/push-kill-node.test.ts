// kill -9 the node that is sending a notification (the push service holds its request open): the claim runs out
// and the other node sends it within seconds; nothing queued is lost.
import { afterAll, describe, expect, it } from 'vitest';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { startPushService, type PushService } from '../helpers/push-service.ts';
import { testEnv } from '../helpers/server.ts';
import { requirePostgres } from '../helpers/services.ts';
import { until } from '../helpers/wait.ts';

let push: PushService | undefined;
let db: TestDatabase | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(
    nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? n.stop() : undefined)),
  );
  await db?.drop();
  await push?.close();
});

describe('kill -9 a node mid-send', () => {
  it('loses no notification: the other node sends what the dead one had claimed', async () => {
    requirePostgres();
    push = await startPushService();
    db = await createTestDatabase();
    // Each node signs with a subject of its own, so the push service can tell which one holds the request.
    const subjects = ['mailto:node-0@example.com', 'mailto:node-1@example.com'];
    nodes.push(await startServerProcess({ ...testEnv(db, push.env(subjects[0])), NODE_ID: 'node-0' }));
    nodes.push(await startServerProcess({ ...testEnv(db, push.env(subjects[1])), NODE_ID: 'node-1' }));
    const [first] = nodes as [ServerProcess, ServerProcess];

    const owner = await makeUser(first.url);
    const cleaner = await makeUser(first.url);
    const subscription = push.subscribe();
    expect((await owner.api.post('/api/push/subscriptions/', { json: { subscription } })).status).toBe(201);
    push.script(subscription.endpoint, [{ hold: true }]);
    const held = push.held(subscription.endpoint);

    const cleanings = await Promise.all([1, 2, 3].map(() => makeCleaning(owner)));
    for (const c of cleanings)
      expect((await cleaner.api.post(`/api/cleanings/${c.id}/offers/`)).status).toBe(201);

    const holder = subjects.indexOf(await held);
    expect(holder).toBeGreaterThanOrEqual(0);
    await nodes[holder]!.kill();
    // Taken once the process is gone: a request it wrote just before dying may still arrive during the kill.
    const killedAt = Date.now();

    const deliveredCleanings = () =>
      new Set(push!.delivered(subscription.endpoint).map((r) => r.payload.event.cleaning_id));
    await push.waitFor(() => deliveredCleanings().size === 3, 60_000, 'all three notifications');
    expect([...deliveredCleanings()].sort()).toEqual(cleanings.map((c) => c.id).sort());
    const delivered = push.delivered(subscription.endpoint);
    const resent = delivered.filter((r) => r.at > killedAt);
    expect(resent.length).toBeGreaterThanOrEqual(1);
    expect(resent.every((r) => r.subject === subjects[1 - holder])).toBe(true);
    // Within seconds: the claim's length, plus the survivor's poll.
    expect(Math.max(...resent.map((r) => r.at)) - killedAt).toBeLessThan(20_000);
    // At least once: a duplicate only of what the dead node had sent but not yet recorded as sent.
    for (const r of resent) {
      const earlier = delivered.filter(
        (d) => d.payload.event.cleaning_id === r.payload.event.cleaning_id && d.at <= killedAt,
      );
      expect(earlier.every((d) => d.subject === subjects[holder])).toBe(true);
    }
    expect(push.problems()).toEqual([]);
    await until(
      async () => Number((await db!.sql<{ n: string }>('select count(*) as n from push_outbox'))[0]!.n) === 0,
      20_000,
      'outbox empty',
    );
  });
});
