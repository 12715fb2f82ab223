// Unicode keys (issue 14, part 2): one normalisation, accountKey, is what the login limit counts, what login
// and every lookup find the account by, and what the unique indexes compare. Before it, `İ` was one account to
// PostgreSQL's lower() and another to the limiter's toLowerCase(), and a guess written that way escaped the limit.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/contract/error-codes.ts';
import { accountKey } from '../../src/domain/account-keys.ts';
import { openOrm, type Em } from '../../src/db/orm.ts';
import { hashPassword } from '../../src/domain/passwords.ts';
import { createLogger } from '../../src/logger.ts';
import { Api, makeUser } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const LIMIT = 10;

/** A fresh email whose local part holds an `i`, an `ss` and a `k`, the letters the variants below replace. */
function kissEmail(): string {
  return `kiss_${process.pid}_${randomBytes(3).toString('hex')}@example.io`;
}

/** The full-width form of printable ASCII (U+FF01–U+FF5E), which NFKC maps back. */
const fullWidth = (s: string) =>
  s.replace(/[\u0021-\u007e]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** Ways of writing the same address that PostgreSQL's lower() and JavaScript's toLowerCase() told apart. */
const variants = (email: string): [name: string, variant: string][] => [
  ['capital dotted İ for i', email.replace('kiss', 'kİss')],
  ['ß for ss', email.replace('kiss', 'kiß')],
  ['capital ẞ for ss', email.replace('kiss', 'KIẞ')],
  ['Kelvin sign K for k', email.replace('kiss', '\u212aiss')],
  ['full-width letters', fullWidth(email)],
  ['a combining acute accent on i', email.replace('kiss', 'ki\u0301ss')],
  ['a zero-width space inside', email.replace('kiss', 'ki\u200bss')],
];

const login = (api: Api, username: string, password: string) =>
  api.post('/api/users/login/token/', { form: { username, password } });

describe('accountKey', () => {
  it('gives every variant of an address the key of the plain one', () => {
    const email = kissEmail();
    for (const [, variant] of variants(email)) expect(accountKey(variant)).toBe(email);
    expect(accountKey(` ${email.toUpperCase()}\t`)).toBe(email);
    expect(accountKey('ΟΔΟΣ')).toBe(accountKey('οδοσ'));
    expect(accountKey('ſtraße')).toBe('strasse');
  });

  it('is its own key: applying it twice changes nothing', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 24 }),
        (s) => accountKey(accountKey(s)) === accountKey(s),
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('login limit across variants of one email', () => {
  let server: TestServer;
  let api: Api;
  beforeAll(async () => {
    server = await startServer({
      env: {
        LOGIN_RATE_LIMIT: String(LIMIT),
        LOGIN_IP_RATE_LIMIT: '100000',
        LOGIN_RATE_WINDOW_SECONDS: '60',
      },
    });
    api = new Api(server.url);
  });
  afterAll(() => server.close());

  it(`refuses every variant with 429 after ${LIMIT} wrong passwords, even with the right password`, async () => {
    const email = kissEmail();
    const victim = await makeUser(server.url, { email });
    for (let i = 0; i < LIMIT; i++) expect((await login(api, email, 'wrong-password')).status).toBe(401);
    for (const [name, variant] of variants(email)) {
      const guess = await login(api, variant, 'wrong-password');
      expect(guess.status, name).toBe(429);
      expect(guess.body, name).toMatchObject({
        detail: ERROR_CODES.RATE_LIMITED.detail,
        code: 'RATE_LIMITED',
      });
      expect((await login(api, variant, victim.password)).status, name).toBe(429);
    }
    expect((await login(api, email, victim.password)).status).toBe(429);
  });

  it('counts wrong passwords under every variant against one limit', async () => {
    const email = kissEmail();
    const victim = await makeUser(server.url, { email });
    const spread = variants(email).map(([, v]) => v);
    for (let i = 0; i < LIMIT; i++) {
      expect((await login(api, spread[i % spread.length]!, 'wrong-password')).status).toBe(401);
    }
    expect((await login(api, email, victim.password)).status).toBe(429);
  });

  it('logs into the same account with any variant of its email and the right password', async () => {
    const email = kissEmail();
    const user = await makeUser(server.url, { email });
    for (const [name, variant] of variants(email)) {
      const res = await login(api, variant, user.password);
      expect(res.status, name).toBe(200);
      const me = await new Api(server.url, res.body.access_token).get('/api/users/me/');
      expect(me.body, name).toMatchObject({ id: user.id, email, username: user.username });
    }
  });
});

describe('registration of a look-alike', () => {
  let server: TestServer;
  let api: Api;
  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url);
  });
  afterAll(() => server.close());

  const register = (new_user: { email: string; username: string; password: string }) =>
    api.post('/api/users/', { json: { new_user } });

  it('refuses every variant of a taken email or username, and makes no second account', async () => {
    const email = kissEmail();
    const taken = await makeUser(server.url, { email, username: `kiss_${randomBytes(4).toString('hex')}` });
    const freeName = () => `free_${randomBytes(4).toString('hex')}`;
    // In ASCII only case can vary, and the key finds the account taken.
    const upper = await register({
      email: email.toUpperCase(),
      username: freeName(),
      password: 'x-password',
    });
    expect(upper.status).toBe(400);
    expect(upper.body).toMatchObject({ detail: ERROR_CODES.EMAIL_TAKEN.detail, code: 'EMAIL_TAKEN' });
    const upperName = await register({
      email: kissEmail(),
      username: taken.username.toUpperCase(),
      password: 'x-password',
    });
    expect(upperName.status).toBe(400);
    expect(upperName.body).toMatchObject({
      detail: ERROR_CODES.USERNAME_TAKEN.detail,
      code: 'USERNAME_TAKEN',
    });
    // Every other variant leaves ASCII, which the contract refuses for emails and usernames before any lookup.
    for (const [name, variant] of variants(email)) {
      const res = await register({ email: variant, username: freeName(), password: 'x-password' });
      expect(res.status, name).toBe(422);
    }
    for (const [name, variant] of variants(taken.username)) {
      const res = await register({ email: kissEmail(), username: variant, password: 'x-password' });
      expect(res.status, name).toBe(422);
    }
    const rows = await (server.app.orm.em.fork() as Em).execute<{ n: number }[]>(
      'select count(*)::int as n from users where email_key = ? or username_key = ?',
      [email, accountKey(taken.username)],
    );
    expect(rows[0]!.n).toBe(1);
  });
});

