// Missed events come back from the durable log, exactly once and in order, after a reconnect.
import { describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferEventPublic } from '../../src/contract/schemas.ts';
import type { EventsSince } from '../../src/contract/socket-events.ts';
import { MAX_BYTES_PER_READ } from '../../src/domain/offer-log.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';
import { closeAll, ok } from '../helpers/sockets.ts';
import { until } from '../helpers/wait.ts';

const suite = useLiveServer();
const live = (user: TestUser) => suite.live(user);

/** Cleaners keep offering and rescinding on the cleaning until stopped: a steady stream of commits. */
function keepCommitting(cleaners: TestUser[], cleaning: CleaningPublic) {
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(cleaners.map((c) => c.api.post(offersPath(cleaning))));
      await Promise.all(cleaners.map((c) => c.api.delete(offersPath(cleaning))));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

const offersPath = (c: CleaningPublic) => `/api/cleanings/${c.id}/offers/`;

/** Waits until the cleaning's log, as `reader` may see it, has an event after `seq`; resolves with its last seq. */
async function logPast(reader: TestUser, cleaning: CleaningPublic, seq: number): Promise<number> {
  let last = seq;
  await until(
    async () => {
      const res = await reader.api.get<OfferEventPublic[]>(
        `/api/cleanings/${cleaning.id}/events/?since=${seq}`,
      );
      last = res.body.at(-1)?.seq ?? seq;
      return last > seq;
    },
    10_000,
    `an event after seq ${seq}`,
  );
  return last;
}
const seqs = (events: OfferEventPublic[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('replay after a reconnect', () => {
  it('gives an owner who resubscribes with its last seq exactly the missed events, in order', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaners = await makeUsers(suite.server.url, 4);
    const cleaning = await makeCleaning(owner);
    const first = await live(owner);
    await ok(first.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    await makeOffers(cleaning, cleaners.slice(0, 2));
    await first.events.waitForExactly(2);
    const lastSeen = first.events.items.at(-1)!.seq;
    await closeAll(first.socket);

    await makeOffers(cleaning, cleaners.slice(2));
    await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaners[0]!.username}/`);

    const again = await live(owner);
    const replay = (await ok(again.socket, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
      since: lastSeen,
    })) as EventsSince;
    expect(seqs(replay.events)).toEqual(range(3, 8));
    expect(replay.seq).toBe(8);
    await cleaners[0]!.api.put(offersPath(cleaning));
    await again.events.waitForExactly(4);
    expect(seqs(again.events.items)).toEqual(range(9, 12));
  });

  it('gives a cleaner exactly the missed events of all their offers through offers:sync', async () => {
    const cleaner = await makeUser(suite.server.url);
    const [ownerA, ownerB] = await makeUsers(suite.server.url, 2);
    const [a, b] = [await makeCleaning(ownerA!), await makeCleaning(ownerB!)];
    const rival = await makeUser(suite.server.url);
    const first = await live(cleaner);
    await makeOffers(a, [cleaner, rival]);
    await makeOffers(b, [cleaner]);
    await first.events.waitFor(2);
    const cursors = { [a.id]: 1, [b.id]: 1 };
    await closeAll(first.socket);

    await ownerA!.api.put(`/api/cleanings/${a.id}/offers/${rival.username}/`); // a: 3 accepted(rival), 4 rejected(cleaner)
    await rival.api.put(offersPath(a)); // a: 5 cancelled(rival), 6 pending(cleaner)
    await ownerB!.api.put(`/api/cleanings/${b.id}/offers/${cleaner.username}/`); // b: 2 accepted

    const again = await live(cleaner);
    const res = await ok(again.socket, 'offers:sync', { cursors });
    // The cleaner's own room is joined at connect, so a commit whose notification is still on its way can reach
    // the new socket as a push before the sync runs; the sync then stops short of it. Either way, once each.
    const expected = [`${a.id}:4:rejected`, `${a.id}:6:pending`, `${b.id}:2:accepted`];
    // Exactly: a stray duplicate would overcount.
    await again.events.waitForExactly(expected.length - res.events.length);
    const received = [...res.events, ...again.events.items]
      .sort((x, y) => x.cleaning_id - y.cleaning_id || x.seq - y.seq)
      .map((e) => `${e.cleaning_id}:${e.seq}:${e.type}`);
    expect(received).toEqual(expected);
    expect(res.events.every((e) => e.user_id === cleaner.id)).toBe(true);
  });

  it('pages offers:sync across cleanings, at most 5000 events or 256 KiB a call, each event once and in order', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaners = await makeUsers(suite.server.url, 60);
    const [a, b, c] = [await makeCleaning(owner), await makeCleaning(owner), await makeCleaning(owner)];
    // Every accept rejects each other pending offer and every cancel sets them back: 3720 events per cleaning.
    await Promise.all(
      [a, b].map(async (cleaning) => {
        await makeOffers(cleaning, cleaners);
        for (const cleaner of cleaners) {
          await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
          await cleaner.api.put(offersPath(cleaning));
        }
      }),
    );
    await makeOffers(c, cleaners.slice(0, 2));
    const logs = await Promise.all(
      [a, b, c].map(async (cleaning) => {
        const res = await owner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`);
        return res.body;
      }),
    );
    expect(logs.map((log) => log.length)).toEqual([3720, 3720, 2]);

    const { socket } = await live(owner);
    const cursors: Record<string, number> = { [a.id]: 0, [b.id]: 0, [c.id]: 0 };
    const pages: { events: OfferEventPublic[]; more: boolean }[] = [];
    do {
      const page = await ok(socket, 'offers:sync', { cursors });
      pages.push(page);
      for (const e of page.events) cursors[e.cleaning_id] = e.seq;
    } while (pages.at(-1)!.more && pages.length < 100);
    // Each page stops at 5000 events or 256 KiB of JSON, whichever comes first; only the last says no more.
    expect(pages.map((p) => p.more)).toEqual([...pages.slice(1).map(() => true), false]);
    for (const p of pages) {
      expect(p.events.length).toBeLessThanOrEqual(5000);
      expect(Buffer.byteLength(JSON.stringify(p.events))).toBeLessThanOrEqual(MAX_BYTES_PER_READ);
    }
    expect(pages.flatMap((p) => p.events)).toHaveLength(3720 * 2 + 2);
    const received = pages.flatMap((p) => p.events);
    for (const [i, cleaning] of [a, b, c].entries()) {
      const mine = received.filter((e) => e.cleaning_id === cleaning.id);
      expect(mine).toEqual(logs[i]);
    }
  });

  it('replays more than any in-memory window would hold', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaners = await makeUsers(suite.server.url, 10);
    const cleaning = await makeCleaning(owner);
    for (let round = 0; round < 15; round++) {
      await Promise.all(cleaners.map((c) => c.api.post(offersPath(cleaning))));
      await Promise.all(cleaners.map((c) => c.api.delete(offersPath(cleaning))));
    }
    const socket = (await live(owner)).socket;
    const replay = (await ok(socket, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
      since: 0,
    })) as EventsSince;
    expect(seqs(replay.events)).toEqual(range(1, 300));
  });

  it('never duplicates or reorders while commands keep committing during the resubscribe', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaners = await makeUsers(suite.server.url, 6);
    const cleaning = await makeCleaning(owner);
    const stopCommitting = keepCommitting(cleaners, cleaning);
    let since = 0;
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        // Each attempt starts from a log that moved on since the last one.
        since = await logPast(owner, cleaning, since);
        const client = await live(owner);
        const replay = (await ok(client.socket, 'cleaning:subscribe', {
          cleaning_id: cleaning.id,
          since,
        })) as EventsSince;
        await client.events.waitFor(3); // commits keep coming: some are pushed after the answer
        await closeAll(client.socket);
        const received = [...seqs(replay.events), ...seqs(client.events.items)];
        expect(received.length).toBeGreaterThan(0);
        // Exactly since+1, since+2, ... with nothing missing, repeated or out of order.
        expect(received).toEqual(range(since + 1, since + received.length));
      }
    } finally {
      await stopCommitting();
    }
  });

  it('gives a snapshot and then exactly the pushes that follow it, while commands keep committing', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaners = await makeUsers(suite.server.url, 6);
    const cleaning = await makeCleaning(owner);
    const stopCommitting = keepCommitting(cleaners, cleaning);
    let last = 0;
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        await logPast(owner, cleaning, last);
        const client = await live(owner);
        const snapshot = await ok(client.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
        last = snapshot.seq;
        await client.events.waitFor(3);
        await closeAll(client.socket);
        const pushed = seqs(client.events.items);
        expect(pushed.length).toBeGreaterThan(0);
        expect(pushed).toEqual(range(snapshot.seq + 1, snapshot.seq + pushed.length));
      }
    } finally {
      await stopCommitting();
    }
  });

  it('never gives a cleaner an event twice when pushes and offers:sync overlap', async () => {
    const cleaner = await makeUser(suite.server.url);
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, [cleaner]);
    const others = await makeUsers(suite.server.url, 3);
    await makeOffers(cleaning, others);
    const lastSeen = await cleaner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`);
    const lastSeq = lastSeen.body.at(-1)?.seq ?? 0;
    let running = true;
    // Each offer in turn is accepted, rejecting the others, then cancelled, putting them back to pending; the
    // round trips run on while the cleaner connects and syncs.
    const churn = (async () => {
      for (let i = 0; running && i < 8; i++) {
        const target = [cleaner, ...others][i % 4]!;
        await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${target.username}/`);
        await target.api.put(offersPath(cleaning));
      }
    })();
    try {
      await logPast(cleaner, cleaning, lastSeq);
      const client = await live(cleaner);
      const res = await ok(client.socket, 'offers:sync', { cursors: { [cleaning.id]: 0 } });
      await churn;
      const log = (await cleaner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`)).body;
      // Every event of the log not in the answer comes as a push, once: a duplicate would overcount.
      await client.events.waitForExactly(log.length - res.events.length);
      const all = [...seqs(res.events), ...seqs(client.events.items)];
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort((x, y) => x - y)).toEqual(seqs(log));
      expect(seqs(res.events)).toEqual([...seqs(res.events)].sort((x, y) => x - y));
      expect(seqs(client.events.items)).toEqual([...seqs(client.events.items)].sort((x, y) => x - y));
    } finally {
      running = false;
      await churn;
    }
  });
});
