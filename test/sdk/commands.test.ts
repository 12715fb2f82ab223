// The SDK against a real server: REST login, one promise per command, typed errors, typed pushes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhreshClient, PhreshError, describeDetail, type CleaningPublic } from 'phresh-live/client';
import { makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { startServer, testEnv, type TestServer } from '../helpers/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { described, liveClient, recordEvents, statusesOn, until } from './sdk-clients.ts';

let server: TestServer;
const clients: PhreshClient[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

async function live(user: TestUser) {
  const client = await liveClient(server.url, user);
  clients.push(client);
  return client;
}

/** Resolves with the error `promise` rejects with; fails if it resolves. */
async function failure(promise: Promise<unknown>): Promise<PhreshError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(PhreshError);
    return e as PhreshError;
  }
  throw new Error('expected the call to fail');
}

const newCleaning = {
  name: 'Spring clean',
  description: 'Two rooms',
  price: 80,
  cleaning_type: 'full_clean' as const,
};

describe('commands', () => {
  it('logs in over REST, connects, and resolves every command with its data', async () => {
    const [ownerUser, aUser, bUser] = await makeUsers(server.url, 3);
    const owner = await live(ownerUser!);
    expect(owner.user).toMatchObject({ id: ownerUser!.id, username: ownerUser!.username });
    expect(owner.connectionState).toBe('live');
    const cleaning = await owner.createCleaning(newCleaning);
    expect(cleaning).toMatchObject({ name: 'Spring clean', price: 80, owner: ownerUser!.id });
    expect(await owner.subscribe(cleaning.id)).toEqual([]);

    const [a, b] = [await live(aUser!), await live(bUser!)];
    expect(await a.createOffer(cleaning.id)).toMatchObject({ user_id: aUser!.id, status: 'pending' });
    expect(await b.createOffer(cleaning.id)).toMatchObject({ user_id: bUser!.id, status: 'pending' });
    await until(
      owner,
      () => owner.offers(cleaning.id).length === 2 && owner.offers(cleaning.id).every((o) => o.user),
      () => owner.offers(cleaning.id),
    );
    // Events carry only user ids; the client looks the offerers up so that the owner can accept by name.
    expect(owner.offers(cleaning.id).map((o) => o.user?.username)).toEqual([
      bUser!.username,
      aUser!.username,
    ]);

    expect(await owner.acceptOffer(cleaning.id, aUser!.username)).toMatchObject({ status: 'accepted' });
    await until(
      a,
      () => a.myOffers()[0]?.status === 'accepted',
      () => a.myOffers(),
    );
    await until(
      b,
      () => b.myOffers()[0]?.status === 'rejected',
      () => b.myOffers(),
    );
    expect(a.myOffers()[0]!.cleaning).toMatchObject({ id: cleaning.id, name: 'Spring clean' });

    expect(await a.cancelOffer(cleaning.id)).toMatchObject({ status: 'cancelled' });
    await until(
      b,
      () => b.myOffers()[0]?.status === 'pending',
      () => b.myOffers(),
    );
    expect(await b.rescindOffer(cleaning.id)).toBeUndefined();
    await until(
      b,
      () => b.myOffers().length === 0,
      () => b.myOffers(),
    );
    await until(
      owner,
      () => JSON.stringify(statusesOn(owner, cleaning.id)) === JSON.stringify({ [aUser!.id]: 'cancelled' }),
      () => statusesOn(owner, cleaning.id),
    );
  });

  it('evaluates the accepted cleaner: the cleaner’s offer and cleaning show completed live, with their rating', async () => {
    const [ownerUser, cleanerUser, otherUser] = await makeUsers(server.url, 3);
    const owner = await live(ownerUser!);
    const cleaner = await live(cleanerUser!);
    const other = await live(otherUser!);
    const cleaning = await owner.createCleaning(newCleaning);
    await owner.subscribe(cleaning.id);
    await cleaner.createOffer(cleaning.id);
    await owner.acceptOffer(cleaning.id, cleanerUser!.username);
    await until(
      cleaner,
      () => cleaner.myOffers()[0]?.cleaning?.status === 'assigned',
      () => cleaner.myOffers(),
    );
    const refused = await failure(other.evaluate(cleaning.id, cleanerUser!.username, { overall_rating: 1 }));
    expect([refused.status, refused.code]).toEqual([403, 'EVALUATION_FORBIDDEN']);

    // Listening before the command: the completed push can reach the cleaner before the owner's ack.
    const events = recordEvents(cleaner);
    const evaluation = await owner.evaluate(cleaning.id, cleanerUser!.username, {
      overall_rating: 4,
      comment: 'Thorough',
    });
    expect(evaluation).toMatchObject({ cleaner_id: cleanerUser!.id, overall_rating: 4, comment: 'Thorough' });
    await until(
      cleaner,
      () => cleaner.myOffers()[0]?.status === 'completed',
      () => cleaner.myOffers(),
    );
    expect(cleaner.myOffers()[0]!.cleaning).toMatchObject({ id: cleaning.id, status: 'completed' });
    expect(events.at(-1)!.offer!.evaluation).toEqual(evaluation);
    await until(
      owner,
      () => owner.cleaning(cleaning.id)?.status === 'completed',
      () => owner.cleaning(cleaning.id),
    );
    expect(statusesOn(owner, cleaning.id)).toEqual({ [cleanerUser!.id]: 'completed' });

    expect(await other.getEvaluations(cleanerUser!.username)).toEqual([evaluation]);
    expect(await other.getStats(cleanerUser!.username)).toMatchObject({
      total_evaluations: 1,
      avg_overall_rating: 4,
      four_stars: 1,
    });
    const again = await failure(owner.evaluate(cleaning.id, cleanerUser!.username, { overall_rating: 1 }));
    expect([again.status, again.code]).toEqual([400, 'EVALUATION_NOT_ACCEPTED']);
  });

  it('turns a refused command into a PhreshError with its status, code and detail, and pushes nothing', async () => {
    const [ownerUser, cleanerUser] = await makeUsers(server.url, 2);
    const owner = await live(ownerUser!);
    const cleaner = await live(cleanerUser!);
    const cleaning = await owner.createCleaning(newCleaning);
    await owner.subscribe(cleaning.id);
    const ownerEvents = recordEvents(owner);
    const cleanerEvents = recordEvents(cleaner);

    expect(await failure(owner.createOffer(cleaning.id))).toMatchObject({
      status: 400,
      code: 'OWN_CLEANING_OFFER',
      detail: 'Users are unable to create offers for cleaning jobs they own.',
    });
    expect(await failure(cleaner.acceptOffer(cleaning.id, cleanerUser!.username))).toMatchObject({
      status: 403,
      code: 'ACCEPT_FORBIDDEN',
      detail: 'Only the owner of the cleaning may accept offers.',
    });
    expect(await failure(owner.acceptOffer(cleaning.id, 'nobody_at_all'))).toMatchObject({
      status: 404,
      code: 'USER_NOT_FOUND',
    });
    expect(await failure(cleaner.cancelOffer(cleaning.id))).toMatchObject({
      status: 404,
      code: 'OFFER_NOT_FOUND',
    });
    const invalid = await failure(cleaner.createOffer(0));
    expect(invalid).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(invalid.detail).toEqual([expect.objectContaining({ loc: ['payload', 'cleaning_id'] })]);
    expect(await failure(cleaner.subscribe(cleaning.id + 1_000_000))).toMatchObject({
      status: 404,
      code: 'CLEANING_NOT_FOUND',
      detail: 'No cleaning found with that id.',
    });

    // The first event after all those failures is the next real change: none of them pushed anything.
    await cleaner.createOffer(cleaning.id);
    await until(
      owner,
      () => ownerEvents.length > 0,
      () => ownerEvents,
    );
    await until(
      cleaner,
      () => cleanerEvents.length > 0,
      () => cleanerEvents,
    );
    expect(described(ownerEvents)).toEqual([`${cleaning.id}:1:created:${cleanerUser!.id}`]);
    expect(described(cleanerEvents)).toEqual([`${cleaning.id}:1:created:${cleanerUser!.id}`]);
  });

  it('gives REST failures the same shape: status, code and detail', async () => {
    const user = await makeUser(server.url);
    const client = new PhreshClient({ url: server.url });
    clients.push(client);
    expect(await failure(client.login(user.email, 'not-the-password'))).toMatchObject({
      status: 401,
      code: 'LOGIN_FAILED',
      detail: 'Authentication was unsuccessful.',
    });
    expect(
      await failure(
        client.register({ email: user.email, username: 'someone_else', password: 'long-enough' }),
      ),
    ).toMatchObject({ status: 400, code: 'EMAIL_TAKEN' });
    await client.login(user.email, user.password);
    const invalid = await failure(client.createCleaning({ ...newCleaning, price: 0 }));
    expect(invalid).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(describeDetail(invalid.detail)).toBe('price: ensure this value is greater than 0');
    expect(invalid.message).toBe('price: ensure this value is greater than 0');
  });

  it('takes a REST failure’s code from its body, and calls one without a code HTTP_ERROR', async () => {
    // A stand-in for what may sit in front of the server: a gateway's error page, and a 401 of its own that
    // happens to use one of the server's texts but carries no code.
    const { createServer } = await import('node:http');
    const front = createServer((req, res) => {
      if (req.url?.startsWith('/api/users/login/token')) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'Not authenticated' }));
      } else {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>Bad Gateway</body></html>');
      }
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const { port } = front.address() as { port: number };
    const client = new PhreshClient({ url: `http://127.0.0.1:${port}` });
    clients.push(client);
    try {
      expect(await failure(client.login('a@example.io', 'whatever-1'))).toMatchObject({
        status: 401,
        code: 'HTTP_ERROR',
        detail: 'Not authenticated',
      });
      expect(
        await failure(
          client.register({ email: 'a@example.io', username: 'someone', password: 'long-enough' }),
        ),
      ).toMatchObject({ status: 502, code: 'HTTP_ERROR' });
    } finally {
      await new Promise((resolve) => front.close(resolve));
    }
  });

  it('edits and deletes a cleaning, reads and updates profiles, and deactivates an account over REST', async () => {
    const [ownerUser, other] = await makeUsers(server.url, 2);
    const client = new PhreshClient({ url: server.url });
    clients.push(client);
    await client.login(ownerUser!.email, ownerUser!.password);
    const cleaning = await client.createCleaning(newCleaning);
    expect(
      await client.rest.updateCleaning(cleaning.id, { name: 'Autumn clean', price: '64.50' }),
    ).toMatchObject({ id: cleaning.id, name: 'Autumn clean', price: 64.5 });
    const refused = await failure(client.rest.updateCleaning(cleaning.id, { price: '64,50' }));
    expect(refused).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(await client.rest.deleteCleaning(cleaning.id)).toBe(cleaning.id);

    expect(await client.rest.updateProfile({ full_name: 'Olivia', bio: null })).toMatchObject({
      full_name: 'Olivia',
      user_id: ownerUser!.id,
    });
    expect(await client.rest.myProfile()).toMatchObject({ full_name: 'Olivia', email: ownerUser!.email });
    expect(await client.rest.profile(other!.username)).toMatchObject({
      username: other!.username,
      email: null,
    });

    expect(await client.rest.deactivate(ownerUser!.username)).toMatchObject({ is_active: false });
    expect((await failure(client.rest.myProfile())).status).toBe(401);
  });

  it('refuses to connect with a token the server rejects, with the handshake’s status and detail', async () => {
    const user = await makeUser(server.url);
    const client = new PhreshClient({ url: server.url });
    clients.push(client);
    await client.login(user.email, user.password);
    client.setToken(user.token.slice(0, -4) + 'AAAA');
    const states: string[] = [];
    client.on('state', (s) => states.push(s));
    expect(await failure(client.connect())).toMatchObject({
      status: 401,
      code: 'INVALID_TOKEN',
      detail: 'Could not validate token credentials.',
    });
    expect(client.connectionState).toBe('offline');
    expect(states).toEqual(['connecting', 'offline']);
  });

  it('delivers typed pushes to typed listeners until they stop listening', async () => {
    const [ownerUser, watcherUser, cleanerUser] = await makeUsers(server.url, 3);
    const owner = await live(ownerUser!);
    const watcher = await live(watcherUser!);
    const cleaner = await live(cleanerUser!);
    await watcher.subscribeFeed();
    const created: CleaningPublic[] = [];
    const all: string[] = [];
    const stop = watcher.on('cleaning:created', (c) => created.push(c));
    watcher.on('cleaning:created', (c) => all.push(`created:${c.id}`));
    watcher.on('cleaning:assigned', (c) => all.push(`assigned:${c.id}`));
    watcher.on('cleaning:reopened', (c) => all.push(`reopened:${c.id}`));
    watcher.on('cleaning:deleted', (p) => all.push(`deleted:${p.cleaning_id}`));

    const first = await owner.createCleaning(newCleaning);
    await waitForCount(all, 1);
    stop();
    await cleaner.createOffer(first.id);
    await owner.acceptOffer(first.id, cleanerUser!.username);
    await cleaner.cancelOffer(first.id);
    const second = await owner.createCleaning(newCleaning);
    await owner.rest.deleteCleaning(second.id);
    await waitForCount(all, 5);
    expect(all).toEqual([
      `created:${first.id}`,
      `assigned:${first.id}`,
      `reopened:${first.id}`,
      `created:${second.id}`,
      `deleted:${second.id}`,
    ]);
    expect(created.map((c) => c.id)).toEqual([first.id]);
  });
});

