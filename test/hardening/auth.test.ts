// Authentication and authorization (issue 7, part 2): every forged or dead token is refused on every
// authenticated REST route and on the socket handshake, and login is rate-limited per IP and per email.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/contract/error-codes.ts';
import { User } from '../../src/db/entities/index.ts';
import { Api, makeCleaning, makeUser, uniqueName, type TestUser } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { canRunCluster, redisUrl } from '../helpers/services.ts';
import { TEST_TRANSPORTS, closeAll, connect, connectError } from '../helpers/sockets.ts';
import { until } from '../helpers/wait.ts';
import { forgedTokens, signToken } from './attack-tokens.ts';
import { snapshotRows } from './db-snapshot.ts';
import { rawClient } from './raw-http.ts';

const NOT_AUTHENTICATED = ERROR_CODES.NOT_AUTHENTICATED.detail;
type AuthCode = 'INVALID_TOKEN' | 'NO_AUTHENTICATED_USER' | 'INACTIVE_USER' | 'NOT_AUTHENTICATED';

let server: TestServer;
let owner: TestUser;
/** Each attack: the token to send and the code the refusal must carry (with its catalogue detail). */
let attacks: [name: string, token: string, code: AuthCode][];

beforeAll(async () => {
  server = await startServer();
  owner = await makeUser(server.url);
  const [inactive, deleted, reborn] = [
    await makeUser(server.url),
    await makeUser(server.url),
    await makeUser(server.url),
  ];
  const em = server.app.orm.em.fork();
  await em.nativeUpdate(User, { id: inactive.id }, { isActive: false });
  await em.nativeDelete(User, { id: deleted.id });
  // Deleted, then someone else registers the same username: the old token must not open the new account.
  await em.nativeDelete(User, { id: reborn.id });
  await makeUser(server.url, { username: reborn.username, email: `${uniqueName('other')}@example.io` });

  const forged = forgedTokens(owner);
  attacks = [
    ...Object.entries(forged).map(
      ([name, token]) =>
        [name, token, name === 'an unknown username' ? 'NO_AUTHENTICATED_USER' : 'INVALID_TOKEN'] as [
          string,
          string,
          AuthCode,
        ],
    ),
    ['a token of a deactivated user', inactive.token, 'INACTIVE_USER'],
    ['a token of a deleted user', deleted.token, 'NO_AUTHENTICATED_USER'],
    ['a token of a deleted user whose username was taken again', reborn.token, 'NO_AUTHENTICATED_USER'],
    [
      'a valid signature for an unknown username',
      signToken({ username: 'ghost_user' }, { subject: 'g@x.io' }),
      'NO_AUTHENTICATED_USER',
    ],
  ];
});
afterAll(() => server.close());

/** Every authenticated route of the server's own OpenAPI document, with the owner's ids and a valid body. */
async function authenticatedRoutes(cleaningId: number) {
  const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { security?: unknown[] }>>;
  };
  const bodies: Record<string, unknown> = {
    'post /api/cleanings/': { new_cleaning: { name: 'x', price: 1 } },
    'put /api/cleanings/{cleaning_id}/': { cleaning_update: { name: 'y' } },
    'put /api/profiles/me/': { profile_update: { full_name: 'z' } },
  };
  return Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => op.security)
      .map(([method, _op]) => ({
        method: method.toUpperCase(),
        path: template.replace('{cleaning_id}', String(cleaningId)).replace('{username}', owner.username),
        body: bodies[`${method} ${template}`],
      })),
  );
}

