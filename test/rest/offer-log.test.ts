import { describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferEventPublic, OfferPublic } from '../../src/contract/schemas.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { foldEvents, isGapless, statusesByUser } from '../helpers/offer-log.ts';
import { useLiveServer } from '../helpers/live-server.ts';

const suite = useLiveServer();

const eventsPath = (c: CleaningPublic, since?: number) =>
  `/api/cleanings/${c.id}/events/${since === undefined ? '' : `?since=${since}`}`;
const offersPath = (c: CleaningPublic) => `/api/cleanings/${c.id}/offers/`;
const offerPath = (c: CleaningPublic, u: TestUser) => `/api/cleanings/${c.id}/offers/${u.username}/`;

/** Create 4 offers, accept the 2nd, the accepted one cancels, the 4th rescinds: 4 + 4 + 3 + 1 = 12 events. */
async function busyCleaning() {
  const owner = await makeUser(suite.server.url);
  const cleaners = await makeUsers(suite.server.url, 4);
  const cleaning = await makeCleaning(owner);
  await makeOffers(cleaning, cleaners);
  expect((await owner.api.put(offerPath(cleaning, cleaners[1]!))).status).toBe(200);
  expect((await cleaners[1]!.api.put(offersPath(cleaning))).status).toBe(200);
  expect((await cleaners[3]!.api.delete(offersPath(cleaning))).status).toBe(200);
  return { owner, cleaners, cleaning };
}

describe('the offer log', () => {
  it('records one event per affected offer, in order, for the owner', async () => {
    const { owner, cleaners, cleaning } = await busyCleaning();
    const res = await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning));
    expect(res.status).toBe(200);
    const [c0, c1, c2, c3] = cleaners.map((c) => c.id);
    expect(res.body.map((e) => [e.seq, e.type, e.user_id])).toEqual([
      [1, 'created', c0],
      [2, 'created', c1],
      [3, 'created', c2],
      [4, 'created', c3],
      [5, 'accepted', c1],
      [6, 'rejected', c0],
      [7, 'rejected', c2],
      [8, 'rejected', c3],
      [9, 'cancelled', c1],
      [10, 'pending', c0],
      [11, 'pending', c2],
      [12, 'pending', c3],
      [13, 'rescinded', c3],
    ]);
    for (const e of res.body) {
      expect(e.cleaning_id).toBe(cleaning.id);
      expect(Date.parse(e.at)).not.toBeNaN();
      if (e.type === 'rescinded') expect(e.offer).toBeNull();
      else
        expect(e.offer).toMatchObject({
          user_id: e.user_id,
          cleaning_id: cleaning.id,
          status: e.offer!.status,
        });
    }
    expect(res.body.find((e) => e.type === 'accepted')!.offer!.status).toBe('accepted');
  });

  it('shows an offerer only the events about their own offer', async () => {
    const { cleaners, cleaning } = await busyCleaning();
    const res = await cleaners[0]!.api.get<OfferEventPublic[]>(eventsPath(cleaning));
    expect(res.status).toBe(200);
    expect(res.body.map((e) => [e.seq, e.type])).toEqual([
      [1, 'created'],
      [6, 'rejected'],
      [10, 'pending'],
    ]);
    expect(res.body.every((e) => e.user_id === cleaners[0]!.id)).toBe(true);
  });

  it('still shows a user who rescinded the events about their offer', async () => {
    const { cleaners, cleaning } = await busyCleaning();
    const res = await cleaners[3]!.api.get<OfferEventPublic[]>(eventsPath(cleaning));
    expect(res.body.map((e) => e.type)).toEqual(['created', 'rejected', 'pending', 'rescinded']);
  });

  it('answers 403 to anyone else, and 404 for an unknown cleaning', async () => {
    const { cleaning } = await busyCleaning();
    const stranger = await makeUser(suite.server.url);
    const res = await stranger.api.get(eventsPath(cleaning));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Unable to access events.', code: 'EVENTS_FORBIDDEN' });
    expect((await stranger.api.get('/api/cleanings/987654321/events/')).status).toBe(404);
  });

  it('returns only the events after `since`', async () => {
    const { owner, cleaners, cleaning } = await busyCleaning();
    const owners = await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning, 10));
    expect(owners.body.map((e) => e.seq)).toEqual([11, 12, 13]);
    const mine = await cleaners[0]!.api.get<OfferEventPublic[]>(eventsPath(cleaning, 6));
    expect(mine.body.map((e) => e.seq)).toEqual([10]);
    expect((await owner.api.get(eventsPath(cleaning, 13))).body).toEqual([]);
  });

  it.each([['-1'], ['abc'], ['1.5'], ['1e3']])('answers 422 for since=%s', async (since) => {
    const { owner, cleaning } = await busyCleaning();
    const res = await owner.api.get(`/api/cleanings/${cleaning.id}/events/?since=${since}`);
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['query', 'since']);
  });

  it('rebuilds the current offer statuses from the events alone', async () => {
    const { owner, cleaning } = await busyCleaning();
    const events = (await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning))).body;
    const offers = (await owner.api.get<OfferPublic[]>(offersPath(cleaning))).body;
    expect(foldEvents(events)).toEqual(statusesByUser(offers));
    // Each event's offer is exactly the row as it was after the change.
    const lastByUser = new Map(events.filter((e) => e.offer).map((e) => [e.user_id, e.offer!]));
    for (const offer of offers) expect(lastByUser.get(offer.user_id)).toEqual({ ...offer, user: null });
  });

  it('stays gapless and in commit order under concurrent commands', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaners = await makeUsers(suite.server.url, 20);
    const cleaning = await makeCleaning(owner);
    await Promise.all(cleaners.map((c) => c.api.post(offersPath(cleaning))));
    await Promise.all([
      ...cleaners.slice(0, 5).map((c) => c.api.delete(offersPath(cleaning))),
      ...cleaners.slice(5, 10).map((c) => owner.api.put(offerPath(cleaning, c))),
    ]);
    const events = (await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning))).body;
    expect(isGapless(events)).toBe(true);
    const offers = (await owner.api.get<OfferPublic[]>(offersPath(cleaning))).body;
    expect(foldEvents(events)).toEqual(statusesByUser(offers));
  });

  it('keeps separate, gapless sequences per cleaning', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaners = await makeUsers(suite.server.url, 6);
    const cleanings = await Promise.all([makeCleaning(owner), makeCleaning(owner), makeCleaning(owner)]);
    await Promise.all(cleanings.flatMap((cleaning) => cleaners.map((c) => c.api.post(offersPath(cleaning)))));
    for (const cleaning of cleanings) {
      const events = (await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning))).body;
      expect(events).toHaveLength(6);
      expect(isGapless(events)).toBe(true);
    }
  });

  it('writes nothing when a command fails', async () => {
    const { owner, cleaners, cleaning } = await busyCleaning();
    const before = (await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning))).body;
    expect((await cleaners[0]!.api.put(offersPath(cleaning))).status).toBe(400);
    expect((await owner.api.post(offersPath(cleaning))).status).toBe(400);
    expect((await cleaners[0]!.api.post(offersPath(cleaning))).status).toBe(400);
    const after = (await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning))).body;
    expect(after).toEqual(before);
  });
});
