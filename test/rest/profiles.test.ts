import { describe, expect, it } from 'vitest';
import { Profile } from '../../src/db/entities/index.ts';
import { makeUser, uniqueName } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';

const suite = useLiveServer();

describe('profile routes', () => {
  it('exist', async () => {
    const user = await makeUser(suite.server.url);
    expect((await suite.api.get(`/api/profiles/${user.username}/`)).status).not.toBe(404);
    expect((await suite.api.put('/api/profiles/me/', { json: { profile_update: {} } })).status).not.toBe(404);
  });
});

describe('profile creation', () => {
  it('creates a profile for every new user', async () => {
    const res = await suite.api.post('/api/users/', {
      json: {
        new_user: {
          email: `${uniqueName()}@johnson.io`,
          username: uniqueName('therock'),
          password: 'dwaynetherockjohnson',
        },
      },
    });
    expect(res.status).toBe(201);
    const profile = await suite.server.app.orm.em.fork().findOne(Profile, { userId: res.body.id });
    expect(profile).not.toBeNull();
  });
});

describe('profile view', () => {
  it('lets an authenticated user view another user’s profile, without their email', async () => {
    const [viewer, other] = [await makeUser(suite.server.url), await makeUser(suite.server.url)];
    const res = await viewer.api.get(`/api/profiles/${other.username}/`);
    expect(res.status).toBe(200);
    expect(res.body.username).toBe(other.username);
    expect(res.body.user_id).toBe(other.id);
    expect(res.body.email).toBeNull();
  });

  it('shows the email on your own profile', async () => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.get(`/api/profiles/${user.username}/`);
    expect(res.body.email).toBe(user.email);
  });

  it('refuses unregistered users', async () => {
    const other = await makeUser(suite.server.url);
    expect((await suite.api.get(`/api/profiles/${other.username}/`)).status).toBe(401);
  });

  it('answers 404 when the username matches no user', async () => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.get('/api/profiles/username_doesnt_match/');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'No profile found with that username.', code: 'PROFILE_NOT_FOUND' });
  });

  it.each([['ab'], ['bad%20name'], ['x'.repeat(65)]])('answers 422 for the username %j', async (name) => {
    const user = await makeUser(suite.server.url);
    expect((await user.api.get(`/api/profiles/${name}/`)).status).toBe(422);
  });

  it('returns the caller’s own profile at /api/profiles/me/ (fix)', async () => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.get('/api/profiles/me/');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: user.id, username: user.username, email: user.email });
  });
});

describe('profile management', () => {
  it.each([
    ['full_name', 'Lebron James'],
    ['phone_number', '555-333-1000'],
    ['bio', 'This is a test bio'],
    ['image', 'http://testimages.com/testimage'],
  ])('updates %s', async (key, value) => {
    const user = await makeUser(suite.server.url);
    const before = await user.api.get('/api/users/me/');
    expect(before.body.profile[key]).not.toBe(value);
    const res = await user.api.put('/api/profiles/me/', { json: { profile_update: { [key]: value } } });
    expect(res.status).toBe(200);
    expect(res.body[key]).toBe(value);
    expect(res.body.username).toBeNull();
    const after = await user.api.get('/api/users/me/');
    expect(after.body.profile[key]).toBe(value);
  });

  it('coerces numbers to strings, as the original did', async () => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.put('/api/profiles/me/', {
      json: { profile_update: { phone_number: 5553331000 } },
    });
    expect(res.status).toBe(200);
    expect(res.body.phone_number).toBe('5553331000');
  });

  it.each([
    ['full_name', []],
    ['bio', {}],
    ['image', './image-string.png'],
    ['image', 5],
    ['image', 'ftp://example.com/a.png'],
  ])('answers 422 for %s = %j', async (key, value) => {
    const user = await makeUser(suite.server.url);
    const res = await user.api.put('/api/profiles/me/', { json: { profile_update: { [key]: value } } });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['body', 'profile_update', key]);
  });

  it('changes only the fields sent', async () => {
    const user = await makeUser(suite.server.url);
    await user.api.put('/api/profiles/me/', { json: { profile_update: { full_name: 'A', bio: 'B' } } });
    const res = await user.api.put('/api/profiles/me/', { json: { profile_update: { bio: 'C' } } });
    expect(res.body).toMatchObject({ full_name: 'A', bio: 'C' });
  });
});