describe('authentication on every REST route', () => {
  it('refuses every forged, expired, foreign or dead token with a 401 and changes nothing', async () => {
    const cleaning = await makeCleaning(owner);
    const routes = await authenticatedRoutes(cleaning.id);
    expect(routes.length).toBeGreaterThanOrEqual(19);
    const client = rawClient(server.url, 8);
    const before = await snapshotRows(server);
    const cases = routes.flatMap((route) =>
      [...attacks, ['no Authorization header', '', 'NOT_AUTHENTICATED'] as const].map(
        ([name, token, code]) => ({
          route,
          name,
          token,
          code,
        }),
      ),
    );
    const failures: string[] = [];
    await Promise.all(
      cases.map(async ({ route, name, token, code }) => {
        const res = await client.send({
          label: name,
          method: route.method,
          path: route.path,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(route.body ? { 'content-type': 'application/json' } : {}),
          },
          ...(route.body ? { body: JSON.stringify(route.body) } : {}),
        });
        const ok =
          res.status === 401 &&
          JSON.stringify(res.json) === JSON.stringify({ detail: ERROR_CODES[code].detail, code }) &&
          res.headers['www-authenticate'] === 'Bearer';
        if (!ok) failures.push(`${route.method} ${route.path} with ${name}: ${res.status} ${res.text}`);
      }),
    );
    client.close();
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThan(600);
    expect(await snapshotRows(server)).toEqual(before);
    // The owner's own token still works, so the refusals were about the tokens.
    expect((await owner.api.get('/api/users/me/')).status).toBe(200);
  });

  it('refuses a deleted user even on routes that would not read their rows', async () => {
    const user = await makeUser(server.url);
    await server.app.orm.em.fork().nativeDelete(User, { id: user.id });
    for (const path of ['/api/feed/cleanings/', '/api/cleanings/', '/api/users/me/offers/']) {
      const res = await user.api.get(path);
      expect([res.status, res.body]).toEqual([
        401,
        { detail: ERROR_CODES.NO_AUTHENTICATED_USER.detail, code: 'NO_AUTHENTICATED_USER' },
      ]);
    }
  });
});

describe('authentication on the socket handshake', () => {
  it('refuses every forged, expired, foreign or dead token with connect_error "unauthorized"', async () => {
    const outcomes = await Promise.all(
      attacks.map(
        async ([name, token, code]) => [name, await connectError(server.url, token), code] as const,
      ),
    );
    for (const [name, err, code] of outcomes) {
      expect({ name, ...err }).toEqual({
        name,
        message: 'unauthorized',
        data: { status: 401, code, detail: ERROR_CODES[code].detail },
      });
    }
  });

  it.each([
    ['a number', 12345],
    ['an object', { token: 'x' }],
    ['an array', ['x']],
    ['null', null],
    ['a token over 4 kB', 'a'.repeat(5000)],
  ])('refuses auth.token that is %s', async (_name, token) => {
    const err = await connectError(server.url, token as never);
    expect(err).toEqual({
      message: 'unauthorized',
      data: { status: 401, code: 'NOT_AUTHENTICATED', detail: NOT_AUTHENTICATED },
    });
  });

  it('takes the token only from auth, not from the query string or an Authorization header', async () => {
    const { io } = await import('socket.io-client');
    for (const options of [
      { query: { token: owner.token } },
      { extraHeaders: { authorization: `Bearer ${owner.token}` } },
    ]) {
      const socket = io(server.url, {
        transports: TEST_TRANSPORTS,
        reconnection: false,
        forceNew: true,
        ...options,
      });
      const err = await new Promise<{ message: string; data: unknown }>((resolve) =>
        socket.once('connect_error', (e) =>
          resolve({ message: e.message, data: (e as { data?: unknown }).data }),
        ),
      );
      socket.close();
      expect(err).toEqual({
        message: 'unauthorized',
        data: { status: 401, code: 'NOT_AUTHENTICATED', detail: NOT_AUTHENTICATED },
      });
    }
  });

  it('still accepts the genuine token of the same user', async () => {
    const socket = await connect(server.url, owner.token);
    expect(socket.connected).toBe(true);
    await closeAll(socket);
  });
});

