// A client that stops reading must not make the server buffer without bound: it is disconnected, and
// when it comes back it resyncs from the log without losing anything.
import jwt from 'jsonwebtoken';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Socket as NetSocket } from 'node:net';
import type { EventsSince } from '../../src/contract/socket-events.ts';
import type { Em } from '../../src/db/orm.ts';
import { MAX_BYTES_PER_READ } from '../../src/domain/offer-log.ts';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { startServer, TEST_SECRET, testEnv, type TestServer } from '../helpers/server.ts';
import { closeAll, connect, ok, type ClientSocket } from '../helpers/sockets.ts';
import { TrackedClient } from '../helpers/tracked-client.ts';
import { until } from '../helpers/wait.ts';

let server: TestServer | undefined;
afterAll(() => server?.close());

const OFFERS = 1000;
const LIMIT_BYTES = 256 * 1024;

/** The TCP socket under a socket.io client's websocket, so that the test can stop reading from it. */
function tcpOf(client: TrackedClient | ClientSocket): NetSocket {
  const socket = client instanceof TrackedClient ? client.socket : client;
  const engine = (socket as unknown as { io: { engine: { transport: { ws: { _socket: NetSocket } } } } }).io
    .engine;
  return engine.transport.ws._socket;
}

const tokenOf = (u: { username: string; email: string }) =>
  jwt.sign({ username: u.username }, TEST_SECRET, {
    audience: 'phresh:auth',
    issuer: 'phresh.io',
    subject: u.email,
    expiresIn: 600,
  });

