// Redis goes away under load and comes back: nodes reconnect by themselves, and no push depended on it: offer
// events and job-board notices travel through PostgreSQL, so a job posted on one node reaches the other's board.
import { afterAll, describe, expect, it } from 'vitest';
import type { CleaningPublic } from '../../src/contract/schemas.ts';
import { Api, makeUser } from '../helpers/api.ts';
import { startChurn } from '../helpers/churn.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-services.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { TEST_SECRET, testEnv } from '../helpers/server.ts';
import { closeAll, connect, ok, Recorder } from '../helpers/sockets.ts';
import { auditClients, trackedMarket } from '../helpers/tracked-client.ts';
import { until } from '../helpers/wait.ts';

let redis: PrivateRedis | undefined;
let db: TestDatabase | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
  await db?.drop();
});

async function readyz(url: string) {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
}

describe('Redis restarts under load', () => {
  it('keeps serving, reconnects by itself, and loses no push, not even the job board’s', async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase();
    const env = testEnv(db, { REDIS_URL: redis.url, SECRET_KEY: TEST_SECRET });
    nodes.push(await startServerProcess(env), await startServerProcess(env));
    const [a, b] = nodes.map((n) => n.url) as [string, string];

    const { owner, cleaners, ids, ownerClient, clients } = await trackedMarket(b, [b, a]);

    const watcher = await connect(b, (await makeUser(a)).token);
    const board = new Recorder<CleaningPublic>(watcher, 'cleaning:created');
    await ok(watcher, 'feed:subscribe', {});
    const initialIds = new Set(ids);

    const churn = startChurn({ owner, cleaners, cleaningIds: ids, urls: () => [a, b] });
    await until(async () => churn.answered().ok >= 20, 30_000, 'the load to commit 20 commands');

    await redis.stop();
    const downAt = Date.now();
    await until(async () => (await readyz(a)).status === 503, 10_000);
    expect((await readyz(a)).body.checks).toMatchObject({ database: 'ok', redis: 'down' });

    // While Redis is down: commands and logins still work, and pushes still cross nodes.
    const during = (
      await new Api(a, owner.token).post<CleaningPublic>('/api/cleanings/', {
        json: { new_cleaning: { name: 'posted on A while redis was down', price: 10 } },
      })
    ).body;
    await board.waitUntil((c) => c.id === during.id, 10_000);
    const login = await new Api(a).post('/api/users/login/token/', {
      form: { username: owner.email, password: owner.password },
    });
    expect(login.status).toBe(200);
    const okWhileDown = churn.answered().ok;
    await until(
      async () => churn.answered().ok >= okWhileDown + 20,
      30_000,
      'the load to commit 20 more commands while Redis is down',
    );

    await redis.start();
    await until(async () => (await readyz(a)).status === 200 && (await readyz(b)).status === 200, 20_000);
    const recoveredMs = Date.now() - downAt;

    const after = (
      await new Api(a, owner.token).post<CleaningPublic>('/api/cleanings/', {
        json: { new_cleaning: { name: 'posted on A after the restart', price: 10 } },
      })
    ).body;
    await board.waitUntil((c) => c.id === after.id, 10_000);
    const pushesResumedMs = Date.now() - downAt;

    const stats = await churn.stop();
    ids.splice(0, ids.length, ...churn.cleaningIds());
    // Every job posted on either node while Redis came and went reached the board on B, once each.
    const posted = [...ids.filter((id) => !initialIds.has(id)), during.id, after.id];
    const seen = await board.waitFor(posted.length, 10_000);
    expect(seen.map((c) => c.id).sort((x, y) => x - y)).toEqual(posted.sort((x, y) => x - y));

    const { lost, duplicates } = await auditClients([ownerClient, ...clients], b, ids, { resyncFirst: true });
    expect(nodes.every((n) => n.child.exitCode === null)).toBe(true);
    recordFigures('redis-restart-under-load', {
      nodes: 2,
      commandAnswers: stats.byStatus,
      redisDownMs: recoveredMs,
      crossNodePushesResumedAfterMs: pushesResumedMs,
      eventsLost: lost,
      duplicatesDelivered: duplicates,
      nodeCrashes: 0,
    });
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    for (const c of [ownerClient, ...clients]) c.close();
    await closeAll(watcher);
  });
});
