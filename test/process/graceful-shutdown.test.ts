// SIGTERM: stop accepting, finish what is in flight, then drop connections so that clients reconnect elsewhere.
import { afterAll, describe, expect, it } from 'vitest';
import { makeCleaning, makeUser, makeUsers } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';
import { command, connect } from '../helpers/sockets.ts';

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
  });
});
