import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleaningPublic, OfferEventPublic, OfferPublic } from '../../src/contract/schemas.ts';
import type { Em } from '../../src/db/orm.ts';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const db = () => server.app.orm.em.fork() as Em;
const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;
const eventsPath = (c: CleaningPublic) => `/api/cleanings/${c.id}/events/`;
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);

describe('what the log stores', () => {
  it('keeps an offer event’s own data in a versioned record, not the wire offer', async () => {
    const owner = await makeUser(server.url);
    const cleaner = await makeUser(server.url);
    const cleaning = await makeCleaning(owner);
    expect((await cleaner.api.post(`/api/cleanings/${cleaning.id}/offers/`)).status).toBe(201);
    const accepted = await owner.api.put<OfferPublic>(
      `/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`,
    );
    expect(accepted.status).toBe(200);

    const rows = await db().execute<{ offer: unknown }[]>(
      'select offer from offer_events where cleaning_id = ? order by seq',
      [cleaning.id],
    );
    expect(rows.map((r) => parsed(r.offer))).toEqual([
      { v: 1, status: 'pending', created_at: ISO, updated_at: ISO },
      { v: 1, status: 'accepted', created_at: ISO, updated_at: ISO },
    ]);
    // Read back, the event carries today's wire offer, built by the same mapper as the accept's answer.
    const events = await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning));
    expect(events.body.at(-1)!.offer).toEqual(accepted.body);
  });

  it('keeps a job-board change’s cleaning columns and standing, not the wire cleaning', async () => {
    const owner = await makeUser(server.url);
    const cleaner = await makeUser(server.url);
    const cleaning = await makeCleaning(owner);
    expect((await cleaner.api.post(`/api/cleanings/${cleaning.id}/offers/`)).status).toBe(201);
    expect((await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`)).status).toBe(
      200,
    );

    const [row] = await db().execute<{ data: unknown }[]>(
      `select data from notices where type = 'cleaning:assigned' and (data->'cleaning'->>'id')::int = ?`,
      [cleaning.id],
    );
    const data = parsed(row!.data);
    expect(data.v).toBe(1);
    expect(data.standing).toEqual({ status: 'assigned', total_offers: 1 });
    expect(Object.keys(data.cleaning as object).sort()).toEqual(
      ['cleaning_type', 'created_at', 'description', 'id', 'name', 'owner', 'price', 'updated_at'].sort(),
    );
  });

  it('reads an event stored before records were versioned in today’s wire shape', async () => {
    const owner = await makeUser(server.url);
    const cleaner = await makeUser(server.url);
    const cleaning = await makeCleaning(owner);
    // Rows as they were written before: the wire offer of their day, a completed one with its evaluation.
    const evaluation = {
      no_show: false,
      headline: 'Spotless',
      comment: null,
      professionalism: 5,
      completeness: null,
      efficiency: 4,
      overall_rating: 5,
      created_at: '2026-01-02T03:04:05.678Z',
      updated_at: '2026-01-02T03:04:05.678Z',
      cleaner_id: cleaner.id,
      cleaning_id: cleaning.id,
      owner: owner.id,
      cleaner: null,
      cleaning: null,
    };
    const offer = (status: string, extra: object = {}): OfferPublic =>
      ({
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-02T03:04:05.678Z',
        user_id: cleaner.id,
        cleaning_id: cleaning.id,
        status,
        user: null,
        cleaning: null,
        ...extra,
      }) as OfferPublic;
    const stored = [offer('accepted'), offer('completed', { evaluation })];
    await db().execute(
      `insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
       values (?, 1, 'accepted', ?, ?::jsonb, now()), (?, 2, 'completed', ?, ?::jsonb, now())`,
      [
        cleaning.id,
        cleaner.id,
        JSON.stringify(stored[0]),
        cleaning.id,
        cleaner.id,
        JSON.stringify(stored[1]),
      ],
    );
    await db().execute('update cleanings set last_seq = 2 where id = ?', [cleaning.id]);

    const events = await owner.api.get<OfferEventPublic[]>(eventsPath(cleaning));
    expect(events.status).toBe(200);
    expect(events.body.map((e) => e.offer)).toEqual(stored);
  });
});