describe('registration limit', () => {
  it('limits registrations per client IP, and each client behind a trusted proxy on its own', async () => {
    const limited = await startServer({
      env: { REGISTER_IP_RATE_LIMIT: '3', REGISTER_RATE_WINDOW_SECONDS: '600', TRUST_PROXY: 'loopback' },
    });
    try {
      const api = new Api(limited.url);
      const register = (headers: Record<string, string>) => {
        const username = uniqueName('reg');
        return api.post('/api/users/', {
          json: { new_user: { email: `${username}@example.io`, username, password: 'correct-horse' } },
          headers,
        });
      };
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      const answers = await Promise.all(Array.from({ length: 5 }, () => register(from('203.0.113.20'))));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429]);
      const refused = answers.find((r) => r.status === 429)!;
      expect(refused.body).toEqual({ detail: ERROR_CODES.RATE_LIMITED.detail, code: 'RATE_LIMITED' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(600);
      expect((await register(from('203.0.113.21'))).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});

describe('sockets per account', () => {
  it('refuses the handshake past the cap with a clear connect_error, and admits again once one closes', async () => {
    const capped = await startServer({ env: { SOCKETS_PER_ACCOUNT: '3' } });
    try {
      const [user, other] = [await makeUser(capped.url), await makeUser(capped.url)];
      // Opened all at once: parallel handshakes cannot all slip under the cap.
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, () => connect(capped.url, user.token)),
      );
      const open = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      expect(open).toHaveLength(3);
      for (const a of attempts) {
        if (a.status === 'fulfilled') continue;
        const err = a.reason as Error & { data?: unknown };
        expect({ message: err.message, data: err.data }).toEqual({
          message: 'rate_limited',
          data: { status: 429, code: 'TOO_MANY_SOCKETS', detail: ERROR_CODES.TOO_MANY_SOCKETS.detail },
        });
      }
      // Another account is not affected.
      const others = await connect(capped.url, other.token);
      await closeAll(open[0]);
      await until(async () => {
        const again = await connect(capped.url, user.token).catch(() => undefined);
        if (again) open.push(again);
        return again !== undefined;
      }, 5_000);
      await closeAll(...open, others);
    } finally {
      await capped.close();
    }
  });
});

describe('login rate limits', () => {
  const login = (api: Api, username: string, password: string, headers: Record<string, string> = {}) =>
    api.post('/api/users/login/token/', { form: { username, password }, headers });

  function expectRateLimited(res: Awaited<ReturnType<typeof login>>, windowSeconds: number) {
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ detail: ERROR_CODES.RATE_LIMITED.detail, code: 'RATE_LIMITED' });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  }

  it.each([
    ['in memory (one node)', false] as const,
    // Skipped only on a developer machine without Redis; CI always has it.
    ...(redisUrl ? [['in Redis (several nodes)', true] as const] : []),
  ])('limits attempts per email, %s, whatever the case or spacing of the email', async (_name, redis) => {
    const limited = await startServer({
      redis,
      env: { LOGIN_RATE_LIMIT: '3', LOGIN_IP_RATE_LIMIT: '1000', LOGIN_RATE_WINDOW_SECONDS: '60' },
    });
    try {
      const api = new Api(limited.url);
      const victim = await makeUser(limited.url);
      const bystander = await makeUser(limited.url);
      const variants = [victim.email, victim.email.toUpperCase(), ` ${victim.email} `];
      for (const email of variants) expect((await login(api, email, 'wrong-password')).status).toBe(401);
      // Past the limit even the right password is refused: the attacker cannot learn that it was right.
      expectRateLimited(await login(api, victim.email, victim.password), 60);
      expectRateLimited(await login(api, `\t${victim.email.toUpperCase()}  `, 'wrong-password'), 60);
      expect((await login(api, bystander.email, bystander.password)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it.each([
    ['in memory (one node)', false] as const,
    ...(redisUrl ? [['in Redis (several nodes)', true] as const] : []),
  ])('counts failed logins only, %s', async (_name, redis) => {
    const limited = await startServer({
      redis,
      env: { LOGIN_RATE_LIMIT: '3', LOGIN_IP_RATE_LIMIT: '5', LOGIN_RATE_WINDOW_SECONDS: '60' },
    });
    try {
      const api = new Api(limited.url);
      const user = await makeUser(limited.url);
      // Twice both limits of correct logins: none of them uses up an attempt.
      for (let i = 0; i < 10; i++) expect((await login(api, user.email, user.password)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await login(api, user.email, 'wrong-password')).status).toBe(401);
      expectRateLimited(await login(api, user.email, user.password), 60);
    } finally {
      await limited.close();
    }
  });

  it.runIf(canRunCluster)('shares the per-email limit between nodes on the same Redis', async () => {
    const db = await createTestDatabase();
    const env = {
      LOGIN_RATE_LIMIT: '2',
      LOGIN_IP_RATE_LIMIT: '1000',
      REDIS_PREFIX: `phresh-test-${randomBytes(4).toString('hex')}`,
    };
    const a = await startServer({ db, redis: true, env });
    const b = await startServer({ db, redis: true, env });
    try {
      const victim = await makeUser(a.url);
      expect((await login(new Api(a.url), victim.email, 'wrong-password')).status).toBe(401);
      expect((await login(new Api(b.url), victim.email, 'wrong-password')).status).toBe(401);
      expectRateLimited(await login(new Api(a.url), victim.email, victim.password), 60);
      expectRateLimited(await login(new Api(b.url), victim.email, victim.password), 60);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });

  it('limits attempts per client IP across emails, whatever X-Forwarded-For claims', async () => {
    const limited = await startServer({
      env: { LOGIN_RATE_LIMIT: '1000', LOGIN_IP_RATE_LIMIT: '4', LOGIN_RATE_WINDOW_SECONDS: '30' },
    });
    try {
      const api = new Api(limited.url);
      const user = await makeUser(limited.url);
      for (let i = 0; i < 4; i++) {
        const res = await login(api, `${uniqueName()}@example.io`, 'wrong-password', {
          'x-forwarded-for': `203.0.113.${i}`,
        });
        expect(res.status).toBe(401);
      }
      expectRateLimited(
        await login(api, user.email, user.password, { 'x-forwarded-for': '198.51.100.7' }),
        30,
      );
      expectRateLimited(await login(api, `${uniqueName()}@example.io`, 'x'), 30);
    } finally {
      await limited.close();
    }
  });

  it.each([
    ['the proxy is named (TRUST_PROXY=loopback)', 'loopback'],
    ['one hop is trusted (TRUST_PROXY=1)', '1'],
  ])('limits each client behind a trusted proxy by its forwarded address, when %s', async (_name, trust) => {
    const limited = await startServer({
      env: {
        TRUST_PROXY: trust,
        LOGIN_RATE_LIMIT: '1000',
        LOGIN_IP_RATE_LIMIT: '2',
        LOGIN_RATE_WINDOW_SECONDS: '30',
      },
    });
    try {
      const api = new Api(limited.url);
      const user = await makeUser(limited.url);
      // The proxy appends the address it saw; whatever the client wrote before it is not believed.
      const from = (client: string, claimed = '192.0.2.77') => ({
        'x-forwarded-for': `${claimed}, ${client}`,
      });
      for (const claimed of ['192.0.2.1', '192.0.2.2']) {
        const res = await login(api, `${uniqueName()}@example.io`, 'x', from('203.0.113.10', claimed));
        expect(res.status).toBe(401);
      }
      expectRateLimited(await login(api, user.email, user.password, from('203.0.113.10', '192.0.2.3')), 30);
      // Another client behind the same proxy keeps its own count.
      expect((await login(api, user.email, user.password, from('203.0.113.11'))).status).toBe(200);
      // The limited client cannot escape by claiming the other's address first.
      expectRateLimited(
        await login(api, user.email, user.password, from('203.0.113.10', '203.0.113.11')),
        30,
      );
    } finally {
      await limited.close();
    }
  });

  it('counts only attempts that reach a password check, and no other route', async () => {
    const limited = await startServer({ env: { LOGIN_RATE_LIMIT: '2', LOGIN_IP_RATE_LIMIT: '2' } });
    try {
      const api = new Api(limited.url);
      const user = await makeUser(limited.url);
      for (let i = 0; i < 5; i++) {
        expect((await api.post('/api/users/login/token/', { form: { username: user.email } })).status).toBe(
          422,
        );
        expect((await user.api.get('/api/users/me/')).status).toBe(200);
      }
      expect((await login(api, user.email, user.password)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
