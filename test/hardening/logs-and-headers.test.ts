// What leaves the server besides the answers it means to give (issue 7, part 2): logs without passwords or
// tokens, 500s without stacks or SQL, security headers on every answer, and CORS only for configured origins.
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../../src/db/entities/index.ts';
import type { Em } from '../../src/db/orm.ts';
import { Api, makeCleaning, makeUser, uniqueName } from '../helpers/api.ts';
import { startServer, TEST_SECRET, type TestServer } from '../helpers/server.ts';
import { closeAll, connect, connectError, rawCommand } from '../helpers/sockets.ts';
import { forgedTokens } from './attack-tokens.ts';
import { rawClient } from './raw-http.ts';

/** Runs SQL through the server's own ORM (PostgreSQL or PGlite alike). */
function execute(server: TestServer, sql: string) {
  return (server.app.orm.em.fork() as Em).execute(sql);
}

describe('logs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(() => server.close());

  it('never contain a password, a password hash or a token, even when a query fails', async () => {
    const api = new Api(server.url);
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`;
    const username = uniqueName('logged');
    const email = `${username}@example.io`;
    const registered = await api.post('/api/users/', { json: { new_user: { email, username, password } } });
    expect(registered.status).toBe(201);
    const token: string = registered.body.access_token.access_token;
    const user = new Api(server.url, token);

    const login = await api.post('/api/users/login/token/', { form: { username: email, password } });
    expect(login.status).toBe(200);
    const loginToken: string = login.body.access_token;
    expect(
      (await api.post('/api/users/login/token/', { form: { username: email, password: wrongPassword } }))
        .status,
    ).toBe(401);
    expect((await api.post('/api/users/login/token/', { form: { password } })).status).toBe(422);
    expect((await api.post('/api/users/login/token/', { json: { username: email, password } })).status).toBe(
      422,
    );
    expect(
      (await api.post('/api/users/', { json: { new_user: { email, username: 'x', password } } })).status,
    ).toBe(422);
    expect((await user.get('/api/users/me/')).status).toBe(200);
    // Tokens where no token belongs: in the path, in the query string, in a forged header.
    expect((await user.get(`/api/profiles/${token}/`)).status).toBe(422);
    expect((await api.get(`/api/users/me/?access_token=${token}`)).status).toBe(401);
    expect((await api.get(`/api/nowhere/${loginToken}`)).status).toBe(404);
    const forged = Object.values(forgedTokens({ username, email }));
    for (const t of forged.slice(0, 8)) expect((await api.as(t).get('/api/users/me/')).status).toBe(401);

    const socket = await connect(server.url, token);
    expect((await rawCommand(socket, 'offer:create', { cleaning_id: 'x', password })).ok).toBe(false);
    await closeAll(socket);
    expect((await connectError(server.url, forged[0]!)).message).toBe('unauthorized');

    // Make the database refuse writes it would normally take, so that driver errors (which quote the failing
    // row, password hash included) are logged as unexpected errors.
    await execute(server, `alter table users add constraint zz_no_new_users check (id < 0) not valid`);
    await execute(
      server,
      `alter table profiles add constraint zz_no_profile_edits check (full_name is null) not valid`,
    );
    try {
      const failed = await api.post('/api/users/', {
        json: { new_user: { email: `b${email}`, username: `b${username}`, password } },
      });
      expect([failed.status, failed.body]).toEqual([
        500,
        { detail: 'Internal Server Error', code: 'INTERNAL' },
      ]);
      const edit = await user.put('/api/profiles/me/', { json: { profile_update: { full_name: password } } });
      expect([edit.status, edit.body]).toEqual([500, { detail: 'Internal Server Error', code: 'INTERNAL' }]);
    } finally {
      await execute(server, `alter table users drop constraint zz_no_new_users`);
      await execute(server, `alter table profiles drop constraint zz_no_profile_edits`);
    }
    const deactivated = await user.post(`/api/users/${username}/deactivate/`);
    expect(deactivated.status).toBe(200);

    const row = await server.app.orm.em.fork().findOneOrFail(User, { username });
    const [, , , , salt, hash] = row.passwordHash.split('$');
    const logs = server.logs();
    const text = JSON.stringify(logs);
    const secrets: Record<string, string> = {
      password,
      'wrong password': wrongPassword,
      token,
      'login token': loginToken,
      "a token's signature": token.split('.')[2]!,
      'the password salt': salt!,
      'the start of the password hash': hash!.slice(0, 10),
      'the secret key': TEST_SECRET,
      ...Object.fromEntries(forged.filter((t) => t.length > 20).map((t, i) => [`forged token ${i}`, t])),
    };
    const found = Object.entries(secrets)
      .filter(([, secret]) => text.includes(secret))
      .map(([name]) => name);
    expect(found).toEqual([]);
    // The failures above were logged, with their stack, so the test saw the paths that could leak.
    const unexpected = logs.filter((l) => l.msg === 'unexpected error');
    expect(unexpected.length).toBeGreaterThanOrEqual(2);
    expect(String((unexpected[0]!.err as { stack?: string }).stack)).toContain('CheckConstraintViolation');
  });
});

describe('answers to unexpected errors', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('are a bare 500 on REST and on the socket: no message, stack or SQL', async () => {
    const [owner, cleaner, other] = [
      await makeUser(server.url),
      await makeUser(server.url),
      await makeUser(server.url),
    ];
    const cleaning = await makeCleaning(owner);
    await execute(server, `alter table offers rename column status to status_gone`);
    try {
      const rest = await cleaner.api.post(`/api/cleanings/${cleaning.id}/offers/`);
      expect(rest.status).toBe(500);
      expect(rest.text).toBe('{"detail":"Internal Server Error","code":"INTERNAL"}');
      expect(rest.headers.get('content-type')).toMatch(/^application\/json/);
      const socket = await connect(server.url, other.token);
      const ack = await rawCommand(socket, 'offer:create', { cleaning_id: cleaning.id });
      expect(ack).toEqual({
        ok: false,
        error: { status: 500, code: 'INTERNAL', detail: 'Internal Server Error' },
      });
      await closeAll(socket);
    } finally {
      await execute(server, `alter table offers rename column status_gone to status`);
    }
    const logged = server.logs().filter((l) => l.msg === 'unexpected error');
    expect(logged.length).toBe(2);
    expect(JSON.stringify(logged)).toContain('status');
  });
});

/** The dashboard's CSP, as it has been since the first release. */
const CSP_DIRECTIVES = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: https:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].sort();

describe('security headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const EXPECTED = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
  };

  it('are set on every kind of answer, and API answers are never cached', async () => {
    const user = await makeUser(server.url);
    const client = rawClient(server.url, 2);
    const json = { 'content-type': 'application/json' };
    const answers = {
      '200 json': await client.send({
        label: '',
        method: 'GET',
        path: '/api/users/me/',
        headers: { authorization: `Bearer ${user.token}` },
      }),
      '401': await client.send({ label: '', method: 'GET', path: '/api/users/me/' }),
      '404': await client.send({ label: '', method: 'GET', path: '/api/nowhere/' }),
      '405': await client.send({ label: '', method: 'PATCH', path: '/api/users/me/' }),
      '400': await client.send({ label: '', method: 'POST', path: '/api/users/', headers: json, body: '{' }),
      '413': await client.send({
        label: '',
        method: 'POST',
        path: '/api/users/',
        headers: json,
        body: `"${'x'.repeat(70_000)}"`,
      }),
      '422': await client.send({ label: '', method: 'POST', path: '/api/users/', headers: json, body: '{}' }),
      'docs page': await client.send({ label: '', method: 'GET', path: '/docs' }),
      openapi: await client.send({ label: '', method: 'GET', path: '/api/openapi.json' }),
      health: await client.send({ label: '', method: 'GET', path: '/healthz' }),
    };
    client.close();
    for (const [name, res] of Object.entries(answers)) {
      const got = Object.fromEntries(Object.keys(EXPECTED).map((h) => [h, res.headers[h]]));
      expect({ name, ...got }).toEqual({ name, ...EXPECTED });
      const csp = String(res.headers['content-security-policy'])
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .sort();
      expect(csp, name).toEqual(CSP_DIRECTIVES);
      expect(res.headers['x-powered-by'], name).toBeUndefined();
      if (name !== 'docs page' && name !== 'health')
        expect(res.headers['cache-control'], name).toBe('no-store');
    }
  });

  it('answer requests Node itself refuses with a JSON detail too', async () => {
    const client = rawClient(server.url, 1);
    const tooLong = await client.send({
      label: '',
      method: 'GET',
      path: `/api/profiles/${'a'.repeat(20_000)}/`,
    });
    expect([tooLong.status, tooLong.json]).toEqual([
      431,
      { detail: 'Request header fields too large.', code: 'HEADERS_TOO_LARGE' },
    ]);
    expect(tooLong.headers['x-content-type-options']).toBe('nosniff');
    const huge = await client.send({
      label: '',
      method: 'GET',
      path: '/api/users/me/',
      headers: { authorization: `Bearer ${'a'.repeat(20_000)}` },
    });
    expect([huge.status, huge.json]).toEqual([
      431,
      { detail: 'Request header fields too large.', code: 'HEADERS_TOO_LARGE' },
    ]);
    client.close();
    // A request line no HTTP parser accepts.
    const { connect: tcp } = await import('node:net');
    const raw = await new Promise<string>((resolve, reject) => {
      const url = new URL(server.url);
      const socket = tcp(Number(url.port), url.hostname, () =>
        socket.write('GET /api/users/me/ HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (d) => (data += String(d)));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw.endsWith('{"detail":"Bad Request","code":"BAD_REQUEST"}')).toBe(true);
  });

  /** Writes `bytes` on one connection and resolves with everything the server sent until it closed. */
  const exchange = (bytes: string) =>
    new Promise<string>((resolve, reject) => {
      const url = new URL(server.url);
      const socket = netConnect(Number(url.port), url.hostname, () => socket.write(bytes));
      let data = '';
      socket.on('data', (d) => (data += String(d)));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
  const statusLines = (raw: string) => raw.match(/^HTTP\/1\.1 \d+ [^\r]*/gm) ?? [];

  it('gives a pipelined request its own answer when unreadable bytes follow it, then closes', async () => {
    // The first request is answered after a database round trip, while the parser already refused the bytes
    // after it: a refusal written then would reach the client as the answer to the first request.
    const raw = await exchange('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n');
    expect(statusLines(raw)).toEqual(['HTTP/1.1 200 OK']);
    const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    expect(JSON.parse(body)).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
  });

  it('refuses a request whose body breaks the framing through its own answer, once', async () => {
    const raw = await exchange(
      'POST /api/users/login/token/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\nabc\r\n',
    );
    expect(statusLines(raw)).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(raw).toMatch(/\r\nX-Request-Id: /i);
    expect(raw.endsWith('{"detail":"Bad Request","code":"BAD_REQUEST"}')).toBe(true);
  });
});

describe('CORS', () => {
  const ALLOWED = ['https://app.example.io', 'https://admin.example.io'];
  let server: TestServer;
  let closed: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { CORS_ORIGINS: ALLOWED.join(', ') } });
    closed = await startServer();
  });
  afterAll(async () => {
    await server.close();
    await closed.close();
  });

  const get = (base: string, path: string, headers: Record<string, string>) =>
    fetch(base + path, { headers });
  const preflight = (base: string, origin: string) =>
    fetch(`${base}/api/cleanings/`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it.each(ALLOWED)('answers the configured origin %s, on successes and errors alike', async (origin) => {
    for (const path of ['/api/openapi.json', '/api/users/me/']) {
      const res = await get(server.url, path, { origin });
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('vary')).toMatch(/Origin/);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const pre = await preflight(server.url, origin);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });

  it.each([
    'https://evil.example.io',
    'https://app.example.io.evil.io',
    'https://app.example.io:8443',
    'http://app.example.io',
    'null',
    '*',
    'https://APP.example.io',
    `${ALLOWED[0]}, ${ALLOWED[1]}`,
  ])('gives the origin %s no CORS headers at all', async (origin) => {
    for (const res of [
      await get(server.url, '/api/users/me/', { origin }),
      await preflight(server.url, origin),
    ]) {
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      expect(res.status).not.toBe(204);
    }
  });

  it('gives no origin CORS headers when none is configured', async () => {
    for (const origin of [...ALLOWED, 'http://localhost:3000']) {
      expect(
        (await get(closed.url, '/api/users/me/', { origin })).headers.get('access-control-allow-origin'),
      ).toBeNull();
      expect((await preflight(closed.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('applies the same allow-list to socket.io’s HTTP transport', async () => {
    const handshake = (base: string, origin: string) =>
      get(base, '/socket.io/?EIO=4&transport=polling', { origin });
    expect((await handshake(server.url, ALLOWED[0]!)).headers.get('access-control-allow-origin')).toBe(
      ALLOWED[0],
    );
    expect(
      (await handshake(server.url, 'https://evil.example.io')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    expect((await handshake(closed.url, ALLOWED[0]!)).headers.get('access-control-allow-origin')).toBeNull();
  });
});
