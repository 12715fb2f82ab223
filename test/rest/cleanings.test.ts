import { describe, expect, it } from 'vitest';
import { makeCleaning, makeUser, type TestUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';

const suite = useLiveServer();

const newCleaning = {
  name: 'test cleaning',
  description: 'test description',
  price: 10.0,
  cleaning_type: 'spot_clean',
};
const create = (user: TestUser, body: unknown) => user.api.post('/api/cleanings/', { json: body });

describe('cleaning routes', () => {
  it('exist, and require authentication', async () => {
    for (const [method, path] of [
      ['POST', '/api/cleanings/'],
      ['GET', '/api/cleanings/1/'],
      ['GET', '/api/cleanings/'],
      ['PUT', '/api/cleanings/1/'],
      ['DELETE', '/api/cleanings/0/'],
    ] as const) {
      const res = await suite.api.request(method, path, method === 'POST' ? { json: {} } : {});
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });
});

describe('creating cleanings', () => {
  it('creates a cleaning belonging to the user', async () => {
    const user = await makeUser(suite.server.url);
    const res = await create(user, { new_cleaning: newCleaning });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'test cleaning',
      price: 10,
      cleaning_type: 'spot_clean',
      owner: user.id,
    });
  });

  it('gives a new cleaning the same created_at and updated_at, so that the feed never mistakes it for an edit', async () => {
    const user = await makeUser(suite.server.url);
    const created = await Promise.all(
      Array.from({ length: 30 }, () => create(user, { new_cleaning: newCleaning })),
    );
    for (const res of created) expect(res.body.updated_at).toBe(res.body.created_at);
  });

  it('defaults the type to spot_clean and the description to null', async () => {
    const user = await makeUser(suite.server.url);
    const res = await create(user, { new_cleaning: { name: 'x', price: 1 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ cleaning_type: 'spot_clean', description: null });
  });

  it('refuses unauthenticated users', async () => {
    expect((await suite.api.post('/api/cleanings/', { json: { new_cleaning: newCleaning } })).status).toBe(
      401,
    );
  });

  it.each([
    [null],
    [{}],
    [{ new_cleaning: null }],
    [{ new_cleaning: { name: 'test' } }],
    [{ new_cleaning: { price: 10.0 } }],
    [{ new_cleaning: { name: 'test', description: 'test' } }],
    [{ new_cleaning: { ...newCleaning, cleaning_type: 'invalid cleaning type' } }],
    [{ new_cleaning: { ...newCleaning, price: 'ten' } }],
    [{ new_cleaning: { ...newCleaning, name: [] } }],
  ])('answers 422 for %j', async (body) => {
    const user = await makeUser(suite.server.url);
    const res = await create(user, body);
    expect(res.status).toBe(422);
    expect(Array.isArray(res.body.detail)).toBe(true);
  });

  it('answers 422 for cleaning_type: null, not a 500 (fix)', async () => {
    const user = await makeUser(suite.server.url);
    const res = await create(user, { new_cleaning: { ...newCleaning, cleaning_type: null } });
    expect(res.status).toBe(422);
  });

  it.each([[0], [-1], [99999.991], [100000], [1e308]])(
    'answers 422 for the price %d (fix)',
    async (price) => {
      const user = await makeUser(suite.server.url);
      const res = await create(user, { new_cleaning: { ...newCleaning, price } });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['body', 'new_cleaning', 'price']);
    },
  );

  it('accepts the largest price', async () => {
    const user = await makeUser(suite.server.url);
    const res = await create(user, { new_cleaning: { ...newCleaning, price: 99999.99 } });
    expect(res.status).toBe(201);
    expect(res.body.price).toBe(99999.99);
  });

  it('answers 422 for a blank name (fix)', async () => {
    const user = await makeUser(suite.server.url);
    expect((await create(user, { new_cleaning: { ...newCleaning, name: '   ' } })).status).toBe(422);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.post('/api/cleanings/', {
      body: '{"new_cleaning": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: 'There was an error parsing the body', code: 'MALFORMED_BODY' });
  });
});

describe('getting cleanings', () => {
  it('gets a cleaning by id', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    const res = await owner.api.get(`/api/cleanings/${cleaning.id}/`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(cleaning);
  });

  it('lets any authenticated user read any cleaning', async () => {
    const [owner, other] = [await makeUser(suite.server.url), await makeUser(suite.server.url)];
    const cleaning = await makeCleaning(owner);
    expect((await other.api.get(`/api/cleanings/${cleaning.id}/`)).status).toBe(200);
  });

  it('refuses unauthenticated users', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    expect((await suite.api.get(`/api/cleanings/${cleaning.id}/`)).status).toBe(401);
  });

  it.each([
    ['500000000', 404],
    ['99999999999999', 404],
    ['-1', 422],
    ['0', 422],
    ['None', 422],
    ['1e400', 422],
    ['NaN', 422],
    ['1.5', 422],
  ])('answers for the id %s with %d', async (id, status) => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.get(`/api/cleanings/${id}/`);
    expect(res.status).toBe(status);
    if (status === 404)
      expect(res.body).toEqual({ detail: 'No cleaning found with that id.', code: 'CLEANING_NOT_FOUND' });
  });

  it('checks authentication before the id', async () => {
    expect((await suite.api.get('/api/cleanings/-1/')).status).toBe(401);
  });

  it('lists only the user’s own cleanings, newest first', async () => {
    const [user, other] = [await makeUser(suite.server.url), await makeUser(suite.server.url)];
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await makeCleaning(user, { name: `mine ${i}` }));
    for (let i = 0; i < 5; i++) await makeCleaning(other, { name: `test cleaning ${i}` });
    const res = await user.api.get('/api/cleanings/');
    expect(res.status).toBe(200);
    expect(res.body.map((c: { id: number }) => c.id)).toEqual(mine.map((c) => c.id).reverse());
    expect(res.body.every((c: { owner: number }) => c.owner === user.id)).toBe(true);
  });
});

