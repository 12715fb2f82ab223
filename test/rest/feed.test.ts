// The job board of the original's part 21, on a database of its own so that only these cleanings are in it.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CleaningFeedItem } from '../../src/contract/schemas.ts';
import { Cleaning } from '../../src/db/entities/index.ts';
import { Api, makeCleaning, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';

const suite = useLiveServer();
let viewer: TestUser;
let ids: number[];
const UPDATED = 13;

beforeAll(async () => {
  viewer = await makeUser(suite.server.url);
  const owners = await makeUsers(suite.server.url, 4);
  const types = ['full_clean', 'spot_clean', 'dust_up'];
  ids = [];
  for (let i = 0; i < 50; i++) {
    const c = await makeCleaning(owners[i % 4]!, {
      name: `feed item cleaning job - ${i}`,
      description: `test description for feed item cleaning: ${i}`,
      price: Number(`${i}9.99`),
      cleaning_type: types[i % 3]!,
    });
    ids.push(c.id);
  }
  for (let i = 0; i < 50; i += 4) {
    const owner = owners[i % 4]!;
    const res = await owner.api.put(`/api/cleanings/${ids[i]}/`, {
      json: {
        cleaning_update: {
          description: `Updated test description for feed item cleaning: ${i}`,
          price: Number(`${i}9.99`) + 100,
        },
      },
    });
    expect(res.status).toBe(200);
  }
});

const feed = (query = '') => viewer.api.get<CleaningFeedItem[]>(`/api/feed/cleanings/${query}`);

describe('cleaning feed', () => {
  it('exists, and requires authentication', async () => {
    expect((await new Api(suite.server.url).get('/api/feed/cleanings/')).status).toBe(401);
  });

  it('returns a valid page of 20 by default, from every user’s cleanings', async () => {
    const res = await feed();
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(20);
    for (const item of res.body) {
      expect(ids).toContain(item.id);
      expect(item.owner).toEqual({
        id: expect.any(Number),
        username: expect.any(String),
        profile: expect.any(Object),
      });
      expect(JSON.stringify(item.owner)).not.toContain('@');
    }
    expect(res.body.map((i) => i.row_number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('orders newest first: the 13 edits, then the creations', async () => {
    const res = await feed();
    expect(res.body.slice(0, UPDATED).every((i) => i.event_type === 'is_update')).toBe(true);
    expect(res.body.slice(UPDATED).every((i) => i.event_type === 'is_create')).toBe(true);
    const times = res.body.map((i) => Date.parse(i.event_timestamp));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('paginates with the last item as the cursor, never repeating an item', async () => {
    const seen = new Set<string>();
    let cursor = `starting_date=${encodeURIComponent(new Date(Date.now() + 600_000).toISOString())}`;
    for (const size of [25, 15, 10]) {
      const res = await feed(`?page_chunk_size=${size}&${cursor}`);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(size);
      for (const item of res.body) {
        const key = `${item.id}-${item.event_type}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
      const last = res.body.at(-1)!;
      cursor = `starting_date=${encodeURIComponent(last.event_timestamp)}&starting_id=${last.id}`;
    }
  });

  it('lists an edited cleaning twice: once created, once updated', async () => {
    const page1 = (await feed('?page_chunk_size=30')).body;
    const last = page1.at(-1)!;
    const page2 = (
      await feed(
        `?page_chunk_size=33&starting_date=${encodeURIComponent(last.event_timestamp)}&starting_id=${last.id}`,
      )
    ).body;
    const counts = new Map<number, number>();
    for (const item of [...page1, ...page2]) counts.set(item.id, (counts.get(item.id) ?? 0) + 1);
    expect([...counts.values()].filter((n) => n > 1)).toHaveLength(UPDATED);
    expect(page1.length + page2.length).toBe(63);
  });

  it('never skips or repeats items whose timestamps tie at a page boundary (fix)', async () => {
    const owner = await makeUser(suite.server.url);
    const tied = await Promise.all(Array.from({ length: 5 }, () => makeCleaning(owner, { name: 'tied' })));
    const at = new Date(Date.now() + 3_600_000);
    await suite.server.app.orm.em
      .fork()
      .nativeUpdate(Cleaning, { id: { $in: tied.map((c) => c.id) } }, { createdAt: at, updatedAt: at });
    const collected: number[] = [];
    let query = `?page_chunk_size=2&starting_date=${encodeURIComponent(new Date(at.getTime() + 1000).toISOString())}`;
    for (let page = 0; page < 3; page++) {
      const body = (await feed(query)).body;
      collected.push(...body.map((i) => i.id));
      const last = body.at(-1)!;
      query = `?page_chunk_size=2&starting_date=${encodeURIComponent(last.event_timestamp)}&starting_id=${last.id}`;
    }
    expect(collected.slice(0, 5).sort()).toEqual(tied.map((c) => c.id).sort());
    expect(new Set(collected).size).toBe(collected.length);
  });

  it('defaults the cursor to the time of the request, so new jobs show at once (fix)', async () => {
    const owner = await makeUser(suite.server.url);
    const fresh = await makeCleaning(owner, { name: 'brand new' });
    const res = await feed('?page_chunk_size=1');
    expect(res.body[0]!.id).toBe(fresh.id);
  });

  it.each([
    ['page_chunk_size=0'],
    ['page_chunk_size=51'],
    ['page_chunk_size=abc'],
    ['starting_date=yesterday'],
    ['starting_id=-3'],
  ])('answers 422 for %s', async (query) => {
    const res = await viewer.api.get(`/api/feed/cleanings/?${query}`);
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc[0]).toBe('query');
  });
});
