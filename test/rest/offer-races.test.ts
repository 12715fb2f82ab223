// The races of the reference's section 7, fired together against real PostgreSQL, 20 rounds each.
// Every round asserts the only legal outcomes, and that the offer log still folds to the rows.
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  CleaningPublic,
  EvaluationPublic,
  OfferEventPublic,
  OfferPublic,
} from '../../src/contract/schemas.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { foldEvents, isGapless, statusesByUser } from '../helpers/offer-log.ts';
import { useLiveServer } from '../helpers/live-server.ts';
import { pgAdminUrl } from '../helpers/services.ts';

// PGlite runs one transaction at a time, so its rounds cannot interleave in the database and mostly cost time;
// a few keep the checks of every outcome honest there.
const ROUNDS = pgAdminUrl ? 20 : 4;
const suite = useLiveServer();
let owner: TestUser;
let cleaners: TestUser[];

beforeAll(async () => {
  owner = await makeUser(suite.server.url);
  cleaners = await makeUsers(suite.server.url, 20);
});

const offersPath = (c: CleaningPublic) => `/api/cleanings/${c.id}/offers/`;
const offerPath = (c: CleaningPublic, u: TestUser) => `/api/cleanings/${c.id}/offers/${u.username}/`;
const evaluationPath = (c: CleaningPublic, u: TestUser) => `/api/users/${u.username}/evaluations/${c.id}/`;

