// The README's ordering promise, kept for a raw socket.io client that follows the README literally (not the
// SDK), on two nodes: per cleaning, a connection never receives a seq lower than one it already received,
// whether in an answer or in a push, and nothing is lost or repeated between pages and pushes.
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import type { Em } from '../../src/db/orm.ts';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { pgAdminUrl } from '../helpers/services.ts';
import { closeAll, connect, Recorder } from '../helpers/sockets.ts';

let a: TestServer;
let b: TestServer;
const sockets: Socket[] = [];
// Two nodes share one database only on PostgreSQL: an embedded PGlite belongs to one process.
const onPostgres = Boolean(pgAdminUrl);
beforeAll(async () => {
  if (!onPostgres) return;
  // Two nodes on one database, with no Redis between them: pushes reach B only through the log.
  a = await startServer();
  b = await startServer({ db: a.db });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await b?.close();
  await a?.close();
});

type Received = { cleaning_id: number; seq: number; via: 'answer' | 'push' };

/** A bare socket.io client that notes every event it receives, in answers and pushes, in arrival order. */
async function rawClient(url: string, auth: Record<string, unknown>) {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  const received: Received[] = [];
  socket.on('offer:event', (e: OfferEventPublic) => received.push({ ...e, via: 'push' }));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    received,
    async ask(event: string, payload: unknown): Promise<any> {
      const res = (await socket.timeout(20_000).emitWithAck(event, payload)) as {
        ok: boolean;
        data: { events?: OfferEventPublic[] };
      };
      expect(res.ok).toBe(true);
      for (const e of res.data.events ?? []) received.push({ ...e, via: 'answer' });
      return res.data;
    },
    /** Resolves once a push of `seq` arrived. */
    async pushed(seq: number) {
      while (!received.some((r) => r.via === 'push' && r.seq === seq))
        await new Promise<void>((resolve) => socket.once('offer:event', () => resolve()));
    },
  };
}

const seqsOf = (received: Received[], cleaningId: number) =>
  received.filter((r) => r.cleaning_id === cleaningId).map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.runIf(onPostgres)('the ordering promise, for a client that follows the README', () => {
  it('pages a long replay from next_since while commits keep coming, losing and repeating nothing', async () => {
    const owner = await makeUser(a.url);
    const cleaner = await makeUser(a.url);
    const cleaning = await makeCleaning(owner);
    // A long history, written straight into the log (no pushes): 6,000 events, more than one page.
    const em = a.app.orm.em.fork() as Em;
    await em.execute(
      `insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
       select ?, g, 'rescinded', ?, null, now() from generate_series(1, 6000) g`,
      [cleaning.id, cleaner.id],
    );
    await em.execute('update cleanings set last_seq = 6000 where id = ?', [cleaning.id]);

    const client = await rawClient(b.url, { token: owner.token });
    const probe = await connect(b.url, cleaner.token);
    const probed = new Recorder<OfferEventPublic>(probe, 'offer:event');

    const first = await client.ask('cleaning:subscribe', { cleaning_id: cleaning.id, since: 0 });
    expect(first.more).toBe(true);
    expect(first.next_since).toBe(first.events.at(-1).seq);
    // A commit on the other node between the pages: node B has pushed it (its cleaner's socket got it) ...
    expect((await new Api(a.url, cleaner.token).post(`/api/cleanings/${cleaning.id}/offers/`)).status).toBe(
      201,
    );
    await probed.waitForExactly(1, 10_000);
    // ... but not to the owner's socket, whose replay is not complete yet.
    expect(client.received.filter((r) => r.via === 'push')).toEqual([]);

    // The README's rule: with `more`, ask again from `next_since`, until an answer says no more.
    let page = first;
    while (page.more) {
      page = await client.ask('cleaning:subscribe', { cleaning_id: cleaning.id, since: page.next_since });
      if (!page.more) expect(page.next_since).toBeUndefined();
    }
    expect((await new Api(a.url, cleaner.token).delete(`/api/cleanings/${cleaning.id}/offers/`)).status).toBe(
      200,
    );
    await client.pushed(6002);

    expect(seqsOf(client.received, cleaning.id)).toEqual(range(1, 6002));
    await closeAll(probe);
  });

  it('holds a sync-first connection’s own-offer pushes until its offers:sync has answered', async () => {
    const owner = await makeUser(a.url);
    const [cleaner, rival] = [await makeUser(a.url), await makeUser(a.url)];
    const cleaning = await makeCleaning(owner);
    const offers = `/api/cleanings/${cleaning.id}/offers/`;
    await new Api(a.url, cleaner.token).post(offers); // 1: created (the cleaner's last seq)
    await new Api(a.url, rival.token).post(offers); // 2: created (the rival's)
    // While the cleaner is away: the rival is accepted (3), the cleaner rejected (4).
    await new Api(a.url, owner.token).put(`${offers}${rival.username}/`);

    const client = await rawClient(b.url, { token: cleaner.token, sync_first: true });
    const probe = await connect(b.url, cleaner.token);
    const probed = new Recorder<OfferEventPublic>(probe, 'offer:event');
    // Before the cleaner syncs, the rival cancels (5) and the cleaner's offer is pending again (6): node B has
    // pushed 6 to the cleaner's other socket, and holds it for the sync-first one.
    await new Api(a.url, rival.token).put(offers);
    expect((await probed.waitForExactly(1, 10_000)).map((e) => e.seq)).toEqual([6]);
    expect(client.received).toEqual([]);

    const sync = await client.ask('offers:sync', { cursors: { [cleaning.id]: 1 } });
    expect(sync.more).toBe(false);
    await new Api(a.url, owner.token).put(`${offers}${cleaner.username}/`); // 7: accepted
    await client.pushed(7);

    expect(seqsOf(client.received, cleaning.id)).toEqual([4, 6, 7]);
    expect(client.received.map((r) => r.via)).toEqual(['answer', 'answer', 'push']);
    await closeAll(probe);
  });
});
