import { describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferEventPublic } from '../../src/contract/schemas.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';
import { command, ok, Recorder } from '../helpers/sockets.ts';

const suite = useLiveServer();
const live = (user: TestUser) => suite.live(user);

const summary = (events: OfferEventPublic[]) => events.map((e) => `${e.seq}:${e.type}:${e.user_id}`);

describe('live fan-out', () => {
  it('pushes accept to everyone concerned, each exactly their own events, and cancel sends them back to pending', async () => {
    const N = 8;
    const owner = await live(await makeUser(suite.server.url));
    const cleaners = await Promise.all((await makeUsers(suite.server.url, N)).map(live));
    const cleaning = await makeCleaning(owner.user);
    await ok(owner.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    for (const c of cleaners) await ok(c.socket, 'offer:create', { cleaning_id: cleaning.id });
    await owner.events.waitForExactly(N);
    const chosen = cleaners[3]!;
    await ok(owner.socket, 'offer:accept', { cleaning_id: cleaning.id, username: chosen.user.username });
    await owner.events.waitForExactly(2 * N);
    const acceptSeq = N + 1;
    expect(owner.events.items[N]).toMatchObject({
      seq: acceptSeq,
      type: 'accepted',
      user_id: chosen.user.id,
    });
    expect(owner.events.items.slice(N + 1).map((e) => e.type)).toEqual(Array(N - 1).fill('rejected'));

    for (const c of cleaners) {
      await c.events.waitForExactly(2);
      expect(c.events.items.every((e) => e.user_id === c.user.id)).toBe(true);
      expect(c.events.items[1]!.type).toBe(c === chosen ? 'accepted' : 'rejected');
      expect(c.events.items[1]!.offer!.status).toBe(c === chosen ? 'accepted' : 'rejected');
    }

    await ok(chosen.socket, 'offer:cancel', { cleaning_id: cleaning.id });
    await owner.events.waitForExactly(3 * N);
    expect(owner.events.items.slice(2 * N).map((e) => e.type)).toEqual([
      'cancelled',
      ...Array(N - 1).fill('pending'),
    ]);
    for (const c of cleaners) {
      await c.events.waitForExactly(3);
      expect(c.events.items[2]!.type).toBe(c === chosen ? 'cancelled' : 'pending');
    }
    // Everyone saw seq only increase.
    for (const r of [owner, ...cleaners]) {
      const seqs = r.events.items.map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
  });

  it('pushes a cleaner’s own events to all of their sockets, without subscribing', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaner = await makeUser(suite.server.url);
    const phone = await live(cleaner);
    const laptop = await live(cleaner);
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, [cleaner]);
    await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
    for (const device of [phone, laptop]) {
      await device.events.waitForExactly(2);
      expect(summary(device.events.items)).toEqual([`1:created:${cleaner.id}`, `2:accepted:${cleaner.id}`]);
    }
  });

  it('pushes changes made over REST too', async () => {
    const owner = await live(await makeUser(suite.server.url));
    const cleaning = await makeCleaning(owner.user);
    await ok(owner.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    const cleaner = await makeUser(suite.server.url);
    await makeOffers(cleaning, [cleaner]);
    expect(summary(await owner.events.waitForExactly(1))).toEqual([`1:created:${cleaner.id}`]);
  });
});

describe('privacy', () => {
  it('gives a third user, a rejected cleaner and another cleaning’s owner nothing they may not read', async () => {
    const owner = await live(await makeUser(suite.server.url));
    const [winner, loser] = await Promise.all((await makeUsers(suite.server.url, 2)).map(live));
    const stranger = await live(await makeUser(suite.server.url));
    const otherOwner = await live(await makeUser(suite.server.url));
    const cleaning = await makeCleaning(owner.user);
    const otherCleaning = await makeCleaning(otherOwner.user);
    await ok(otherOwner.socket, 'cleaning:subscribe', { cleaning_id: otherCleaning.id });
    await ok(owner.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    // Neither may subscribe to someone else's cleaning.
    for (const outsider of [stranger, otherOwner]) {
      expect((await command(outsider.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id })).ok).toBe(
        false,
      );
    }

    await ok(winner!.socket, 'offer:create', { cleaning_id: cleaning.id });
    await ok(loser!.socket, 'offer:create', { cleaning_id: cleaning.id });
    await ok(owner.socket, 'offer:accept', { cleaning_id: cleaning.id, username: winner!.user.username });
    await ok(winner!.socket, 'offer:cancel', { cleaning_id: cleaning.id });
    // A failed command pushes nothing.
    expect((await command(loser!.socket, 'offer:create', { cleaning_id: cleaning.id })).ok).toBe(false);
    expect((await command(loser!.socket, 'offer:cancel', { cleaning_id: cleaning.id })).ok).toBe(false);
    await ok(loser!.socket, 'offer:rescind', { cleaning_id: cleaning.id });

    // Barrier: the outsiders now offer too. Pushes of one cleaning arrive in seq order, so once their own
    // "created" is in, anything they were sent before it would already be in too.
    await ok(stranger.socket, 'offer:create', { cleaning_id: cleaning.id });
    await ok(otherOwner.socket, 'offer:create', { cleaning_id: cleaning.id });
    await stranger.events.waitForExactly(1);
    await otherOwner.events.waitForExactly(1);

    expect(summary(stranger.events.items)).toEqual([`8:created:${stranger.user.id}`]);
    expect(summary(otherOwner.events.items)).toEqual([`9:created:${otherOwner.user.id}`]);
    const l = loser!.user.id;
    expect(summary(loser!.events.items)).toEqual([
      `2:created:${l}`,
      `4:rejected:${l}`,
      `6:pending:${l}`,
      `7:rescinded:${l}`,
    ]);
    const w = winner!.user.id;
    await winner!.events.waitForExactly(3);
    expect(summary(winner!.events.items)).toEqual([`1:created:${w}`, `3:accepted:${w}`, `5:cancelled:${w}`]);
    // The owner, subscribed, saw every event, in order, and nothing from the failed commands.
    await owner.events.waitForExactly(9);
    expect(owner.events.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('stops pushing to an owner who unsubscribed', async () => {
    const owner = await live(await makeUser(suite.server.url));
    const cleaner = await live(await makeUser(suite.server.url));
    const cleaning = await makeCleaning(owner.user);
    await ok(owner.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    await ok(cleaner.socket, 'offer:create', { cleaning_id: cleaning.id });
    await owner.events.waitForExactly(1);
    await ok(owner.socket, 'cleaning:unsubscribe', { cleaning_id: cleaning.id });
    await ok(cleaner.socket, 'offer:rescind', { cleaning_id: cleaning.id });
    await cleaner.events.waitForExactly(2);
    // Barrier on the owner: a fresh subscription's answer already covers seq 2, and nothing more arrives.
    const replay = await ok(owner.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id, since: 1 });
    expect('events' in replay && replay.events.map((e) => e.seq)).toEqual([2]);
    expect(owner.events.items.map((e) => e.seq)).toEqual([1]);
  });
});

describe('job board', () => {
  it('pushes posted, edited, assigned, reopened and deleted cleanings, with no offer details', async () => {
    const watcher = await makeUser(suite.server.url);
    const socket = await suite.socketFor(watcher);
    const kinds = [
      'cleaning:created',
      'cleaning:updated',
      'cleaning:assigned',
      'cleaning:reopened',
      'cleaning:deleted',
    ] as const;
    const board = new Recorder<[string, unknown]>(socket, kinds, (payload: unknown, kind) => [kind, payload]);
    await ok(socket, 'feed:subscribe', {});

    const owner = await makeUser(suite.server.url);
    const cleaner = await makeUser(suite.server.url);
    const cleaning: CleaningPublic = await makeCleaning(owner, { name: 'live job' });
    await owner.api.put(`/api/cleanings/${cleaning.id}/`, { json: { cleaning_update: { price: 20 } } });
    await makeOffers(cleaning, [cleaner]);
    await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
    await cleaner.api.put(`/api/cleanings/${cleaning.id}/offers/`);
    await owner.api.delete(`/api/cleanings/${cleaning.id}/`);
    const seen = await board.waitForExactly(5);
    expect(seen.map(([k]) => k)).toEqual([...kinds]);
    expect(seen[0]![1]).toMatchObject({ id: cleaning.id, name: 'live job', owner: owner.id });
    expect(seen[1]![1]).toMatchObject({ price: 20 });
    expect(seen[4]![1]).toEqual({ cleaning_id: cleaning.id });
    // Where the cleaning stands and how many offers it has are public; the offers themselves are not.
    expect(seen[2]![1]).toMatchObject({ status: 'assigned', total_offers: 1 });
    expect(seen[3]![1]).toMatchObject({ status: 'open', total_offers: 1 });
    expect(JSON.stringify(seen)).not.toMatch(/user_id|"offers"|"user"|pending|accepted|cancelled/);
  });
});
