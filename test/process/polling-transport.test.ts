// socket.io's default client starts on HTTP long-polling: its requests must reach engine.io alone, and nothing
// a client sends on that path may stop the node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { Recorder, ok, type ClientSocket } from '../helpers/sockets.ts';

let dataDir: string;
let server: ServerProcess;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'phresh-polling-'));
  server = await startServerProcess({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function handshake(base: string): Promise<string> {
  const text = await (await fetch(`${base}/socket.io/?EIO=4&transport=polling`)).text();
  const sid = /"sid":"([^"]+)"/.exec(text)?.[1];
  if (!sid) throw new Error(`no sid in ${text}`);
  return sid;
}

describe('HTTP long-polling', () => {
  it('survives a long poll and a post on the same session without a valid token', async () => {
    const base = server.url;
    const sid = await handshake(base);
    const longPoll = fetch(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      signal: AbortSignal.timeout(5000),
    }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 300));
    const post = await fetch(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '40{"token":"x"}',
    });
    expect(post.status).toBe(200);
    expect(await post.text()).toBe('ok');
    expect(await longPoll).toContain('"status":401');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(server.logs().some((l) => l.msg === 'request' && String(l.path).startsWith('/socket.io'))).toBe(
      false,
    );
  });

  it('refuses methods other than GET and POST on a session with a 405 and a detail, and keeps the session', async () => {
    const base = server.url;
    const sid = await handshake(base);
    const path = `${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(path, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST, OPTIONS');
      expect(await res.json()).toEqual({ detail: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' });
    }
    const head = await fetch(path, { method: 'HEAD' });
    expect(head.status).toBe(405);
    // The refusals reached neither the session nor the REST app: the session still answers its long poll.
    const post = await fetch(path, { method: 'POST', body: '40{"token":"x"}' });
    expect(await post.text()).toBe('ok');
    expect(await (await fetch(path, { signal: AbortSignal.timeout(5000) })).text()).toContain('"status":401');
  });

  it('connects a polling-only client that gets its pushes once and in order', async () => {
    const [owner, cleaner] = [await makeUser(server.url), await makeUser(server.url)];
    const cleaning = await makeCleaning(owner);
    const socket: ClientSocket = io(server.url, {
      auth: { token: owner.token },
      transports: ['polling'],
      reconnection: false,
      forceNew: true,
    });
    const events = new Recorder<OfferEventPublic>(socket, 'offer:event');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(socket.io.engine.transport.name).toBe('polling');
    await ok(socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    expect((await cleaner.api.post(`/api/cleanings/${cleaning.id}/offers/`)).status).toBe(201);
    expect((await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`)).status).toBe(
      200,
    );
    expect((await events.waitFor(2)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'created'],
      [2, 'accepted'],
    ]);
    socket.close();
  });
});
