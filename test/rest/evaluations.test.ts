// The original's test_evaluations.py (nine tests), each with fixtures of its own, then the fixes: no probing,
// stats of a cleaner with no evaluation, ratings refused by the database, completed-job rules, deletion and
// deactivation, and where a cleaning and a cleaner stand (status, total_offers, reputation).
import { describe, expect, it } from 'vitest';
import type { Em } from '../../src/db/orm.ts';
import type {
  CleaningFeedItem,
  CleaningPublic,
  EvaluationPublic,
  EvaluationStats,
  MyOffer,
  OfferEventPublic,
  OfferPublic,
} from '../../src/contract/schemas.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { foldEvents, isGapless, statusesByUser } from '../helpers/offer-log.ts';
import { useLiveServer } from '../helpers/live-server.ts';

const suite = useLiveServer();

const evaluationsPath = (username: string) => `/api/users/${username}/evaluations/`;
const evaluationPath = (username: string, cleaningId: number) =>
  `/api/users/${username}/evaluations/${cleaningId}/`;
const statsPath = (username: string) => `/api/users/${username}/evaluations/stats/`;
const offersPath = (c: CleaningPublic) => `/api/cleanings/${c.id}/offers/`;
const offerPath = (c: CleaningPublic, username: string) => `/api/cleanings/${c.id}/offers/${username}/`;

function evaluate(owner: TestUser, cleaner: TestUser, cleaning: CleaningPublic, body: unknown) {
  return owner.api.post<EvaluationPublic>(evaluationPath(cleaner.username, cleaning.id), {
    json: { evaluation_create: body },
  });
}

/** The reference's `test_cleaning_with_accepted_offer`: four offers, the first cleaner's accepted. */
async function cleaningWithAcceptedOffer() {
  const owner = await makeUser(suite.server.url);
  const cleaners = await makeUsers(suite.server.url, 4);
  const cleaning = await makeCleaning(owner, { name: 'cleaning with offers', cleaning_type: 'full_clean' });
  await makeOffers(cleaning, cleaners);
  const res = await owner.api.put(offerPath(cleaning, cleaners[0]!.username));
  expect(res.status).toBe(200);
  return { owner, cleaners, cleaner: cleaners[0]!, cleaning };
}

const randomRating = () => Math.floor(Math.random() * 6);

