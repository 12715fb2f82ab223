// A node frozen (SIGSTOP) while its transaction holds a cleaning's row lock: the other nodes' commands on that
// cleaning answer a quick 503 with Retry-After instead of a 500 after the statement timeout, the frozen node's
// session is cut so that the lock is released, and nothing it had half done is committed.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/contract/error-codes.ts';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { testEnv } from '../helpers/server.ts';
import { until } from '../helpers/wait.ts';

let db: TestDatabase | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  for (const n of nodes) {
    n.child.kill('SIGCONT');
    await n.stop();
  }
  await db?.drop();
});

describe('a node frozen while it holds a row lock', () => {
  it('costs the others one short lock wait (503, Retry-After), and its session is cut', async () => {
    db = await createTestDatabase();
    // Node A waits long for locks (so that the test can stop it mid-transaction) and is cut after 3 s idle in it.
    const a = await startServerProcess(
      testEnv(db, { DATABASE_LOCK_TIMEOUT_MS: '10000', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '3000' }),
    );
    nodes.push(a);
    const b = await startServerProcess(testEnv(db, { DATABASE_LOCK_TIMEOUT_MS: '1000' }));
    nodes.push(b);
    const owner = await makeUser(b.url);
    const [first, second] = [await makeUser(b.url), await makeUser(b.url)];
    const cleaning = await makeCleaning(owner);
    const offersPath = `/api/cleanings/${cleaning.id}/offers/`;

    // Hold node A's offer in the middle of its transaction: it has the cleaning's row lock and waits to log.
    const blocker = new pg.Client({ connectionString: db.url });
    blocker.on('error', () => {});
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table offer_events in share mode');
    const stalled = new Api(a.url, first.token).post(offersPath);
    stalled.catch(() => {});
    let backendPid = 0;
    await until(
      async () => {
        const rows = await db!.sql<{ pid: number }>(
          `select pid from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%append_events%'`,
        );
        backendPid = rows[0]?.pid ?? 0;
        return backendPid !== 0;
      },
      8_000,
      'node A waiting to log its offer',
    );
    a.child.kill('SIGSTOP');
    await blocker.query('commit');
    await blocker.end();
    // Its insert now completes, and its session sits idle in the transaction, still holding the row lock.
    await until(
      async () =>
        (
          await db!.sql<{ state: string }>('select state from pg_stat_activity where pid = $1', [backendPid])
        )[0]?.state === 'idle in transaction',
      5_000,
      'node A idle in its transaction',
    );
    const frozenAt = Date.now();

    const started = Date.now();
    const refused = await new Api(b.url, second.token).post(offersPath);
    const refusedMs = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ detail: ERROR_CODES.LOCK_TIMEOUT.detail, code: 'LOCK_TIMEOUT' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refusedMs).toBeLessThan(5_000);

    // PostgreSQL cuts the frozen node's session; the lock goes with it and the same offer then succeeds.
    await until(
      async () => (await db!.sql('select 1 from pg_stat_activity where pid = $1', [backendPid])).length === 0,
      15_000,
      "node A's session cut",
    );
    const cutMs = Date.now() - frozenAt;
    const retried = await new Api(b.url, second.token).post(offersPath);
    expect(retried.status).toBe(201);
    const recoveredMs = Date.now() - frozenAt;

    // Woken, node A answers its caller with a 503 (never a 500) and keeps serving.
    a.child.kill('SIGCONT');
    const late = await stalled;
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    expect((await new Api(a.url, owner.token).get(offersPath)).status).toBe(200);
    // What it had half done was rolled back: the log holds the second cleaner's offer only.
    const log = await new Api(b.url, owner.token).get<OfferEventPublic[]>(
      `/api/cleanings/${cleaning.id}/events/`,
    );
    expect(log.body.map((e) => [e.seq, e.type, e.user_id])).toEqual([[1, 'created', second.id]]);
    expect(a.logs().filter((l) => l.msg === 'unexpected error')).toEqual([]);
    expect(b.logs().filter((l) => l.msg === 'unexpected error')).toEqual([]);

    recordFigures('stalled-node', {
      lockTimeoutMs: 1000,
      idleInTransactionTimeoutMs: 3000,
      refusedAfterMs: refusedMs,
      frozenSessionCutAfterMs: cutMs,
      offerSucceededAfterMs: recoveredMs,
      frozenNodeAnswer: late.status,
      eventsLost: 0,
    });
  });
});
