// A node hears commits through its own LISTEN connection. When that connection drops, the node reads back
// from the log what it missed while deaf. Those events must still reach their sockets, and before anything
// heard on the new connection, even when the node had never pushed anything of that cleaning before. The
// relay's LISTEN connection goes through a proxy that can cut it and hold what PostgreSQL sends on it.
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import type { Em } from '../../src/db/orm.ts';
import { decodeAnnouncement, EVENT_CHANNEL } from '../../src/events/channel.ts';
import { postgresEventListener } from '../../src/events/listeners.ts';
import { readEventRange, readEventsSince, readNotice, readNoticesSince } from '../../src/events/log-reads.ts';
import { createEventRelay, type EventRelay } from '../../src/events/relay.ts';
import { createLogger } from '../../src/logger.ts';
import { roomForUser } from '../../src/realtime/rooms.ts';
import type { IoServer } from '../../src/realtime/socket-types.ts';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { pgAdminUrl } from '../helpers/services.ts';
import { Recorder, TEST_TRANSPORTS, closeAll, type ClientSocket } from '../helpers/sockets.ts';
import { until } from '../helpers/wait.ts';

/** Lets a test decide when the relay's catch-up read may go ahead, and make the first one fail. */
class CatchUpControl {
  calls = 0;
  failNext = false;
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release() {
    this.open();
  }
}

let server: TestServer;
let http: HttpServer;
let io: IoServer;
let relay: EventRelay;
let relayUrl: string;
const heard: string[] = [];
const relayLogs: Record<string, unknown>[] = [];
const catchUp = new CatchUpControl();
const sockets: ClientSocket[] = [];
let proxy: FaultProxy;

beforeAll(async () => {
  if (!pgAdminUrl) return;
  // The server commits over REST; the relay under test is a second one, with sockets of its own.
  server = await startServer();
  const dbUrl = new URL(server.db.url!);
  proxy = await startFaultProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
  dbUrl.host = proxy.address;

  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) relayLogs.push(JSON.parse(line));
        done();
      },
    }),
  );
  const fork = () => server.app.orm.em.fork() as Em;
  const listener = postgresEventListener(dbUrl.toString(), logger);
  http = createServer();
  io = new Server(http) as IoServer;
  io.on('connection', (socket) => void socket.join(roomForUser(Number(socket.handshake.auth.userId))));
  relay = createEventRelay({
    io,
    logger,
    listener: {
      start: (onPayload, onReconnected) =>
        listener.start((payload) => {
          heard.push(payload);
          onPayload(payload);
        }, onReconnected),
      stop: () => listener.stop(),
    },
    reader: {
      range: (cleaningId, from, to) => readEventRange(fork(), cleaningId, from, to),
      async since(at, after) {
        catchUp.calls++;
        await catchUp.opened;
        if (catchUp.failNext) {
          catchUp.failNext = false;
          throw new Error('connection terminated unexpectedly');
        }
        return readEventsSince(fork(), at, after);
      },
      notice: (id) => readNotice(fork(), id),
      noticesSince: (at, afterPosition) => readNoticesSince(fork(), at, afterPosition),
    },
  });
  await relay.start();
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  relayUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  catchUp.release();
  await closeAll(...sockets);
  await relay?.stop();
  io?.close();
  await proxy?.close();
  await server?.close();
});

async function connectAs(userId: number): Promise<ClientSocket> {
  const socket = connectClient(relayUrl, {
    auth: { userId },
    transports: TEST_TRANSPORTS,
    reconnection: false,
    forceNew: true,
  }) as Socket as ClientSocket;
  sockets.push(socket);
  await once(socket as never, 'connect');
  return socket;
}

/** The offer events of `cleaningId` announced on the relay's connection. */
const offerAnnouncements = (cleaningId: number) =>
  heard.filter((payload) => {
    const announcement = decodeAnnouncement(payload);
    return announcement?.kind === 'offers' && announcement.cleaningId === cleaningId;
  });
const heardAbout = (cleaningId: number) => offerAnnouncements(cleaningId).length > 0;

describe.runIf(pgAdminUrl)('the offer log relay after its LISTEN connection drops', () => {
  it('pushes what it missed while deaf before anything it hears anew, and retries a failed read', async () => {
    const owner = await makeUser(server.url);
    const cleaner = await makeUser(server.url);
    const cleaning = await makeCleaning(owner);
    const socket = await connectAs(cleaner.id);
    const pushes = new Recorder<OfferEventPublic>(socket, 'offer:event');
    const offers = `/api/cleanings/${cleaning.id}/offers/`;

    // Deaf: the relay's connection is cut and cannot come back while the cleaner offers (seq 1).
    proxy.refusing = true;
    proxy.cut();
    expect((await cleaner.api.post(offers)).status).toBe(201);
    expect(heardAbout(cleaning.id)).toBe(false);

    // It reconnects. PostgreSQL's answer to LISTEN is held until the rescind (seq 2) is announced on the new
    // connection too; then both arrive in one read, the announcement before the relay knows it reconnected.
    const listenAnswer = proxy.holdAfter('LISTEN');
    proxy.refusing = false;
    const held = await listenAnswer;
    expect((await cleaner.api.delete(offers)).status).toBe(200);
    await until(async () => held.bytes().includes(EVENT_CHANNEL), 10_000, 'the held announcement');
    held.release();

    // The catch-up read is held by this test while the next offer (seq 3) is heard live.
    await until(async () => catchUp.calls === 1, 10_000, 'the catch-up read');
    expect(heardAbout(cleaning.id)).toBe(true);
    expect((await cleaner.api.post(offers)).status).toBe(201);
    await until(async () => offerAnnouncements(cleaning.id).length === 2, 10_000);
    await new Promise((r) => setImmediate(r));
    expect(pushes.items).toEqual([]);

    // The read fails once (the database is still settling), then succeeds.
    catchUp.failNext = true;
    catchUp.release();
    const received = await pushes.waitFor(3);
    expect(received.map((e) => [e.seq, e.type])).toEqual([
      [1, 'created'],
      [2, 'rescinded'],
      [3, 'created'],
    ]);
    expect(catchUp.calls).toBeGreaterThanOrEqual(2);
    expect(relayLogs.some((l) => l.msg === 'event log catch-up failed; retrying')).toBe(true);

    // Nothing more, and nothing twice, once a later push has come through.
    const again = await makeCleaning(owner);
    expect((await cleaner.api.post(`/api/cleanings/${again.id}/offers/`)).status).toBe(201);
    await pushes.waitFor(4);
    expect(pushes.items.map((e) => [e.cleaning_id, e.seq])).toEqual([
      [cleaning.id, 1],
      [cleaning.id, 2],
      [cleaning.id, 3],
      [again.id, 1],
    ]);
  });
});