/** The reference's `test_list_of_cleanings_with_evaluated_offer`: five jobs by one owner, each evaluated. */
async function cleaningsWithEvaluatedOffer() {
  const [owner, cleaner] = await makeUsers(suite.server.url, 2);
  const cleanings: CleaningPublic[] = [];
  for (let i = 0; i < 5; i++) {
    const cleaning = await makeCleaning(owner!, {
      name: `test cleaning - ${i}`,
      description: `test description - ${i}`,
      price: Number(`${i}9.99`),
      cleaning_type: 'full_clean',
    });
    await makeOffers(cleaning, [cleaner!]);
    expect((await owner!.api.put(offerPath(cleaning, cleaner!.username))).status).toBe(200);
    const res = await evaluate(owner!, cleaner!, cleaning, {
      headline: `test headline - ${i}`,
      comment: `test comment - ${i}`,
      professionalism: randomRating(),
      completeness: randomRating(),
      efficiency: randomRating(),
      overall_rating: randomRating(),
    });
    expect(res.status).toBe(201);
    cleanings.push(cleaning);
  }
  return { owner: owner!, cleaner: cleaner!, cleanings };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('TestEvaluationRoutes', () => {
  it('routes exist (and require authentication)', async () => {
    for (const [method, path] of [
      ['POST', evaluationPath('bradpitt', 1)],
      ['GET', evaluationPath('bradpitt', 1)],
      ['GET', evaluationsPath('bradpitt')],
      ['GET', statsPath('bradpitt')],
    ] as const) {
      const res = await suite.api.request(method, path);
      expect(res.status, `${method} ${path}`).not.toBe(404);
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });

  it('answers without a redirect when the trailing slash is left off', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    const created = await owner.api.post(`/api/users/${cleaner.username}/evaluations/${cleaning.id}`, {
      json: { evaluation_create: { overall_rating: 4 } },
    });
    expect(created.status).toBe(201);
    for (const path of [
      `/api/users/${cleaner.username}/evaluations`,
      `/api/users/${cleaner.username}/evaluations/stats`,
      `/api/users/${cleaner.username}/evaluations/${cleaning.id}`,
    ]) {
      expect((await owner.api.get(path)).status, path).toBe(200);
    }
  });
});

describe('TestCreateEvaluations', () => {
  it('lets the owner leave an evaluation for the cleaner and marks the offer completed', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    const body = {
      no_show: false,
      headline: 'Excellent job',
      comment: `
Really appreciated the hard work and effort they put into this job!
Though the cleaner took their time, I would definitely hire them again for the quality of their work.
      `,
      professionalism: 5,
      completeness: 5,
      efficiency: 4,
      overall_rating: 5,
    };
    const res = await evaluate(owner, cleaner, cleaning, body);
    expect(res.status).toBe(201);
    expect(res.body.no_show).toBe(false);
    expect(res.body.headline).toBe('Excellent job');
    expect(res.body.overall_rating).toBe(5);
    expect(res.body.comment).toBe(body.comment.trim());
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'no_show',
        'headline',
        'comment',
        'professionalism',
        'completeness',
        'efficiency',
        'overall_rating',
        'created_at',
        'updated_at',
        'cleaner_id',
        'cleaning_id',
        'owner',
        'cleaner',
        'cleaning',
      ].sort(),
    );
    expect(res.body).toMatchObject({ cleaner_id: cleaner.id, cleaning_id: cleaning.id, owner: owner.id });
    expect(JSON.stringify(res.body)).not.toContain('@example.io');

    const offer = await owner.api.get<OfferPublic>(offerPath(cleaning, cleaner.username));
    expect(offer.status).toBe(200);
    expect(offer.body.status).toBe('completed');
  });

  it('refuses an evaluation from someone who does not own the cleaning', async () => {
    const { cleaners, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    const res = await evaluate(cleaners[1]!, cleaner, cleaning, { overall_rating: 2 });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      detail: 'Users are unable to leave evaluations for cleaning jobs they do not own.',
      code: 'EVALUATION_FORBIDDEN',
    });
  });

  it('refuses an evaluation of a cleaner whose offer was not accepted', async () => {
    const { owner, cleaners, cleaning } = await cleaningWithAcceptedOffer();
    const res = await evaluate(owner, cleaners[1]!, cleaning, { overall_rating: 1 });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      detail: 'Only users with accepted offers can be evaluated.',
      code: 'EVALUATION_NOT_ACCEPTED',
    });
  });

  it('refuses a second evaluation of the same job', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    expect((await evaluate(owner, cleaner, cleaning, { overall_rating: 3 })).status).toBe(201);
    const second = await evaluate(owner, cleaner, cleaning, { overall_rating: 1 });
    expect(second.status).toBe(400);
    expect(second.body).toEqual({
      detail: 'Only users with accepted offers can be evaluated.',
      code: 'EVALUATION_NOT_ACCEPTED',
    });
    const stored = await owner.api.get<EvaluationPublic>(evaluationPath(cleaner.username, cleaning.id));
    expect(stored.body.overall_rating).toBe(3);
  });
});

