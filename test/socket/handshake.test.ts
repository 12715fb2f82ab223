import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../../src/db/entities/index.ts';
import { makeUser } from '../helpers/api.ts';
import { startServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { closeAll, connect, connectError, ok, type ClientSocket } from '../helpers/sockets.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const sign = (claims: Record<string, unknown>, options: jwt.SignOptions = {}, secret = TEST_SECRET) =>
  jwt.sign(claims, secret, {
    algorithm: 'HS256',
    audience: 'phresh:auth',
    issuer: 'phresh.io',
    subject: 'x@example.io',
    ...('exp' in claims ? {} : { expiresIn: 600 }),
    ...options,
  });

describe('socket handshake', () => {
  it('accepts the same JWT as REST', async () => {
    const user = await makeUser(server.url);
    const socket = await connect(server.url, user.token);
    expect(socket.connected).toBe(true);
    expect(await ok(socket, 'feed:subscribe', {})).toBeNull();
    await closeAll(socket);
  });

  it.each([
    ['no token', () => undefined, 'Not authenticated', 'NOT_AUTHENTICATED'],
    ['an empty token', () => '', 'Not authenticated', 'NOT_AUTHENTICATED'],
    ['garbage', () => 'not-a-jwt', 'Could not validate token credentials.', 'INVALID_TOKEN'],
    [
      'a wrong secret',
      () => sign({ username: 'x' }, {}, 'another-secret-another-secret-another'),
      'Could not validate token credentials.',
      'INVALID_TOKEN',
    ],
    [
      'a wrong audience',
      () => sign({ username: 'x' }, { audience: 'othersite:auth' }),
      'Could not validate token credentials.',
      'INVALID_TOKEN',
    ],
    [
      'an expired token',
      () => sign({ username: 'x', exp: Math.floor(Date.now() / 1000) - 5 }),
      'Could not validate token credentials.',
      'INVALID_TOKEN',
    ],
    [
      'alg none',
      () =>
        jwt.sign(
          {
            username: 'x',
            aud: 'phresh:auth',
            iss: 'phresh.io',
            sub: 'x@e.io',
            exp: Math.floor(Date.now() / 1000) + 60,
          },
          '',
          { algorithm: 'none' },
        ),
      'Could not validate token credentials.',
      'INVALID_TOKEN',
    ],
    [
      'an unknown username',
      () => sign({ username: 'nobody_by_this_name' }),
      'No authenticated user.',
      'NO_AUTHENTICATED_USER',
    ],
  ])('refuses %s with connect_error "unauthorized" and a 401', async (_name, token, detail, code) => {
    const err = await connectError(server.url, token());
    expect(err.message).toBe('unauthorized');
    expect(err.data).toEqual({ status: 401, code, detail });
  });

  it('refuses an inactive user', async () => {
    const user = await makeUser(server.url);
    await server.app.orm.em.fork().nativeUpdate(User, { id: user.id }, { isActive: false });
    expect(await connectError(server.url, user.token)).toEqual({
      message: 'unauthorized',
      data: { status: 401, code: 'INACTIVE_USER', detail: 'Not an active user.' },
    });
  });

  it('sends session:expired and disconnects when the token expires mid-connection', async () => {
    const user = await makeUser(server.url);
    const token = sign({ username: user.username }, { expiresIn: 2, subject: user.email });
    const socket = await connect(server.url, token);
    const expired = new Promise<{ detail: string }>((resolve) => socket.once('session:expired', resolve));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(await expired).toEqual({ detail: 'Token expired.' });
    expect(await disconnected).toBe('io server disconnect');
  });

  it('disconnects every socket of a user who is deactivated', async () => {
    const user = await makeUser(server.url);
    const sockets: ClientSocket[] = await Promise.all([
      connect(server.url, user.token),
      connect(server.url, user.token),
    ]);
    const gone = sockets.map((s) => new Promise<string>((resolve) => s.once('disconnect', resolve)));
    const notices = sockets.map(
      (s) => new Promise<{ detail: string }>((resolve) => s.once('session:expired', resolve)),
    );
    const res = await user.api.post(`/api/users/${user.username}/deactivate/`);
    expect(res.status).toBe(200);
    expect(res.body.is_active).toBe(false);
    expect(await Promise.all(notices)).toEqual([
      { detail: 'Not an active user.' },
      { detail: 'Not an active user.' },
    ]);
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
    expect((await user.api.get('/api/users/me/')).status).toBe(401);
  });

  it('lets only superusers deactivate someone else', async () => {
    const [user, other] = [await makeUser(server.url), await makeUser(server.url)];
    const res = await user.api.post(`/api/users/${other.username}/deactivate/`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Only administrators may do that.', code: 'ADMIN_ONLY' });
  });
});
