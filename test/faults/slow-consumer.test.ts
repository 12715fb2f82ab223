// A client that stops reading must not make the server buffer without bound: it is disconnected, and
// when it comes back it resyncs from the log without losing anything.
import jwt from 'jsonwebtoken';
import { afterAll, describe, expect, it } from 'vitest';
import type { Socket as NetSocket } from 'node:net';
import type { Em } from '../../src/db/orm.ts';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { recordFigures } from '../helpers/reliability-figures.ts';
import { startServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { TrackedClient } from '../helpers/tracked-client.ts';

let server: TestServer | undefined;
afterAll(() => server?.close());

const OFFERS = 1000;
const LIMIT_BYTES = 256 * 1024;

/** The TCP socket under a socket.io client's websocket, so that the test can stop reading from it. */
function tcpOf(client: TrackedClient): NetSocket {
  const engine = (
    client.socket as unknown as { io: { engine: { transport: { ws: { _socket: NetSocket } } } } }
  ).io.engine;
  return engine.transport.ws._socket;
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
      `insert into users (username, email, password_hash)
         select 'bulk_' || g, 'bulk_' || g || '@example.io', 'x' from generate_series(1, ${OFFERS}) g`,
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