/** Gives `cleaning` `n` pending offers and their log rows, written straight into the tables. */
async function seedOffers(sql: TestDatabase['sql'], cleaningId: number, n: number, prefix: string) {
  await sql(
    `insert into users (username, email, username_key, email_key, password_hash)
       select u, u || '@example.io', lower(u), lower(u) || '@example.io', 'x'
         from generate_series(1, ${n}) g, lateral (select '${prefix}_' || g as u) n`,
  );
  await sql(
    `insert into offers (cleaning_id, user_id) select $1, id from users where username like '${prefix}\\_%'`,
    [cleaningId],
  );
  await sql(
    `insert into offer_events (cleaning_id, seq, type, user_id, offer)
       select o.cleaning_id, row_number() over (order by o.user_id), 'created', o.user_id,
              jsonb_build_object('created_at', o.created_at, 'updated_at', o.updated_at, 'user_id', o.user_id,
                'cleaning_id', o.cleaning_id, 'status', 'pending', 'user', null, 'cleaning', null)
         from offers o where o.cleaning_id = $1`,
    [cleaningId],
  );
  await sql(`update cleanings set last_seq = ${n} where id = $1`, [cleaningId]);
  return sql<{ id: number; username: string; email: string }>(
    `select id, username, email from users where username like '${prefix}\\_%' order by id`,
  );
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

describe('slow consumers', () => {
  it('disconnects a client that stops reading, and it resyncs when it comes back', async () => {
    server = await startServer({ env: { SLOW_CONSUMER_MAX_BYTES: String(LIMIT_BYTES), METRICS_PORT: '0' } });
    const owner = await makeUser(server.url);
    const cleaning = await makeCleaning(owner);
    // A thousand cleaners with pending offers, written straight into the tables (registering them one by one
    // would spend minutes hashing passwords), with the log rows that their offers would have produced.
    const em = server.app.orm.em.fork() as Em;
    await em.execute(
      `insert into users (username, email, username_key, email_key, password_hash)
         select 'bulk_' || g, 'bulk_' || g || '@example.io', 'bulk_' || g, 'bulk_' || g || '@example.io', 'x'
           from generate_series(1, ${OFFERS}) g`,
    );
    await em.execute(
      `insert into offers (cleaning_id, user_id) select ?, id from users where username like 'bulk\\_%'`,
      [cleaning.id],
    );
    await em.execute(
      `insert into offer_events (cleaning_id, seq, type, user_id, offer)
         select o.cleaning_id, row_number() over (order by o.user_id), 'created', o.user_id,
                jsonb_build_object('created_at', o.created_at, 'updated_at', o.updated_at, 'user_id', o.user_id,
                  'cleaning_id', o.cleaning_id, 'status', 'pending', 'user', null, 'cleaning', null)
           from offers o where o.cleaning_id = ?`,
      [cleaning.id],
    );
    await em.execute(`update cleanings set last_seq = ${OFFERS} where id = ?`, [cleaning.id]);
    const bulk = (await em.execute<{ id: number; username: string; email: string }[]>(
      `select id, username, email from users where username like 'bulk\\_%' order by id limit 40`,
    )) as { id: number; username: string; email: string }[];
    const tokenOf = (u: { username: string; email: string }) =>
      jwt.sign({ username: u.username }, TEST_SECRET, {
        audience: 'phresh:auth',
        issuer: 'phresh.io',
        subject: u.email,
        expiresIn: 600,
      });

    const slow = new TrackedClient(owner, 'owner');
    await slow.connectTo(server.url);
    await slow.subscribe(cleaning.id);
    const disconnected = new Promise<string>((resolve) => slow.socket!.once('disconnect', resolve));
    tcpOf(slow).pause();

    // Each accept/cancel cycle pushes about 2,000 events (~0.8 MB) to the owner's subscription.
    const ownerApi = new Api(server.url, owner.token);
    let cycles = 0;
    const warned = () => server!.logs().find((l) => l.msg === 'slow consumer disconnected');
    for (const u of bulk) {
      if (warned()) break;
      expect((await ownerApi.put(`/api/cleanings/${cleaning.id}/offers/${u.username}/`)).status).toBe(200);
      expect(
        (await new Api(server.url, tokenOf(u)).put(`/api/cleanings/${cleaning.id}/offers/`)).status,
      ).toBe(200);
      cycles++;
    }
    const deadline = Date.now() + 5000;
    while (!warned() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const warning = warned();
    expect(warning).toBeDefined();
    expect(server.app.realtime.io.of('/').sockets.size).toBe(0);
    const metrics = await (await fetch(`${server.app.metricsUrl()}/metrics`)).text();
    expect(metrics).toMatch(/^phresh_slow_consumer_disconnects_total 1$/m);

    tcpOf(slow).resume();
    expect(['transport close', 'transport error']).toContain(await disconnected);
    const before = slow.deliveries.length;
    await slow.reconnectTo(server.url, [cleaning.id]);
    const audit = await slow.audit(server.url, [cleaning.id]);
    const [head] = await em.execute<{ last_seq: string }[]>('select last_seq from cleanings where id = ?', [
      cleaning.id,
    ]);
    recordFigures('slow-consumer', {
      limitBytes: LIMIT_BYTES,
      bufferedWhenDisconnected: warning!.bufferedBytes,
      pendingPacketsWhenDisconnected: warning!.pendingPackets,
      cyclesUntilDisconnect: cycles,
      eventsPushedMeanwhile: Number(head!.last_seq) - OFFERS,
      deliveredBeforeDisconnect: before,
      recoveredByResync: slow.deliveries.length - before,
      eventsLost: audit.lost,
      duplicatesDelivered: audit.duplicates,
    });
    expect(audit).toEqual({ lost: 0, duplicates: 0, extra: 0 });
    slow.close();
  });
});

describe('memory per socket', () => {
  const MIB = 1024 * 1024;
  const LIMIT = 1 * MIB;
  /** What one node may grow by while 21 sockets stop reading: their limits, plus room for the garbage collector. */
  const RSS_GROWTH_BOUND = 160 * MIB;
  let db: TestDatabase | undefined;
  let node: ServerProcess | undefined;
  afterAll(async () => {
    await node?.stop();
    await db?.drop();
  });

  it('drops a replay flooder and 20 paused feed subscribers at the byte limit, within a stated RSS bound', async () => {
    db = await createTestDatabase();
    node = await startServerProcess(testEnv(db, { SLOW_CONSUMER_MAX_BYTES: String(LIMIT) }));
    const url = node.url;
    const owner = await makeUser(url);
    const cleaning = await makeCleaning(owner);
    // Enough offers that the full replay (about 200 bytes an event) is well over one answer's byte bound.
    const FLOOD_OFFERS = 2000;
    const bulk = await seedOffers(db.sql, cleaning.id, FLOOD_OFFERS, 'flood');

    // The flooder: the owner, whose full replay is about 400 KB. Twenty others only watch the job board.
    const flooder = await connect(url, owner.token);
    const watchers = await Promise.all(bulk.slice(0, 20).map((u) => connect(url, tokenOf(u))));
    const first = (await ok(flooder, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
      since: 0,
    })) as EventsSince;
    expect(first.more).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(first.events))).toBeLessThanOrEqual(MAX_BYTES_PER_READ);
    for (const s of [flooder, ...watchers]) await ok(s, 'feed:subscribe', {});
    const dropped = new Set<ClientSocket>();
    for (const s of [flooder, ...watchers]) s.once('disconnect', () => dropped.add(s));

    const baseline = rssBytes(node.child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(node!.child.pid!))), 100);
    for (const s of [flooder, ...watchers]) tcpOf(s).pause();

    // About 45 replays a second, never read.
    const flood = setInterval(() => {
      flooder.emit('cleaning:subscribe', { cleaning_id: cleaning.id, since: 0 }, () => {});
    }, 22);
    // Job-board pushes of about 10 KB each, until every paused socket is gone.
    // Updates of one cleaning queue on its row lock; four of them keep the node busy.
    const boards = await Promise.all(Array.from({ length: 4 }, () => makeCleaning(owner)));
    const description = 'é'.repeat(4990);
    let updates = 0;
    const drops = () => node!.logs().filter((l) => l.msg === 'slow consumer disconnected');
    const started = Date.now();
    try {
      while (drops().length < 21 && Date.now() - started < 80_000) {
        await Promise.all(
          boards.map(async (board) => {
            const res = await owner.api.put(`/api/cleanings/${board.id}/`, {
              json: { cleaning_update: { description: `${++updates} ${description}` } },
            });
            expect(res.status).toBe(200);
          }),
        );
      }
      await until(async () => drops().length >= 21, 10_000, 'every paused socket dropped');
    } finally {
      clearInterval(flood);
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;

    const dropLog = drops();
    expect(dropLog).toHaveLength(21);
    // Each one went at the first packet past the limit: never more than one push over it.
    for (const l of dropLog) {
      expect(l.bufferedBytes as number).toBeGreaterThan(LIMIT);
      expect(l.bufferedBytes as number).toBeLessThanOrEqual(LIMIT + 64 * 1024);
    }
    expect(peak - baseline).toBeLessThan(RSS_GROWTH_BOUND);
    // The node is still well: a new client gets the whole log, page by page.
    const reader = await connect(url, owner.token);
    let since = 0;
    let pages = 0;
    for (;;) {
      const page = (await ok(reader, 'cleaning:subscribe', {
        cleaning_id: cleaning.id,
        since,
      })) as EventsSince;
      expect(Buffer.byteLength(JSON.stringify(page.events))).toBeLessThanOrEqual(MAX_BYTES_PER_READ);
      pages++;
      if (page.events.length > 0) since = page.events.at(-1)!.seq;
      if (!page.more) break;
    }
    expect(since).toBe(FLOOD_OFFERS);
    recordFigures('memory-per-socket', {
      limitBytes: LIMIT,
      pausedSockets: 21,
      replaysSent: Math.round(seconds * 45),
      jobBoardPushes: updates,
      secondsUntilAllDropped: Math.round(seconds * 10) / 10,
      bufferedWhenDroppedMax: Math.max(...dropLog.map((l) => l.bufferedBytes as number)),
      rssBaselineMiB: Math.round(baseline / MIB),
      rssGrowthMiB: Math.round((peak - baseline) / MIB),
      replayPages: pages,
    });
    await closeAll(reader, flooder, ...watchers);
  });
});