describe('TestGetEvaluations', () => {
  it('lets any signed-in user read a cleaner’s evaluation for a cleaning', async () => {
    const { cleaner, cleanings } = await cleaningsWithEvaluatedOffer();
    const reader = await makeUser(suite.server.url);
    const res = await reader.api.get<EvaluationPublic>(evaluationPath(cleaner.username, cleanings[0]!.id));
    expect(res.status).toBe(200);
    expect(res.body.cleaning_id).toBe(cleanings[0]!.id);
    expect(res.body.cleaner_id).toBe(cleaner.id);
    expect(res.body.headline).toContain('test headline');
    expect(res.body.comment).toContain('test comment');
    for (const rating of ['professionalism', 'completeness', 'efficiency', 'overall_rating'] as const) {
      expect(res.body[rating]).toBeGreaterThanOrEqual(0);
      expect(res.body[rating]).toBeLessThanOrEqual(5);
    }
  });

  it('lets any signed-in user list a cleaner’s evaluations, newest first', async () => {
    const { cleaner, cleanings } = await cleaningsWithEvaluatedOffer();
    const reader = await makeUser(suite.server.url);
    const res = await reader.api.get<EvaluationPublic[]>(evaluationsPath(cleaner.username));
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(5);
    expect(res.body.map((e) => e.cleaning_id)).toEqual(cleanings.map((c) => c.id).reverse());
    for (const e of res.body) {
      expect(e.cleaner_id).toBe(cleaner.id);
      expect(e.overall_rating).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives a cleaner’s aggregate stats, equal to the ones computed from the list', async () => {
    const { cleaner } = await cleaningsWithEvaluatedOffer();
    const reader = await makeUser(suite.server.url);
    const list = await reader.api.get<EvaluationPublic[]>(evaluationsPath(cleaner.username));
    const stats = await reader.api.get<EvaluationStats>(statsPath(cleaner.username));
    expect(list.status).toBe(200);
    expect(stats.status).toBe(200);
    const evaluations = list.body;
    const overall = evaluations.map((e) => e.overall_rating);
    const given = (key: 'professionalism' | 'completeness' | 'efficiency') =>
      evaluations.map((e) => e[key]).filter((v): v is number => v !== null);
    expect(stats.body.total_evaluations).toBe(evaluations.length);
    expect(stats.body.max_overall_rating).toBe(Math.max(...overall));
    expect(stats.body.min_overall_rating).toBe(Math.min(...overall));
    expect(stats.body.avg_overall_rating).toBe(mean(overall));
    expect(stats.body.avg_professionalism).toBe(mean(given('professionalism')));
    expect(stats.body.avg_completeness).toBe(mean(given('completeness')));
    expect(stats.body.avg_efficiency).toBe(mean(given('efficiency')));
    const stars = (k: number) => overall.filter((r) => r === k).length;
    expect([
      stats.body.one_stars,
      stats.body.two_stars,
      stats.body.three_stars,
      stats.body.four_stars,
      stats.body.five_stars,
    ]).toEqual([1, 2, 3, 4, 5].map(stars));
    expect(stats.body.total_no_show).toBe(0);
  });

  it('refuses unauthenticated reads', async () => {
    const { cleaner, cleanings } = await cleaningsWithEvaluatedOffer();
    expect((await suite.api.get(evaluationPath(cleaner.username, cleanings[0]!.id))).status).toBe(401);
    expect((await suite.api.get(evaluationsPath(cleaner.username))).status).toBe(401);
  });
});

describe('errors, in the issue’s order (fixes)', () => {
  it('answers 404 for a missing cleaning before anything else', async () => {
    const { cleaners, cleaner } = await cleaningWithAcceptedOffer();
    const res = await cleaners[1]!.api.post(evaluationPath(cleaner.username, 987654321), {
      json: { evaluation_create: { overall_rating: 9 } },
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'No cleaning found with that id.', code: 'CLEANING_NOT_FOUND' });
  });

  it('answers a non-owner 403 before any user or offer lookup, so nobody can probe who offered', async () => {
    const { cleaners, cleaning } = await cleaningWithAcceptedOffer();
    const stranger = await makeUser(suite.server.url);
    const outsider = cleaners[2]!;
    // An unknown user, a user who never offered, an offerer, and a bad body: all the same 403.
    for (const [username, body] of [
      ['nobody_by_that_name', { overall_rating: 3 }],
      [stranger.username, { overall_rating: 3 }],
      [cleaners[0]!.username, { overall_rating: 3 }],
      [cleaners[0]!.username, { overall_rating: 'five' }],
    ] as const) {
      const res = await outsider.api.post(evaluationPath(username, cleaning.id), {
        json: { evaluation_create: body },
      });
      expect(res.status, username).toBe(403);
      expect(res.body.detail).toBe(
        'Users are unable to leave evaluations for cleaning jobs they do not own.',
      );
    }
  });

  it('then answers the owner 404 for an unknown user, 404 for no offer, 400 for a pending offer, then 422', async () => {
    const owner = await makeUser(suite.server.url);
    const [pendingCleaner, stranger] = await makeUsers(suite.server.url, 2);
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, [pendingCleaner!]);
    const post = (username: string, body: unknown) =>
      owner.api.post(evaluationPath(username, cleaning.id), { json: { evaluation_create: body } });
    const bad = { overall_rating: 6 };
    expect((await post('nobody_by_that_name', bad)).body).toEqual({
      detail: 'No user found with that username.',
      code: 'USER_NOT_FOUND',
    });
    const noOffer = await post(stranger!.username, bad);
    expect([noOffer.status, noOffer.body]).toEqual([
      404,
      { detail: 'Offer not found.', code: 'OFFER_NOT_FOUND' },
    ]);
    const pending = await post(pendingCleaner!.username, bad);
    expect([pending.status, pending.body]).toEqual([
      400,
      { detail: 'Only users with accepted offers can be evaluated.', code: 'EVALUATION_NOT_ACCEPTED' },
    ]);
    expect((await owner.api.put(offerPath(cleaning, pendingCleaner!.username))).status).toBe(200);
    const invalid = await post(pendingCleaner!.username, bad);
    expect(invalid.status).toBe(422);
    expect(invalid.body.detail[0].loc).toEqual(['body', 'evaluation_create', 'overall_rating']);
    // Nothing was completed by the refused body.
    const offer = await owner.api.get<OfferPublic>(offerPath(cleaning, pendingCleaner!.username));
    expect(offer.body.status).toBe('accepted');
  });

  it.each([
    ['a missing body', undefined],
    ['a missing overall_rating', { evaluation_create: { headline: 'fine' } }],
    ['a rating of 6', { evaluation_create: { overall_rating: 6 } }],
    ['a rating of -1', { evaluation_create: { overall_rating: 5, efficiency: -1 } }],
    ['a fractional rating', { evaluation_create: { overall_rating: 4.5 } }],
    [
      'a headline over 200 characters',
      { evaluation_create: { overall_rating: 4, headline: 'h'.repeat(201) } },
    ],
    [
      'a comment over 5000 characters',
      { evaluation_create: { overall_rating: 4, comment: 'c'.repeat(5001) } },
    ],
  ])('answers 422 for %s', async (_name, json) => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    const res = await owner.api.post(evaluationPath(cleaner.username, cleaning.id), { json });
    expect(res.status).toBe(422);
    expect(Array.isArray(res.body.detail)).toBe(true);
  });

  it('trims the headline and comment, and stores a blank one as null', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    const res = await evaluate(owner, cleaner, cleaning, {
      overall_rating: 4,
      headline: `  ${'h'.repeat(200)}  `,
      comment: '   ',
    });
    expect(res.status).toBe(201);
    expect(res.body.headline).toBe('h'.repeat(200));
    expect(res.body.comment).toBeNull();
  });

  it('answers E2, E3 and E4 with 404 for an unknown user, and E4 with 404 when there is no evaluation', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    for (const path of [evaluationsPath('nobody_by_that_name'), statsPath('nobody_by_that_name')]) {
      const res = await owner.api.get(path);
      expect([res.status, res.body], path).toEqual([
        404,
        { detail: 'No user found with that username.', code: 'USER_NOT_FOUND' },
      ]);
    }
    const missingCleaning = await owner.api.get(evaluationPath(cleaner.username, 987654321));
    expect(missingCleaning.body).toEqual({
      detail: 'No cleaning found with that id.',
      code: 'CLEANING_NOT_FOUND',
    });
    const none = await owner.api.get(evaluationPath(cleaner.username, cleaning.id));
    expect([none.status, none.body]).toEqual([
      404,
      { detail: 'No evaluation found for that cleaning.', code: 'EVALUATION_NOT_FOUND' },
    ]);
  });
});