/** The invariants every round must leave behind. */
async function expectConsistent(cleaning: CleaningPublic) {
  const offers = (await owner.api.get<OfferPublic[]>(offersPath(cleaning))).body;
  const events = (await owner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`)).body;
  expect(
    offers.filter((o) => o.status === 'accepted' || o.status === 'completed').length,
  ).toBeLessThanOrEqual(1);
  expect(isGapless(events)).toBe(true);
  expect(foldEvents(events)).toEqual(statusesByUser(offers));
  return offers;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('races', () => {
  it('accept vs accept on different offers: exactly one 200, the rest 400', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const cleaning = await makeCleaning(owner);
      await makeOffers(cleaning, cleaners);
      const results = await Promise.all(cleaners.map((c) => owner.api.put(offerPath(cleaning, c))));
      const statuses = results.map((r) => r.status);
      expect(count(statuses, 200), `round ${round}`).toBe(1);
      expect(count(statuses, 400), `round ${round}`).toBe(cleaners.length - 1);
      for (const r of results.filter((x) => x.status === 400)) {
        expect([
          'Can only accept offers that are currently pending.',
          'That cleaning job already has an accepted offer.',
        ]).toContain(r.body.detail);
      }
      const offers = await expectConsistent(cleaning);
      expect(offers.filter((o) => o.status === 'rejected')).toHaveLength(cleaners.length - 1);
    }
  });

  it('create vs create by the same user: one 201, the rest 400', async () => {
    const cleaner = cleaners[0]!;
    for (let round = 0; round < ROUNDS; round++) {
      const cleaning = await makeCleaning(owner);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => cleaner.api.post(offersPath(cleaning))),
      );
      const statuses = results.map((r) => r.status);
      expect(count(statuses, 201), `round ${round}`).toBe(1);
      expect(count(statuses, 400), `round ${round}`).toBe(19);
      const offers = await expectConsistent(cleaning);
      expect(offers).toHaveLength(1);
    }
  });

  it('accept vs rescind: the accept wins (200 + 400) or the rescind does (404 + 200)', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // Ten cleanings at once, each with its own accept/rescind pair: 20 requests in flight.
      const pairs = await Promise.all(
        cleaners.slice(0, 10).map(async (cleaner) => {
          const cleaning = await makeCleaning(owner);
          await makeOffers(cleaning, [cleaner]);
          return { cleaning, cleaner };
        }),
      );
      const results = await Promise.all(
        pairs.map(async ({ cleaning, cleaner }) => {
          const [accept, rescind] = await Promise.all([
            owner.api.put(offerPath(cleaning, cleaner)),
            cleaner.api.delete(offersPath(cleaning)),
          ]);
          return { cleaning, accept: accept.status, rescind: rescind.status };
        }),
      );
      for (const { cleaning, accept, rescind } of results) {
        expect([`${accept}+${rescind}`], `round ${round}`).toSatisfy(
          ([o]: string[]) => o === '200+400' || o === '404+200',
        );
        const offers = await expectConsistent(cleaning);
        expect(offers).toHaveLength(accept === 200 ? 1 : 0);
      }
    }
  });

  it('cancel vs accept: the cancel succeeds and at most one new offer is accepted', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const cleaning = await makeCleaning(owner);
      await makeOffers(cleaning, cleaners);
      const [first, ...rest] = cleaners;
      expect((await owner.api.put(offerPath(cleaning, first!))).status).toBe(200);
      const [cancel, ...accepts] = await Promise.all([
        first!.api.put(offersPath(cleaning)),
        ...rest.map((c) => owner.api.put(offerPath(cleaning, c))),
      ]);
      expect(cancel!.status, `round ${round}`).toBe(200);
      const acceptStatuses = accepts.map((r) => r.status);
      expect(count(acceptStatuses, 200), `round ${round}`).toBeLessThanOrEqual(1);
      expect(count(acceptStatuses, 200) + count(acceptStatuses, 400)).toBe(rest.length);
      const offers = await expectConsistent(cleaning);
      const accepted = offers.filter((o) => o.status === 'accepted');
      expect(accepted).toHaveLength(count(acceptStatuses, 200));
      // If nothing was accepted after the cancel, everyone else must be back to pending.
      if (accepted.length === 0)
        expect(offers.filter((o) => o.status === 'pending')).toHaveLength(rest.length);
    }
  });

  it('evaluate × 20 for one offer: exactly one 201, the rest 400', async () => {
    const cleaner = cleaners[0]!;
    for (let round = 0; round < ROUNDS; round++) {
      const cleaning = await makeCleaning(owner);
      await makeOffers(cleaning, cleaners.slice(0, 3));
      expect((await owner.api.put(offerPath(cleaning, cleaner))).status).toBe(200);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          owner.api.post(evaluationPath(cleaning, cleaner), {
            json: { evaluation_create: { overall_rating: i % 6 } },
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(count(statuses, 201), `round ${round}`).toBe(1);
      expect(count(statuses, 400), `round ${round}`).toBe(19);
      for (const r of results.filter((x) => x.status === 400))
        expect(r.body.detail).toBe('Only users with accepted offers can be evaluated.');
      const winner = results.find((r) => r.status === 201)!.body as EvaluationPublic;
      const stored = await owner.api.get<EvaluationPublic>(evaluationPath(cleaning, cleaner));
      expect(stored.body).toEqual(winner);
      const offers = await expectConsistent(cleaning);
      expect(offers.find((o) => o.user_id === cleaner.id)!.status).toBe('completed');
      const events = (await owner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`)).body;
      expect(events.filter((e) => e.type === 'completed')).toHaveLength(1);
    }
  });

  it('evaluate vs cancel: exactly one wins, and the log agrees with the rows', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // Ten cleanings at once, each with its own evaluate/cancel pair: 20 requests in flight.
      const pairs = await Promise.all(
        cleaners.slice(0, 10).map(async (cleaner, i) => {
          const cleaning = await makeCleaning(owner);
          await makeOffers(cleaning, [cleaner, cleaners[10 + i]!]);
          expect((await owner.api.put(offerPath(cleaning, cleaner))).status).toBe(200);
          return { cleaning, cleaner };
        }),
      );
      const results = await Promise.all(
        pairs.map(async ({ cleaning, cleaner }) => {
          const [evaluate, cancel] = await Promise.all([
            owner.api.post(evaluationPath(cleaning, cleaner), {
              json: { evaluation_create: { overall_rating: 4 } },
            }),
            cleaner.api.put(offersPath(cleaning)),
          ]);
          return { cleaning, cleaner, evaluate, cancel };
        }),
      );
      for (const { cleaning, cleaner, evaluate, cancel } of results) {
        const outcome = `${evaluate.status}+${cancel.status}`;
        expect(['201+400', '400+200'], `round ${round}`).toContain(outcome);
        const offers = await expectConsistent(cleaning);
        const stored = await owner.api.get(evaluationPath(cleaning, cleaner));
        const mine = offers.find((o) => o.user_id === cleaner.id)!;
        if (evaluate.status === 201) {
          expect(cancel.body.detail).toBe(
            'That cleaning job has been completed; its offers can no longer change.',
          );
          expect([mine.status, stored.status]).toEqual(['completed', 200]);
        } else {
          expect(evaluate.body.detail).toBe('Only users with accepted offers can be evaluated.');
          expect([mine.status, stored.status]).toEqual(['cancelled', 404]);
        }
      }
    }
  });

  it('never answers 500, and never leaves two accepted offers in the table', async () => {
    const rows = await suite.server.app.orm.em
      .fork()
      .getConnection()
      .execute<{ n: string | number }[]>(
        `select count(*) as n from (select cleaning_id from offers where status = 'accepted' group by cleaning_id having count(*) > 1) twice`,
      );
    expect(Number(rows[0]!.n)).toBe(0);
    const errors = suite.server
      .logs()
      .filter((l) => typeof l.status === 'number' && (l.status as number) >= 500);
    expect(errors).toEqual([]);
  });
});
