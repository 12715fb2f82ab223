// SIGTERM: stop accepting, finish what is in flight, then drop connections so that clients reconnect elsewhere.
import { afterAll, describe, expect, it } from 'vitest';
import { makeCleaning, makeUser, makeUsers } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess } from '../helpers/process.ts';
import { startServer, testEnv } from '../helpers/server.ts';
import { command, connect, TEST_TRANSPORTS } from '../helpers/sockets.ts';
import { until } from '../helpers/wait.ts';

let db: TestDatabase | undefined;
afterAll(() => db?.drop());

describe('graceful shutdown', () => {
  it('answers every command already sent, then closes transports so clients reconnect, and exits 0', async () => {
    db = await createTestDatabase();
    const server = await startServerProcess(testEnv(db));
    const owner = await makeUser(server.url);
    const cleaners = await makeUsers(server.url, 20);
    const cleaning = await makeCleaning(owner);
    const sockets = await Promise.all(cleaners.map((c) => connect(server.url, c.token)));
    const reasons = sockets.map((s) => new Promise<string>((resolve) => s.once('disconnect', resolve)));
    // A client that is still upgrading from long-polling holds what it emits until the upgrade ends, and such
    // packets may never reach the server before it stops; "already sent" means on the client's final transport.
    const finalTransport = TEST_TRANSPORTS.at(-1);
    await until(
      async () => sockets.every((s) => s.io.engine.transport.name === finalTransport),
      20_000,
      'every socket on its final transport',
    );

    const acks = sockets.map((s) => command(s, 'offer:create', { cleaning_id: cleaning.id }, 10_000));
    const http = fetch(`${server.url}/api/cleanings/${cleaning.id}/`, {
      headers: { authorization: `Bearer ${owner.token}` },
    });
    // Let the request reach the server first: a connection with no request on it yet is idle, and closing idle
    // connections is exactly what a shutdown should do.
    await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGTERM');

    const answers = await Promise.all(acks);
    for (const ack of answers) {
      // Either it ran to completion, or it arrived after the drain began and was refused cleanly.
      if (!ack.ok) expect(ack.error).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    }
    expect((await http).status).toBe(200);
    // A closed transport (not a server-side disconnect) is what makes socket.io clients reconnect by themselves.
    for (const reason of await Promise.all(reasons)) expect(reason).toBe('transport close');
    expect(await server.exited).toBe(0);
    expect(server.logs().some((l) => l.msg === 'shutting down')).toBe(true);

    // Nothing that was acknowledged is lost: every ok ack is in the log.
    const restarted = await startServerProcess(testEnv(db));
    const events = await fetch(`${restarted.url}/api/cleanings/${cleaning.id}/events/`, {
      headers: { authorization: `Bearer ${owner.token}` },
    }).then((r) => r.json() as Promise<unknown[]>);
    expect(events.length).toBe(answers.filter((a) => a.ok).length);
    expect(await restarted.stop()).toBe(0);
    // Two server processes start here; on PGlite each one's first start (WASM, initdb, migrations) took 10-15 s
    // on this loaded 2-core machine, and the whole test passed 60 s there.
  }, 180_000);
});

describe('graceful shutdown of a long-polling client', () => {
  it('hands over the acks written since its last poll before closing the session', async () => {
    const server = await startServer();
    try {
      const user = await makeUser(server.url);
      const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
      const sid = /"sid":"([^"]+)"/.exec(await (await fetch(base)).text())![1];
      const session = `${base}&sid=${sid}`;
      await fetch(session, { method: 'POST', body: `40{"token":"${user.token}"}` });
      expect(await (await fetch(session)).text()).toMatch(/^40\{"sid"/);
      // A command whose ack can only travel on the next poll, and no poll pending while the node drains.
      expect(await (await fetch(session, { method: 'POST', body: '420["feed:subscribe",{}]' })).text()).toBe(
        'ok',
      );
      const conn = () => [...server.app.realtime.io.of('/').sockets.values()][0]?.conn;
      const closing = server.app.close();
      await until(async () => conn()?.readyState !== 'open', 10_000, 'the drain to reach the session');
      // Meanwhile the node opens no new session, on either transport, and says why.
      const refused = await fetch(base);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({
        detail: 'The service is temporarily unavailable. Please try again shortly.',
        code: 'SERVICE_UNAVAILABLE',
      });
      const poll = () => fetch(session, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
      expect(await poll()).toBe('430[{"ok":true,"data":null}]');
      // Then engine.io's close packet: the client reconnects (to another node) knowing every answer.
      expect((await poll()).split('\x1e').at(-1)).toBe('1');
      await closing;
    } finally {
      await server.close();
    }
  });
});