describe('stats (fixes)', () => {
  it('gives a cleaner with no evaluation 200, with counts 0 and averages, min and max null', async () => {
    const [cleaner, reader] = await makeUsers(suite.server.url, 2);
    const res = await reader!.api.get<EvaluationStats>(statsPath(cleaner!.username));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      avg_professionalism: null,
      avg_completeness: null,
      avg_efficiency: null,
      avg_overall_rating: null,
      max_overall_rating: null,
      min_overall_rating: null,
      one_stars: 0,
      two_stars: 0,
      three_stars: 0,
      four_stars: 0,
      five_stars: 0,
      total_evaluations: 0,
      total_no_show: 0,
    });
    expect((await reader!.api.get(evaluationsPath(cleaner!.username))).body).toEqual([]);
  });

  it('averages a sub-rating nobody gave to null, and counts a 0 in no star bucket', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    expect((await evaluate(owner, cleaner, cleaning, { overall_rating: 0, no_show: true })).status).toBe(201);
    const res = await owner.api.get<EvaluationStats>(statsPath(cleaner.username));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      avg_professionalism: null,
      avg_completeness: null,
      avg_efficiency: null,
      avg_overall_rating: 0,
      max_overall_rating: 0,
      min_overall_rating: 0,
      one_stars: 0,
      two_stars: 0,
      three_stars: 0,
      four_stars: 0,
      five_stars: 0,
      total_evaluations: 1,
      total_no_show: 1,
    });
  });
});

