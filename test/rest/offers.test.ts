import { describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferPublic } from '../../src/contract/schemas.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';

const suite = useLiveServer();

const offersPath = (c: CleaningPublic) => `/api/cleanings/${c.id}/offers/`;
const offerPath = (c: CleaningPublic, username: string) => `/api/cleanings/${c.id}/offers/${username}/`;

/** The reference's fixture: an owner's cleaning with pending offers from four cleaners. */
async function cleaningWithOffers() {
  const owner = await makeUser(suite.server.url);
  const cleaners = await makeUsers(suite.server.url, 4);
  const cleaning = await makeCleaning(owner, {
    name: 'cleaning with offers',
    price: 9.99,
    cleaning_type: 'full_clean',
  });
  await makeOffers(cleaning, cleaners);
  return { owner, cleaners, cleaning };
}

/** The same, after the first cleaner's offer was accepted (so the others are rejected). */
async function cleaningWithAcceptedOffer() {
  const fixture = await cleaningWithOffers();
  const res = await fixture.owner.api.put(offerPath(fixture.cleaning, fixture.cleaners[0]!.username));
  expect(res.status).toBe(200);
  return fixture;
}

async function statuses(owner: TestUser, cleaning: CleaningPublic) {
  const res = await owner.api.get<OfferPublic[]>(offersPath(cleaning));
  return new Map(res.body.map((o) => [o.user_id, o.status]));
}

describe('offer routes', () => {
  it('exist, and require authentication', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    for (const [method, path] of [
      ['POST', offersPath(cleaning)],
      ['GET', offersPath(cleaning)],
      ['GET', offerPath(cleaning, 'bradpitt')],
      ['PUT', offerPath(cleaning, 'bradpitt')],
      ['PUT', offersPath(cleaning)],
      ['DELETE', offersPath(cleaning)],
    ] as const) {
      expect((await suite.api.request(method, path)).status, `${method} ${path}`).toBe(401);
    }
  });
});

describe('creating offers', () => {
  it('lets a user offer on someone else’s cleaning', async () => {
    const [owner, cleaner] = await makeUsers(suite.server.url, 2);
    const cleaning = await makeCleaning(owner!);
    const res = await cleaner!.api.post(offersPath(cleaning));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      user_id: cleaner!.id,
      cleaning_id: cleaning.id,
      status: 'pending',
      user: null,
      cleaning: null,
    });
    expect(Object.keys(res.body).sort()).toEqual([
      'cleaning',
      'cleaning_id',
      'created_at',
      'status',
      'updated_at',
      'user',
      'user_id',
    ]);
  });

  it('refuses duplicate offers', async () => {
    const [owner, cleaner] = await makeUsers(suite.server.url, 2);
    const cleaning = await makeCleaning(owner!);
    expect((await cleaner!.api.post(offersPath(cleaning))).status).toBe(201);
    const res = await cleaner!.api.post(offersPath(cleaning));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      detail: "Users aren't allowed create more than one offer for a cleaning job.",
      code: 'DUPLICATE_OFFER',
    });
  });

  it('refuses an offer on your own cleaning', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    const res = await owner.api.post(offersPath(cleaning));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      detail: 'Users are unable to create offers for cleaning jobs they own.',
      code: 'OWN_CLEANING_OFFER',
    });
  });

  it('refuses unauthenticated users', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    expect((await suite.api.post(offersPath(cleaning))).status).toBe(401);
  });

  it.each([
    ['5000000', 404],
    ['-1', 422],
    ['None', 422],
  ])('answers for the cleaning id %s with %d', async (id, status) => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.post(`/api/cleanings/${id}/offers/`);
    expect(res.status).toBe(status);
    if (status === 404)
      expect(res.body).toEqual({ detail: 'No cleaning found with that id.', code: 'CLEANING_NOT_FOUND' });
  });
});