describe('updating cleanings', () => {
  it.each([
    [{ name: 'new fake cleaning name' }],
    [{ description: 'new fake cleaning description' }],
    [{ price: 3.14 }],
    [{ cleaning_type: 'full_clean' }],
    [{ name: 'extra new fake cleaning name', description: 'extra new fake cleaning description' }],
    [{ price: 42.0, cleaning_type: 'dust_up' }],
  ])('updates %j and leaves everything else alone', async (update) => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    const res = await owner.api.put(`/api/cleanings/${cleaning.id}/`, { json: { cleaning_update: update } });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(cleaning.id);
    for (const [key, value] of Object.entries(update)) {
      expect(res.body[key]).not.toEqual(cleaning[key as keyof typeof cleaning]);
      expect(res.body[key]).toEqual(value);
    }
    for (const key of Object.keys(cleaning)) {
      if (key in update || key === 'updated_at') continue;
      expect(res.body[key]).toEqual(cleaning[key as keyof typeof cleaning]);
    }
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(cleaning.updated_at));
  });

  it('forbids updating someone else’s cleaning, even with an invalid body', async () => {
    const [owner, other] = [await makeUser(suite.server.url), await makeUser(suite.server.url)];
    const cleaning = await makeCleaning(owner);
    const res = await other.api.put(`/api/cleanings/${cleaning.id}/`, {
      json: { cleaning_update: { price: 99.99 } },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      detail: 'Action forbidden. Users are only able to modify cleanings they own.',
      code: 'CLEANING_FORBIDDEN',
    });
    const invalid = await other.api.put(`/api/cleanings/${cleaning.id}/`, {
      json: { cleaning_update: { price: 'x' } },
    });
    expect(invalid.status).toBe(403);
  });

  it('ignores an attempt to change the owner', async () => {
    const [owner, other] = [await makeUser(suite.server.url), await makeUser(suite.server.url)];
    const cleaning = await makeCleaning(owner);
    const res = await owner.api.put(`/api/cleanings/${cleaning.id}/`, {
      json: { cleaning_update: { owner: other.id } },
    });
    expect(res.status).toBe(200);
    expect(res.body.owner).toBe(owner.id);
  });

  it.each([
    ['-1', { name: 'test' }, 422],
    ['0', { name: 'test2' }, 422],
    ['500000', { name: 'test3' }, 404],
    ['own', null, 422],
    ['own', { cleaning_type: 'invalid cleaning type' }, 422],
    ['own', { cleaning_type: null }, 400],
    ['own', { name: null }, 422],
    ['own', { price: null }, 422],
    ['own', { price: -5 }, 422],
  ])('answers for id %s and update %j with %d', async (id, update, status) => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    const path = `/api/cleanings/${id === 'own' ? cleaning.id : id}/`;
    const res = await owner.api.put(path, { json: { cleaning_update: update } });
    expect(res.status).toBe(status);
    if (status === 400)
      expect(res.body).toEqual({
        detail: 'Invalid cleaning type. Cannot be None.',
        code: 'CLEANING_TYPE_NULL',
      });
  });

  it('clears the description with null', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    const res = await owner.api.put(`/api/cleanings/${cleaning.id}/`, {
      json: { cleaning_update: { description: null } },
    });
    expect(res.status).toBe(200);
    expect(res.body.description).toBeNull();
  });
});

describe('deleting cleanings', () => {
  it('deletes a cleaning and answers its id', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    const res = await owner.api.delete(`/api/cleanings/${cleaning.id}/`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(cleaning.id);
    expect((await owner.api.get(`/api/cleanings/${cleaning.id}/`)).status).toBe(404);
  });

  it('forbids deleting someone else’s cleaning', async () => {
    const [owner, other] = [await makeUser(suite.server.url), await makeUser(suite.server.url)];
    const cleaning = await makeCleaning(owner);
    expect((await other.api.delete(`/api/cleanings/${cleaning.id}/`)).status).toBe(403);
    expect((await owner.api.get(`/api/cleanings/${cleaning.id}/`)).status).toBe(200);
  });

  it.each([
    ['5000000', 404],
    ['0', 422],
    ['-1', 422],
    ['None', 422],
  ])('answers for the id %s with %d', async (id, status) => {
    const user = await makeUser(suite.server.url);
    expect((await user.api.delete(`/api/cleanings/${id}/`)).status).toBe(status);
  });
});

describe('unknown routes and methods', () => {
  it('answers 404 for an unknown path and 405 for a wrong method', async () => {
    const user = await makeUser(suite.server.url);
    expect((await user.api.get('/api/nothing-here/')).status).toBe(404);
    const res = await user.api.request('PATCH', '/api/cleanings/');
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ detail: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' });
  });
});