describe('the schema (fixes)', () => {
  it('refuses ratings outside 0..5 and a second evaluation of a job, whatever the code does', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    // Through the server's own connection, so that this holds on PGlite too.
    const sql = (text: string, params: unknown[]) =>
      (suite.server.app.orm.em.fork() as Em).execute(text, params);
    const insert = (rating: number, professionalism: number | null) =>
      sql(
        `insert into evaluations (cleaning_id, cleaner_id, overall_rating, professionalism) values (?, ?, ?, ?)`,
        [cleaning.id, cleaner.id, rating, professionalism],
      );
    await expect(insert(6, null)).rejects.toThrow(/evaluations_ratings_range/);
    await expect(insert(-1, null)).rejects.toThrow(/evaluations_ratings_range/);
    await expect(insert(3, 7)).rejects.toThrow(/evaluations_ratings_range/);
    expect((await evaluate(owner, cleaner, cleaning, { overall_rating: 5 })).status).toBe(201);
    await expect(insert(3, null)).rejects.toThrow(/evaluations_pkey/);
    // Nobody can be accepted on a completed job either.
    await expect(
      sql(`update offers set status = 'accepted' where cleaning_id = ? and user_id <> ?`, [
        cleaning.id,
        cleaner.id,
      ]),
    ).rejects.toThrow(/offers_one_assigned_per_cleaning/);
  });
});

