// Redis goes away under load and comes back: nodes reconnect by themselves, cross-node pushes resume,
// offer events never depended on it, and what the job board missed is recovered by reloading it.
import { afterAll, describe, expect, it } from 'vitest';
import type { CleaningPublic } from '../../src/contract/schemas.ts';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { startChurn } from '../helpers/churn.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-services.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { TEST_SECRET, testEnv } from '../helpers/server.ts';
import { closeAll, connect, ok } from '../helpers/sockets.ts';
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
  it('keeps serving, reconnects by itself, and resumes cross-node pushes', async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase();
    const env = testEnv(db, { REDIS_URL: redis.url, SECRET_KEY: TEST_SECRET });
    nodes.push(await startServerProcess(env), await startServerProcess(env));
    const [a, b] = nodes.map((n) => n.url) as [string, string];

    const { owner, cleaners, ids, ownerClient, clients } = await trackedMarket(b, [b, a]);

    const watcher = await connect(b, (await makeUser(a)).token);
    const board: CleaningPublic[] = [];
    watcher.on('cleaning:created', (c) => board.push(c));
    await ok(watcher, 'feed:subscribe', {});

    const churn = startChurn({ owner, cleaners, cleaningIds: ids, urls: () => [a, b] });
    await new Promise((r) => setTimeout(r, 1000));

    await redis.stop();
    const downAt = Date.now();
    await until(async () => (await readyz(a)).status === 503, 10_000);
    expect((await readyz(a)).body.checks).toMatchObject({ database: 'ok', redis: 'down' });

    // While Redis is down: commands and logins still work, and offer pushes still cross nodes.
    const during = await makeCleaning(owner, { name: 'posted while redis was down' });
    const login = await new Api(a).post('/api/users/login/token/', {
      form: { username: owner.email, password: owner.password },
    });
    expect(login.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));

    await redis.start();
    await until(async () => (await readyz(a)).status === 200 && (await readyz(b)).status === 200, 20_000);
    const recoveredMs = Date.now() - downAt;

    // Cross-node job board pushes resume: a job posted on A reaches the watcher on B.
    await until(async () => {
      await makeCleaning(owner, { name: 'after the restart' });
      await new Promise((r) => setTimeout(r, 300));
      return board.some((c) => c.name === 'after the restart');
    }, 15_000);
    const pushesResumedMs = Date.now() - downAt;

    const stats = await churn.stop();
    ids.splice(0, ids.length, ...churn.cleaningIds());
    await new Promise((r) => setTimeout(r, 500));
    // What the board missed is in the feed.
    const feed = await new Api(b, owner.token).get('/api/feed/cleanings/?page_chunk_size=50');
    expect(feed.body.some((c: CleaningPublic) => c.id === during.id)).toBe(true);

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
