// Two nodes whose DATABASE_URL goes through PgBouncer in transaction mode (fewer server connections than
// clients), with DATABASE_LISTEN_URL straight to PostgreSQL for the offer log's LISTEN. Everything works:
// migrations, sign-up and login, concurrent commands on both transports, cross-node pushes, replay.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import type { EventsSince } from '../../src/contract/socket-events.ts';
import { Api, makeCleaning, makeUser, makeUsers } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  pgbouncerBinary,
  startPrivatePgbouncer,
  type PrivatePgbouncer,
} from '../helpers/private-services.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { TEST_SECRET, testEnv } from '../helpers/server.ts';
import { canRunCluster, requireRedis } from '../helpers/services.ts';
import { closeAll, command, connect, ok, Recorder, type ClientSocket } from '../helpers/sockets.ts';

/** Runs where PgBouncer is installed, and fails in CI (which installs it) when it is not. */
const canRun = canRunCluster && (pgbouncerBinary() !== null || process.env.CI === 'true');

let db: TestDatabase;
let pooler: PrivatePgbouncer;
const nodes: ServerProcess[] = [];
const open: ClientSocket[] = [];

beforeAll(async () => {
  if (!canRun) return;
  db = await createTestDatabase();
  const direct = new URL(db.url!);
  pooler = await startPrivatePgbouncer({ host: direct.hostname, port: Number(direct.port) });
  const env = testEnv(db, {
    DATABASE_URL: pooler.urlFor(direct.pathname.slice(1)),
    DATABASE_LISTEN_URL: db.url,
    REDIS_URL: requireRedis(),
    REDIS_PREFIX: `phresh-pgb-${randomBytes(4).toString('hex')}`,
    SECRET_KEY: TEST_SECRET,
  });
  nodes.push(await startServerProcess({ ...env, NODE_ID: 'node-0' }));
  nodes.push(await startServerProcess({ ...env, NODE_ID: 'node-1' }));
});
afterAll(async () => {
  await closeAll(...open);
  await Promise.all(nodes.map((n) => n.stop()));
  await pooler?.stop();
  await db?.drop();
});

async function live(url: string, token: string) {
  const socket = await connect(url, token);
  open.push(socket);
  return socket;
}

describe.runIf(canRun)('through PgBouncer in transaction mode', () => {
  it('serves every command and pushes every event, with the listener on its own direct connection', async () => {
    const [a, b] = nodes.map((n) => n.url) as [string, string];
    const database = new URL(db.url!).pathname.slice(1);
    const transactionsSoFar = async () =>
      Number((await pooler.admin('SHOW STATS')).find((r) => r.database === database)?.total_xact_count ?? 0);
    const transactionsBefore = await transactionsSoFar();

    const owner = await makeUser(a);
    const login = await new Api(b).post('/api/users/login/token/', {
      form: { username: owner.email, password: owner.password },
    });
    expect(login.status).toBe(200);
    const cleaning = await makeCleaning(owner);
    const ownerSocket = await live(a, owner.token);
    const ownerEvents = new Recorder<OfferEventPublic>(ownerSocket, 'offer:event');
    await ok(ownerSocket, 'cleaning:subscribe', { cleaning_id: cleaning.id });

    // Concurrent commands from both nodes share four server connections between them.
    const cleaners = await makeUsers(a, 8);
    const sockets = await Promise.all(cleaners.map((c, i) => live(i % 2 ? a : b, c.token)));
    const acks = await Promise.all(
      sockets.map((s) => command(s, 'offer:create', { cleaning_id: cleaning.id })),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    await ok(ownerSocket, 'offer:accept', { cleaning_id: cleaning.id, username: cleaners[3]!.username });
    await ok(sockets[3]!, 'offer:cancel', { cleaning_id: cleaning.id });

    // created ×8, accepted, rejected ×7, cancelled, back to pending ×7.
    const pushed = await ownerEvents.waitFor(24);
    expect(pushed.map((e) => e.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));

    const onB = await live(b, owner.token);
    const replay = (await ok(onB, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
      since: 20,
    })) as EventsSince;
    expect(replay.events.map((e) => e.seq)).toEqual([21, 22, 23, 24]);

    // The traffic did go through the pooler.
    expect((await transactionsSoFar()) - transactionsBefore).toBeGreaterThan(20);
  });
});