describe('a completed cleaning is a record of work done (fixes)', () => {
  async function completedCleaning() {
    const fixture = await cleaningWithAcceptedOffer();
    // An offer made after the acceptance is still pending when the job is completed.
    const late = await makeUser(suite.server.url);
    await makeOffers(fixture.cleaning, [late]);
    const res = await evaluate(fixture.owner, fixture.cleaner, fixture.cleaning, { overall_rating: 4 });
    expect(res.status).toBe(201);
    return { ...fixture, late };
  }
  const completed = {
    detail: 'That cleaning job has been completed; its offers can no longer change.',
    code: 'CLEANING_COMPLETED',
  };
  const locked = {
    detail: 'A completed cleaning job cannot be edited or deleted.',
    code: 'COMPLETED_CLEANING_LOCKED',
  };

  it('rejects the offers still pending when it completes', async () => {
    const { owner, cleaners, cleaner, cleaning, late } = await completedCleaning();
    const offers = await owner.api.get<OfferPublic[]>(offersPath(cleaning));
    expect(statusesByUser(offers.body)).toEqual(
      new Map([
        [cleaner.id, 'completed'],
        ...cleaners.slice(1).map((c) => [c.id, 'rejected'] as const),
        [late.id, 'rejected'],
      ]),
    );
  });

  it('refuses accepting another offer, a new offer, a cancel and a rescind with 400', async () => {
    const { owner, cleaners, cleaner, cleaning, late } = await completedCleaning();
    const newcomer = await makeUser(suite.server.url);
    const results = [
      await owner.api.put(offerPath(cleaning, late.username)),
      await owner.api.put(offerPath(cleaning, cleaners[1]!.username)),
      await newcomer.api.post(offersPath(cleaning)),
      await cleaner.api.put(offersPath(cleaning)),
      await late.api.delete(offersPath(cleaning)),
    ];
    for (const res of results) expect([res.status, res.body]).toEqual([400, completed]);
    const offers = await owner.api.get<OfferPublic[]>(offersPath(cleaning));
    expect(offers.body.find((o) => o.user_id === cleaner.id)!.status).toBe('completed');
    expect(offers.body).toHaveLength(5);
  });

  it('refuses editing and deleting it, so that the cleaner’s evaluation stays', async () => {
    const { owner, cleaner, cleaning } = await completedCleaning();
    const edit = await owner.api.put(`/api/cleanings/${cleaning.id}/`, {
      json: { cleaning_update: { price: 1 } },
    });
    expect([edit.status, edit.body]).toEqual([400, locked]);
    const del = await owner.api.delete(`/api/cleanings/${cleaning.id}/`);
    expect([del.status, del.body]).toEqual([400, locked]);
    expect((await owner.api.get(`/api/cleanings/${cleaning.id}/`)).body.price).toBe(cleaning.price);
    const stats = await owner.api.get<EvaluationStats>(statsPath(cleaner.username));
    expect(stats.body.total_evaluations).toBe(1);
  });

  it('still lets the owner delete a cleaning whose accepted offer was never evaluated', async () => {
    const { owner, cleaning } = await cleaningWithAcceptedOffer();
    expect((await owner.api.delete(`/api/cleanings/${cleaning.id}/`)).status).toBe(200);
  });

  it('keeps the evaluations a deactivated user received, readable by everyone', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    expect((await evaluate(owner, cleaner, cleaning, { overall_rating: 2 })).status).toBe(201);
    expect((await cleaner.api.post(`/api/users/${cleaner.username}/deactivate/`)).status).toBe(200);
    const reader = await makeUser(suite.server.url);
    const list = await reader.api.get<EvaluationPublic[]>(evaluationsPath(cleaner.username));
    expect(list.body.map((e) => e.overall_rating)).toEqual([2]);
    const stats = await reader.api.get<EvaluationStats>(statsPath(cleaner.username));
    expect(stats.body).toMatchObject({ total_evaluations: 1, avg_overall_rating: 2 });
    const one = await reader.api.get(evaluationPath(cleaner.username, cleaning.id));
    expect(one.status).toBe(200);
  });
});