describe('migration 0007 (account keys)', () => {
  it('keys the accounts already there, so that their look-alikes are taken and their variants log in', async () => {
    const db = await createTestDatabase();
    const config = {
      databaseUrl: db.url,
      dataDir: db.dataDir,
      databasePoolMax: 2,
      databaseLockTimeoutMs: 5_000,
      databaseIdleInTransactionTimeoutMs: 60_000,
    };
    const before = await openOrm(config, { migrate: false, logger: createLogger('silent') });
    const plain = kissEmail();
    const written = plain.replace('kiss', 'KIẞ');
    const password = 'old-timer-password';
    try {
      await before.migrator.up({ to: '0005-notice-log' });
      // An account from before the contract refused non-ASCII emails, or written by hand: the CHECK allows it.
      const em = before.em.fork() as Em;
      await em.execute(
        `insert into users (username, email, password_hash) values ('Old_Timer', ?, ?), ('plain_one', 'Plain@example.io', 'x')`,
        [written, await hashPassword(password)],
      );
      // More accounts than the migration keys in one statement.
      await em.execute(
        `insert into users (username, email, password_hash)
           select 'Bulk_' || g, 'Bulk_' || g || '@example.io', 'x' from generate_series(1, 2500) g`,
      );
    } finally {
      await before.close(true);
    }
    const server = await startServer({ db });
    try {
      const rows = await (server.app.orm.em.fork() as Em).execute<
        { username: string; email: string; email_key: string; username_key: string }[]
      >('select username, email, email_key, username_key from users order by id limit 2');
      expect(rows).toEqual([
        { username: 'Old_Timer', email: written, email_key: plain, username_key: 'old_timer' },
        {
          username: 'plain_one',
          email: 'Plain@example.io',
          email_key: 'plain@example.io',
          username_key: 'plain_one',
        },
      ]);
      const bulk = await (server.app.orm.em.fork() as Em).execute<{ n: number }[]>(
        `select count(*)::int as n from users
          where username_key = lower(username) and email_key = lower(email) and username like 'Bulk\\_%'`,
      );
      expect(bulk[0]!.n).toBe(2500);
      const api = new Api(server.url);
      expect((await login(api, plain, password)).status).toBe(200);
      const taken = await api.post('/api/users/', {
        json: { new_user: { email: plain, username: 'new_timer', password: 'x-password' } },
      });
      expect(taken.status).toBe(400);
      expect(taken.body).toMatchObject({ detail: ERROR_CODES.EMAIL_TAKEN.detail, code: 'EMAIL_TAKEN' });
      const sameName = await api.post('/api/users/', {
        json: { new_user: { email: kissEmail(), username: 'old_TIMER', password: 'x-password' } },
      });
      expect(sameName.status).toBe(400);
      expect(sameName.body).toMatchObject({
        detail: ERROR_CODES.USERNAME_TAKEN.detail,
        code: 'USERNAME_TAKEN',
      });
    } finally {
      await server.close();
      await db.drop();
    }
  }, 180_000);
});
