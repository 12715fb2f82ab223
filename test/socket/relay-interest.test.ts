// Every node hears every commit's announcement. A node none of whose sockets is in a room the events go to
// (the cleaning's subscribers, the users whose offers they touch) must pass over it without reading anything
// back from the log; a node with such a socket still pushes everything, in order. The relay under test has
// its own socket.io server and counts its reads of the log; a second server commits over REST.
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferEventPublic } from '../../src/contract/schemas.ts';
import type { Em } from '../../src/db/orm.ts';
import { readOffersHeader } from '../../src/events/channel.ts';
import { postgresEventListener } from '../../src/events/listeners.ts';
import { readEventRange, readEventsSince, readNotice, readNoticesSince } from '../../src/events/log-reads.ts';
import { createEventRelay, type EventRelay } from '../../src/events/relay.ts';
import { createLogger } from '../../src/logger.ts';
import { roomForUser } from '../../src/realtime/rooms.ts';
import type { IoServer } from '../../src/realtime/socket-types.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { pgAdminUrl } from '../helpers/services.ts';
import { Recorder, TEST_TRANSPORTS, closeAll, type ClientSocket } from '../helpers/sockets.ts';
import { until } from '../helpers/wait.ts';

let server: TestServer;
let http: HttpServer;
let io: IoServer;
let relay: EventRelay;
let relayUrl: string;
const heard: string[] = [];
const rangeReads: { cleaningId: number; fromSeq: number; toSeq: number }[] = [];
const outcomes = { skipped: 0, processed: 0 };
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  if (!pgAdminUrl) return;
  server = await startServer();
  const fork = () => server.app.orm.em.fork() as Em;
  const listener = postgresEventListener(server.db.url!, createLogger('silent'));
  http = createServer();
  io = new Server(http) as IoServer;
  io.on('connection', (socket) => void socket.join(roomForUser(Number(socket.handshake.auth.userId))));
  relay = createEventRelay({
    io,
    logger: createLogger('silent'),
    listener: {
      start: (onPayload, onReconnected) =>
        listener.start((payload) => {
          heard.push(payload);
          onPayload(payload);
        }, onReconnected),
      stop: () => listener.stop(),
    },
    reader: {
      range(cleaningId, fromSeq, toSeq) {
        rangeReads.push({ cleaningId, fromSeq, toSeq });
        return readEventRange(fork(), cleaningId, fromSeq, toSeq);
      },
      since: (at, after) => readEventsSince(fork(), at, after),
      notice: (id) => readNotice(fork(), id),
      noticesSince: (at, afterPosition) => readNoticesSince(fork(), at, afterPosition),
    },
    onAnnouncement: (outcome) => outcomes[outcome]++,
  });
  await relay.start();
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  relayUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeAll(...sockets);
  await relay?.stop();
  io?.close();
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

/** The announcements of `cleaningId`'s offer events heard by the relay, as their headers. */
const announced = (cleaningId: number) =>
  heard.flatMap((payload) => {
    const header = readOffersHeader(payload);
    return header?.cleaningId === cleaningId ? [{ header, inline: payload.includes('"e":') }] : [];
  });

/** A cleaning with enough offers that accepting one is announced by position, to be read back. */
async function bigAccept(owner: TestUser, offerers: TestUser[]): Promise<CleaningPublic> {
  const cleaning = await makeCleaning(owner, { description: 'x'.repeat(400) });
  await makeOffers(cleaning, offerers);
  const accepted = offerers[0]!.username;
  expect((await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${accepted}/`)).status).toBe(200);
  return cleaning;
}

describe.runIf(pgAdminUrl)('the offer log relay on a node with no socket that needs an announcement', () => {
  it('passes over a big accept without reading it back, and reads it back for an offerer connected here', async () => {
    const owner = await makeUser(server.url);
    const offerers = await makeUsers(server.url, 45);

    const unwatched = await bigAccept(owner, offerers);
    await until(async () => announced(unwatched.id).length === 46, 20_000, 'the announcements');
    const accept = announced(unwatched.id).at(-1)!;
    expect(accept.inline).toBe(false);
    expect(accept.header.userIds).toHaveLength(45);
    await until(async () => outcomes.skipped >= 46, 10_000, 'every announcement passed over');
    expect(rangeReads).toEqual([]);
    expect(outcomes.processed).toBe(0);

    // One rejected offerer connected to this node: the same kind of accept is read back, once, and pushed.
    const rejected = offerers[44]!;
    const pushes = new Recorder<OfferEventPublic>(await connectAs(rejected.id), 'offer:event');
    const watched = await bigAccept(owner, offerers);
    const events = await pushes.waitFor(2);
    expect(events.map((e) => [e.cleaning_id, e.user_id, e.type])).toEqual([
      [watched.id, rejected.id, 'created'],
      [watched.id, rejected.id, 'rejected'],
    ]);
    expect(events[1]!.seq).toBeGreaterThan(45);
    expect(rangeReads).toEqual([{ cleaningId: watched.id, fromSeq: 46, toSeq: 90 }]);
  });

  it('counts an announcement passed over as pushed, so no gap is read back when a socket needs the next', async () => {
    const owner = await makeUser(server.url);
    const [first, second] = await makeUsers(server.url, 2);
    const cleaning = await makeCleaning(owner);
    const offers = `/api/cleanings/${cleaning.id}/offers/`;
    const reads = rangeReads.length;

    // Pushed (seq 1) while the first offerer is connected here, then passed over (seq 2) once they left.
    let socket = await connectAs(first!.id);
    let pushes = new Recorder<OfferEventPublic>(socket, 'offer:event');
    expect((await first!.api.post(offers)).status).toBe(201);
    await pushes.waitFor(1);
    socket.close();
    await until(async () => !io.of('/').adapter.rooms.has(roomForUser(first!.id)), 10_000);
    const skipped = outcomes.skipped;
    expect((await second!.api.post(offers)).status).toBe(201);
    await until(async () => outcomes.skipped === skipped + 1, 10_000, 'the second offer passed over');

    // Back: the rescind (seq 3) follows what this node passed over, so nothing is missing before it.
    socket = await connectAs(first!.id);
    pushes = new Recorder<OfferEventPublic>(socket, 'offer:event');
    expect((await first!.api.delete(offers)).status).toBe(200);
    const [rescind] = await pushes.waitFor(1);
    expect([rescind!.seq, rescind!.type]).toEqual([3, 'rescinded']);
    expect(rangeReads.length).toBe(reads);
  });
});