describe('the log records the completion', () => {
  it('appends a completed event carrying the evaluation, and folding the log gives the rows', async () => {
    const { owner, cleaner, cleaning } = await cleaningWithAcceptedOffer();
    const evaluation = (await evaluate(owner, cleaner, cleaning, { overall_rating: 5, headline: 'Great' }))
      .body;
    const events = (await owner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`)).body;
    const completedEvent = events.at(-1)!;
    expect(completedEvent).toMatchObject({ type: 'completed', user_id: cleaner.id });
    expect(completedEvent.offer).toMatchObject({ status: 'completed', evaluation });
    expect(isGapless(events)).toBe(true);
    const offers = await owner.api.get<OfferPublic[]>(offersPath(cleaning));
    expect(foldEvents(events)).toEqual(statusesByUser(offers.body));
    // The cleaner reads it in their own part of the log.
    const theirs = (await cleaner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`)).body;
    expect(theirs.at(-1)).toEqual(completedEvent);
  });
});

describe('where a cleaning and a cleaner stand', () => {
  it('derives a cleaning’s status and total_offers through open, assigned, open again and completed', async () => {
    const owner = await makeUser(suite.server.url);
    const [a, b] = await makeUsers(suite.server.url, 2);
    const cleaning = await makeCleaning(owner);
    expect(cleaning).toMatchObject({ status: 'open', total_offers: 0 });
    const bystander = await makeUser(suite.server.url);
    const seen = async () => {
      const one = (await bystander.api.get<CleaningPublic>(`/api/cleanings/${cleaning.id}/`)).body;
      const own = (await owner.api.get<CleaningPublic[]>('/api/cleanings/')).body[0]!;
      const feed = (await bystander.api.get<CleaningFeedItem[]>('/api/feed/cleanings/?page_chunk_size=50'))
        .body;
      const item = feed.find((f) => f.id === cleaning.id)!;
      const mine = (await a!.api.get<MyOffer[]>('/api/users/me/offers/')).body;
      const standings = [one, own, item, ...mine.map((m) => m.cleaning)].map((c) => [
        c.status,
        c.total_offers,
      ]);
      expect(new Set(standings.map((s) => JSON.stringify(s))).size, JSON.stringify(standings)).toBe(1);
      return { status: one.status, total_offers: one.total_offers };
    };
    await makeOffers(cleaning, [a!, b!]);
    expect(await seen()).toEqual({ status: 'open', total_offers: 2 });
    await owner.api.put(offerPath(cleaning, a!.username));
    expect(await seen()).toEqual({ status: 'assigned', total_offers: 2 });
    await a!.api.put(offersPath(cleaning));
    expect(await seen()).toEqual({ status: 'open', total_offers: 2 });
    await owner.api.put(offerPath(cleaning, b!.username));
    await evaluate(owner, b!, cleaning, { overall_rating: 5 });
    expect(await seen()).toEqual({ status: 'completed', total_offers: 2 });
    // The count is public; the offers are not.
    expect((await bystander.api.get(offersPath(cleaning))).status).toBe(403);
  });

  it('shows each offerer’s track record to the owner choosing, and on their profile', async () => {
    const { cleaner, cleanings } = await cleaningsWithEvaluatedOffer();
    const evaluations = (await cleaner.api.get<EvaluationPublic[]>(evaluationsPath(cleaner.username))).body;
    const expected = {
      total_evaluations: 5,
      avg_overall_rating: mean(evaluations.map((e) => e.overall_rating)),
    };
    const owner = await makeUser(suite.server.url);
    const newcomer = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, [cleaner, newcomer]);
    const offers = (await owner.api.get<OfferPublic[]>(offersPath(cleaning))).body;
    expect(offers.find((o) => o.user_id === cleaner.id)!.user).toMatchObject(expected);
    expect(offers.find((o) => o.user_id === newcomer.id)!.user).toMatchObject({
      total_evaluations: 0,
      avg_overall_rating: null,
    });
    const profile = await owner.api.get(`/api/profiles/${cleaner.username}/`);
    expect(profile.body).toMatchObject({ username: cleaner.username, ...expected });
    expect(cleanings).toHaveLength(5);
  });
});