/** Resolves once `list` holds `n` items, failing on timeout or on more than `n`. */
async function waitForCount(list: unknown[], n: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (list.length < n) {
    if (Date.now() > deadline) throw new Error(`got ${list.length} of ${n}: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(list).toHaveLength(n);
}

describe('connection failures', () => {
  let db: TestDatabase;
  let node: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    node = await startServerProcess(testEnv(db));
  });
  afterAll(async () => {
    node.child.kill('SIGCONT');
    await node.stop();
    await db.drop();
  });

  it('rejects a command whose ack does not come in time, and one sent while offline at once', async () => {
    const [ownerUser, cleanerUser] = await makeUsers(node.url, 2);
    const owner = new PhreshClient({ url: node.url });
    clients.push(owner);
    await owner.login(ownerUser!.email, ownerUser!.password);
    const cleaning = await owner.createCleaning(newCleaning);
    // Without retries: this is about what one attempt reports.
    const cleaner = await liveClient(node.url, cleanerUser!, { ackTimeoutMs: 500, commandRetryWindowMs: 0 });
    clients.push(cleaner);

    // A frozen server keeps the connection open but answers nothing.
    node.child.kill('SIGSTOP');
    const started = Date.now();
    const timedOut = await failure(cleaner.createOffer(cleaning.id));
    node.child.kill('SIGCONT');
    expect(timedOut).toMatchObject({ status: 0, code: 'TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);

    cleaner.disconnect();
    expect(cleaner.connectionState).toBe('offline');
    const offline = await failure(cleaner.rescindOffer(cleaning.id));
    expect(offline).toMatchObject({ status: 0, code: 'OFFLINE' });
  });
});

describe('the package export', () => {
  it('runs under plain Node, straight from the TypeScript sources', async () => {
    const user = await makeUser(server.url);
    const script = `
      import { PhreshClient } from 'phresh-live/client';
      const client = new PhreshClient({ url: process.env.URL });
      await client.login(process.env.EMAIL, process.env.PASSWORD);
      await client.connect();
      const cleaning = await client.createCleaning({ name: 'From Node', price: 12 });
      await client.subscribe(cleaning.id);
      console.log(JSON.stringify({ state: client.connectionState, user: client.user.id, cursor: client.cursor(cleaning.id) }));
      client.close();
    `;
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', URL: server.url, EMAIL: user.email, PASSWORD: user.password },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ state: 'live', user: user.id, cursor: 0 });
  });
});