describe('getting offers', () => {
  it('lets the cleaning owner get any offerer’s offer', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithOffers();
    const cleaner = cleaners[2]!;
    const res = await owner.api.get(offerPath(cleaning, cleaner.username));
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(cleaner.id);
  });

  it('lets the offerer get their own offer', async () => {
    const { cleaners, cleaning } = await cleaningWithOffers();
    const res = await cleaners[0]!.api.get(offerPath(cleaning, cleaners[0]!.username));
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(cleaners[0]!.id);
  });

  it('forbids other users from viewing an offer', async () => {
    const { cleaners, cleaning } = await cleaningWithOffers();
    const res = await cleaners[0]!.api.get(offerPath(cleaning, cleaners[1]!.username));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Unable to access offer.', code: 'OFFER_FORBIDDEN' });
  });

  it('answers 403 to a third party whether or not the user or offer exists, so nobody can probe (fix)', async () => {
    const { cleaners, cleaning } = await cleaningWithOffers();
    const stranger = await makeUser(suite.server.url);
    const noOffer = await makeUser(suite.server.url);
    for (const username of [cleaners[1]!.username, noOffer.username, 'no_such_user_anywhere']) {
      const res = await stranger.api.get(offerPath(cleaning, username));
      expect(res.status, username).toBe(403);
      expect(res.body).toEqual({ detail: 'Unable to access offer.', code: 'OFFER_FORBIDDEN' });
    }
  });

  it('answers the owner 404 for an unknown user and for a user without an offer', async () => {
    const { owner, cleaning } = await cleaningWithOffers();
    const noOffer = await makeUser(suite.server.url);
    const unknown = await owner.api.get(offerPath(cleaning, 'no_such_user_anywhere'));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ detail: 'No user found with that username.', code: 'USER_NOT_FOUND' });
    const missing = await owner.api.get(offerPath(cleaning, noOffer.username));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'Offer not found.', code: 'OFFER_NOT_FOUND' });
  });

  it('lets the owner list every offer, newest first, with each offerer’s public data', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithOffers();
    await cleaners[1]!.api.put('/api/profiles/me/', {
      json: { profile_update: { full_name: 'Jennifer Lopez' } },
    });
    const res = await owner.api.get<OfferPublic[]>(offersPath(cleaning));
    expect(res.status).toBe(200);
    expect(res.body.map((o) => o.user_id)).toEqual(cleaners.map((c) => c.id).reverse());
    const jlo = res.body.find((o) => o.user_id === cleaners[1]!.id)!;
    expect(jlo.user).toEqual({
      id: cleaners[1]!.id,
      username: cleaners[1]!.username,
      profile: { full_name: 'Jennifer Lopez', bio: null, image: null },
      total_evaluations: 0,
      avg_overall_rating: null,
    });
    expect(JSON.stringify(res.body)).not.toContain('@example.io');
  });

  it('forbids non-owners from listing the offers', async () => {
    const { cleaners, cleaning } = await cleaningWithOffers();
    const res = await cleaners[0]!.api.get(offersPath(cleaning));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Unable to access offers.', code: 'OFFERS_FORBIDDEN' });
  });
});

describe('accepting offers', () => {
  it('lets the owner accept an offer', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithOffers();
    const res = await owner.api.put(offerPath(cleaning, cleaners[2]!.username));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'accepted',
      user_id: cleaners[2]!.id,
      cleaning_id: cleaning.id,
    });
  });

  it('forbids non-owners from accepting, before saying whether the offer exists (fix)', async () => {
    const { cleaners, cleaning } = await cleaningWithOffers();
    const stranger = await makeUser(suite.server.url);
    for (const username of [cleaners[0]!.username, 'no_such_user_anywhere']) {
      const res = await stranger.api.put(offerPath(cleaning, username));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        detail: 'Only the owner of the cleaning may accept offers.',
        code: 'ACCEPT_FORBIDDEN',
      });
    }
  });

  it('does not let the owner accept two offers', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithOffers();
    expect((await owner.api.put(offerPath(cleaning, cleaners[0]!.username))).status).toBe(200);
    const res = await owner.api.put(offerPath(cleaning, cleaners[1]!.username));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      detail: 'Can only accept offers that are currently pending.',
      code: 'OFFER_NOT_PENDING',
    });
  });

  it('refuses a new pending offer while another is accepted', async () => {
    const { owner, cleaning } = await cleaningWithAcceptedOffer();
    const late = await makeUser(suite.server.url);
    expect((await late.api.post(offersPath(cleaning))).status).toBe(201);
    const res = await owner.api.put(offerPath(cleaning, late.username));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      detail: 'That cleaning job already has an accepted offer.',
      code: 'ALREADY_ACCEPTED',
    });
  });

  it('rejects every other pending offer in the same transaction', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithOffers();
    const chosen = cleaners[1]!;
    await owner.api.put(offerPath(cleaning, chosen.username));
    const byUser = await statuses(owner, cleaning);
    for (const c of cleaners) expect(byUser.get(c.id)).toBe(c === chosen ? 'accepted' : 'rejected');
  });

  it('answers 404 for an unknown user and for a user without an offer', async () => {
    const { owner, cleaning } = await cleaningWithOffers();
    const noOffer = await makeUser(suite.server.url);
    expect((await owner.api.put(offerPath(cleaning, 'no_such_user_anywhere'))).body).toEqual({
      detail: 'No user found with that username.',
      code: 'USER_NOT_FOUND',
    });
    expect((await owner.api.put(offerPath(cleaning, noOffer.username))).body).toEqual({
      detail: 'Offer not found.',
      code: 'OFFER_NOT_FOUND',
    });
  });
});

