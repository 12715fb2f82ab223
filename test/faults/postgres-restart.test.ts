// PostgreSQL stops under load and starts again: commands fail fast with 503 and a clear detail while it is
// down, /readyz says so, and everything recovers by itself once it is back, with no event lost.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { startChurn } from '../helpers/churn.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-services.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { TEST_SECRET } from '../helpers/server.ts';
import { requireRedis } from '../helpers/services.ts';
import { closeAll, command, connect, ok, Recorder } from '../helpers/sockets.ts';
import { auditClients, trackedMarket } from '../helpers/tracked-client.ts';
import { until } from '../helpers/wait.ts';

let postgres: PrivatePostgres | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await postgres?.destroy();
});

const UNAVAILABLE = 'The service is temporarily unavailable. Please try again shortly.';

describe('PostgreSQL restarts under load', () => {
  it('fails fast with 503 while it is down and recovers by itself', async () => {
    postgres = await startPrivatePostgres();
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    await admin.query('create database phresh');
    await admin.end();
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: postgres.adminUrl.replace(/\/postgres$/, '/phresh'),
      SECRET_KEY: TEST_SECRET,
      REDIS_URL: requireRedis(),
      REDIS_PREFIX: `phresh-pgfault-${process.pid}`,
      LOGIN_RATE_LIMIT: '100000',
      LOGIN_IP_RATE_LIMIT: '100000',
      SOCKET_COMMANDS_PER_SECOND: '1000',
    };
    nodes.push(await startServerProcess(env), await startServerProcess(env));
    const [a, b] = nodes.map((n) => n.url) as [string, string];

    const { owner, cleaners, ids, ownerClient, clients } = await trackedMarket(b, [b, a]);
    const probeCleaner = await makeUser(a);
    const probeSocket = await connect(a, probeCleaner.token);

    const churn = startChurn({ owner, cleaners, cleaningIds: ids, urls: () => [a, b] });
    await new Promise((r) => setTimeout(r, 1000));

    await postgres.stop();
    const downAt = Date.now();

    // REST and socket commands answer 503 with a clear detail, quickly; readiness says why.
    const started = Date.now();
    const rest = await new Api(a, owner.token).get(`/api/cleanings/${ids[0]}/`);
    const restMs = Date.now() - started;
    expect(rest.status).toBe(503);
    expect(rest.body).toEqual({ detail: UNAVAILABLE, code: 'SERVICE_UNAVAILABLE' });
    const socketStarted = Date.now();
    const ack = await command(probeSocket, 'offer:create', { cleaning_id: ids[0]! });
    const socketMs = Date.now() - socketStarted;
    expect(ack).toEqual({
      ok: false,
      error: { status: 503, code: 'SERVICE_UNAVAILABLE', detail: UNAVAILABLE },
    });
    const ready = await fetch(`${b}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'unavailable',
      checks: { database: 'down', redis: 'ok', push: 'off' },
    });
    await new Promise((r) => setTimeout(r, 1500));

    await postgres.start();
    const upAt = Date.now();
    await until(
      async () => (await new Api(a, owner.token).get(`/api/cleanings/${ids[0]}/`)).status === 200,
      30_000,
    );
    await until(async () => (await fetch(`${b}/readyz`)).status === 200, 30_000);
    const recoveredMs = Date.now() - upAt;

    // Pushes flow again across nodes: a command on A reaches the owner's subscription on B.
    const watcher = await connect(b, owner.token);
    const seen = new Recorder<OfferEventPublic>(watcher, 'offer:event');
    const fresh = await makeCleaning(owner);
    await ok(watcher, 'cleaning:subscribe', { cleaning_id: fresh.id });
    expect((await ok(probeSocket, 'offer:create', { cleaning_id: fresh.id })).status).toBe('pending');
    await seen.waitFor(1, 10_000);

    await new Promise((r) => setTimeout(r, 1000));
    const stats = await churn.stop();
    ids.splice(0, ids.length, ...churn.cleaningIds());
    await new Promise((r) => setTimeout(r, 500));
    // Sockets stayed connected through the outage; a resync covers whatever was in flight.
    const { lost, duplicates } = await auditClients([ownerClient, ...clients], b, ids, { resyncFirst: true });
    expect(nodes.every((n) => n.child.exitCode === null)).toBe(true);
    recordFigures('postgres-restart-under-load', {
      nodes: 2,
      commandAnswers: stats.byStatus,
      restAnswerWhileDownMs: restMs,
      socketAnswerWhileDownMs: socketMs,
      postgresDownMs: upAt - downAt,
      recoveredAfterRestartMs: recoveredMs,
      eventsLost: lost,
      duplicatesDelivered: duplicates,
      nodeCrashes: 0,
    });
    expect(restMs).toBeLessThan(3000);
    expect(socketMs).toBeLessThan(3000);
    expect(stats.byStatus['503']).toBeGreaterThan(0);
    expect(stats.byStatus['500']).toBeUndefined();
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    for (const c of [ownerClient, ...clients]) c.close();
    await closeAll(watcher, probeSocket);
  });
});