describe('cancelling offers', () => {
  it('lets the accepted user cancel', async () => {
    const { cleaners, cleaning } = await cleaningWithAcceptedOffer();
    const res = await cleaners[0]!.api.put(offersPath(cleaning));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'cancelled',
      user_id: cleaners[0]!.id,
      cleaning_id: cleaning.id,
    });
  });

  it('only cancels accepted offers', async () => {
    const { cleaners, cleaning } = await cleaningWithAcceptedOffer();
    const res = await cleaners[1]!.api.put(offersPath(cleaning));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      detail: 'Can only cancel offers that have been accepted.',
      code: 'OFFER_NOT_ACCEPTED',
    });
  });

  it('sets every other offer back to pending', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithAcceptedOffer();
    expect((await cleaners[0]!.api.put(offersPath(cleaning))).status).toBe(200);
    const byUser = await statuses(owner, cleaning);
    expect(byUser.get(cleaners[0]!.id)).toBe('cancelled');
    for (const c of cleaners.slice(1)) expect(byUser.get(c.id)).toBe('pending');
  });

  it('answers 404 to someone without an offer, such as the owner', async () => {
    const { owner, cleaning } = await cleaningWithAcceptedOffer();
    const res = await owner.api.put(offersPath(cleaning));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Offer not found.', code: 'OFFER_NOT_FOUND' });
  });
});

describe('rescinding offers', () => {
  it('lets a user rescind a pending offer; the answer is null', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithOffers();
    const res = await cleaners[1]!.api.delete(offersPath(cleaning));
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect(res.text).toBe('null');
    const remaining = await statuses(owner, cleaning);
    expect([...remaining.keys()].sort()).toEqual([cleaners[0]!.id, cleaners[2]!.id, cleaners[3]!.id].sort());
  });

  it('lets a user offer again after rescinding', async () => {
    const { cleaners, cleaning } = await cleaningWithOffers();
    await cleaners[1]!.api.delete(offersPath(cleaning));
    expect((await cleaners[1]!.api.post(offersPath(cleaning))).status).toBe(201);
  });

  it('does not rescind accepted offers', async () => {
    const { cleaners, cleaning } = await cleaningWithAcceptedOffer();
    const res = await cleaners[0]!.api.delete(offersPath(cleaning));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      detail: 'Can only rescind currently pending offers.',
      code: 'RESCIND_NOT_PENDING',
    });
  });

  it('does not rescind cancelled offers', async () => {
    const { cleaners, cleaning } = await cleaningWithAcceptedOffer();
    expect((await cleaners[0]!.api.put(offersPath(cleaning))).status).toBe(200);
    expect((await cleaners[0]!.api.delete(offersPath(cleaning))).status).toBe(400);
  });

  it('does not rescind rejected offers', async () => {
    const { cleaners, cleaning } = await cleaningWithAcceptedOffer();
    expect((await cleaners[1]!.api.delete(offersPath(cleaning))).status).toBe(400);
  });

  it('answers 404 when there is no offer to rescind', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    const other = await makeUser(suite.server.url);
    expect((await other.api.delete(offersPath(cleaning))).body).toEqual({
      detail: 'Offer not found.',
      code: 'OFFER_NOT_FOUND',
    });
  });
});

describe('my offers', () => {
  it('lists the caller’s offers across cleanings, newest first, with each cleaning and its latest seq', async () => {
    const cleaner = await makeUser(suite.server.url);
    const [ownerA, ownerB] = await makeUsers(suite.server.url, 2);
    const a = await makeCleaning(ownerA!, { name: 'A' });
    const b = await makeCleaning(ownerB!, { name: 'B' });
    const rival = await makeUser(suite.server.url);
    await makeOffers(a, [rival, cleaner]);
    await makeOffers(b, [cleaner]);
    await ownerA!.api.put(offerPath(a, rival.username));
    const res = await cleaner.api.get('/api/users/me/offers/');
    expect(res.status).toBe(200);
    expect(res.body.map((o: OfferPublic) => o.cleaning_id)).toEqual([b.id, a.id]);
    expect(res.body[1]).toMatchObject({ status: 'rejected', seq: 4, cleaning: { id: a.id, name: 'A' } });
    expect(res.body[0]).toMatchObject({ status: 'pending', seq: 1, cleaning: { id: b.id, name: 'B' } });
  });

  it('is empty for someone without offers', async () => {
    const user = await makeUser(suite.server.url);
    expect((await user.api.get('/api/users/me/offers/')).body).toEqual([]);
  });
});
