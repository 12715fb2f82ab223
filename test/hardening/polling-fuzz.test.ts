// Random raw engine.io long-polling traffic (issue 10): handshakes, long polls, posts of good and bad packets,
// bad and foreign session ids, overlapping polls, odd methods and aborted requests, on one node and on two
// nodes sharing PostgreSQL and Redis (a balancer without sticky sessions), with and without a valid token.
// Whatever arrives, no answer is a 5xx, nothing escapes to the process's last-resort handlers, and the node
// stays up and answers /healthz. Reproduce with `FUZZ_SEED=<seed> npx vitest run test/hardening/polling-fuzz.test.ts`.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { testEnv } from '../helpers/server.ts';
import { canRunCluster } from '../helpers/services.ts';

const STEPS = Number(process.env.FUZZ_POLLING_STEPS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 10_0001);
const IN_FLIGHT = 6;
/** The longest a request may stay open: long polls otherwise wait for the next ping (20 s). */
const REQUEST_MS = 3_000;
const RUN_MS = 45_000;

/** A small seeded PRNG (mulberry32): the same seed replays the same traffic. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof prng>;

type Outcome = { status: number; text: string } | { error: string };

/**
 * One raw request on its own connection. `abortAfterMs` cuts it (a client that goes away); `partialBody`
 * announces more body than it sends, then cuts the connection. Never rejects: a dropped connection is an answer too.
 */
function send(
  base: string,
  req: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    abortAfterMs?: number;
    partialBody?: boolean;
  },
): Promise<Outcome> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...req.headers };
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    if (body) headers['content-length'] = String(req.partialBody ? body.length + 1000 : body.length);
    const outgoing = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', (e) => resolve({ error: e.message }));
        res.on('aborted', () => resolve({ error: 'aborted' }));
      },
    );
    const cut = Math.min(req.abortAfterMs ?? REQUEST_MS, REQUEST_MS);
    const timer = setTimeout(() => outgoing.destroy(new Error('cut by the client')), cut);
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.on('error', (e) => resolve({ error: e.message }));
    if (req.partialBody && body) {
      outgoing.write(body);
      setTimeout(() => outgoing.destroy(new Error('cut mid-body')), 20);
    } else {
      outgoing.end(body);
    }
  });
}

/** A WebSocket upgrade on socket.io's path that is never completed or is garbage, then dropped. */
function rawUpgrade(base: string, path: string, key: string, holdMs: number): Promise<Outcome> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', (e) => resolve({ error: e.message }));
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text }));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
    );
    setTimeout(() => socket.destroy(), holdMs);
  });
}

type Session = { node: string; sid: string };

/** A packet body for a POST: valid socket.io packets, near misses and plain garbage. */
function packetBody(r: Random, token: string, cleaningId: number): string | Buffer {
  const auth = r.pick([
    `{"token":"${token}"}`,
    '{"token":"x"}',
    '{"token":123}',
    '{}',
    '',
    '{"token":',
    `{"token":"${'a'.repeat(5000)}"}`,
  ]);
  const packets = [
    `40${auth}`,
    `40/admin,${auth}`,
    '41',
    `42["offer:create",{"cleaning_id":${cleaningId}}]`,
    `421["cleaning:subscribe",{"cleaning_id":${cleaningId},"since":0}]`,
    `422["offers:sync",{"cursors":{"${cleaningId}":0}}]`,
    '423["feed:subscribe",{}]',
    '42["offer:steal"]',
    '43',
    '44{"message":"x"}',
    '451-["x",{"_placeholder":true,"num":0}]',
    '4',
    '2',
    '3',
    '3probe',
    '5',
    '6',
    '1',
    '9',
    'b' + randomBytes(r.int(40)).toString('base64'),
    'b!!!',
    '',
  ];
  switch (r.int(6)) {
    case 0:
      return randomBytes(r.int(200));
    case 1:
      // Over maxHttpBufferSize (16 kB): refused with 413.
      return '42["offer:create",{"x":"' + 'y'.repeat(20_000) + '"}]';
    case 2:
      return Array.from({ length: 1 + r.int(5) }, () => r.pick(packets)).join('\x1e');
    default:
      return r.pick(packets);
  }
}

const ODD_SIDS = [
  '',
  'nope',
  'a'.repeat(5000),
  '%00',
  '..%2F..%2Fetc',
  '%E0%A4%A',
  '__proto__',
  'constructor',
];

type Played = {
  /** Answers with a 5xx status, with what was sent. */
  serverErrors: string[];
  /** How many answers had each status (0: the connection was dropped or cut). */
  statuses: Record<number, number>;
  /** Long polls that delivered a socket.io CONNECT answer: an authenticated session. */
  connected: number;
  steps: number;
};

/** Plays `STEPS` random requests against `nodes`, with at most IN_FLIGHT at once. */
async function play(nodes: string[], seed: number, token: string, cleaningId: number): Promise<Played> {
  const r = prng(seed);
  const sessions: Session[] = [];
  const serverErrors: string[] = [];
  const eio = (sid?: string) =>
    `/socket.io/?EIO=4&transport=polling${sid === undefined ? '' : `&sid=${sid}`}&t=${r.int(1e9)}`;
  const known = (): Session | undefined => (sessions.length ? r.pick(sessions) : undefined);
  // The sid goes to a node picked at random, as a balancer without sticky sessions would do.
  const target = (s: Session | undefined) => (s && r.chance(0.8) ? s.node : r.pick(nodes));

  async function step(): Promise<{ label: string; outcome: Outcome }[]> {
    const session = known();
    const node = target(session);
    const sid = session?.sid ?? 'none';
    switch (r.int(12)) {
      case 0:
      case 1: {
        const path = r.pick([
          eio(),
          eio(),
          '/socket.io/?EIO=3&transport=polling',
          '/socket.io/?EIO=5&transport=polling',
          '/socket.io/?EIO=4&transport=websocket',
          '/socket.io/?EIO=4&transport=flashsocket',
          '/socket.io/?transport=polling',
          '/socket.io/?EIO=4&transport=polling&b64=1',
          '/socket.io/?EIO=4&transport=polling&sid=',
          '/socket.io/?EIO=4&EIO=4&transport=polling&transport=polling',
        ]);
        const headers: Record<string, string> = r.chance(0.2)
          ? { origin: r.pick(['http://evil.example', 'null', 'http://[::1]:99999']) }
          : {};
        const at = r.pick(nodes);
        const outcome = await send(at, { method: 'GET', path, headers });
        const found = 'text' in outcome ? /"sid":"([^"]+)"/.exec(outcome.text)?.[1] : undefined;
        if (!found) return [{ label: `GET ${path}`, outcome }];
        sessions.push({ node: at, sid: found });
        if (r.chance(0.5)) return [{ label: `GET ${path}`, outcome }];
        // Half the sessions first go through the protocol as a client would: CONNECT, then the long poll that
        // brings its answer, and only then get abused.
        const connect = await send(at, { method: 'POST', path: eio(found), body: `40{"token":"${token}"}` });
        const answer = await send(at, { method: 'GET', path: eio(found) });
        return [
          { label: `GET ${path}`, outcome },
          { label: 'POST CONNECT', outcome: connect },
          { label: 'long poll for the CONNECT answer', outcome: answer },
        ];
      }
      case 2:
      case 3: {
        const abortAfterMs = r.pick([0, 5, 50, 300, 1500, REQUEST_MS]);
        const outcome = await send(node, { method: 'GET', path: eio(sid), abortAfterMs });
        return [{ label: `long poll (cut after ${abortAfterMs} ms)`, outcome }];
      }
      case 4: {
        const polls = await Promise.all(
          Array.from({ length: 2 + r.int(2) }, () =>
            send(node, { method: 'GET', path: eio(sid), abortAfterMs: 500 + r.int(1000) }),
          ),
        );
        return polls.map((outcome) => ({ label: 'overlapping long polls', outcome }));
      }
      case 5:
      case 6:
      case 7: {
        const body = packetBody(r, token, cleaningId);
        const contentType = r.pick(['text/plain;charset=UTF-8', 'application/octet-stream', 'text/html', '']);
        const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
        const outcome = await send(node, { method: 'POST', path: eio(sid), headers, body });
        return [{ label: `POST ${String(body).slice(0, 80)}`, outcome }];
      }
      case 8: {
        const badSid = r.pick(ODD_SIDS);
        const method = r.pick(['GET', 'POST']);
        const outcome = await send(r.pick(nodes), {
          method,
          path: eio(badSid),
          body: method === 'POST' ? '40' : undefined,
        });
        return [{ label: `${method} with sid ${badSid.slice(0, 20)}`, outcome }];
      }
      case 9: {
        const body = `40{"token":"${token}"}`;
        const outcome = await send(node, { method: 'POST', path: eio(sid), body, partialBody: true });
        return [{ label: 'POST cut mid-body', outcome }];
      }
      case 10: {
        const method = r.pick(['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND']);
        const path = r.chance(0.5) ? eio(sid) : eio();
        const outcome = await send(node, { method, path, headers: { origin: 'http://evil.example' } });
        return [{ label: `${method} ${path}`, outcome }];
      }
      default: {
        const key = r.pick([randomBytes(16).toString('base64'), 'not-a-key', '']);
        const path = r.pick([
          `/socket.io/?EIO=4&transport=websocket&sid=${sid}`,
          '/socket.io/?EIO=4&transport=websocket',
          `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
          '/healthz',
        ]);
        const outcome = await rawUpgrade(node, path, key, 50 + r.int(500));
        return [{ label: `upgrade ${path}`, outcome }];
      }
    }
  }

  const statuses: Record<number, number> = {};
  let connected = 0;
  const deadline = Date.now() + RUN_MS;
  let left = STEPS;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (left > 0 && Date.now() < deadline) {
        left--;
        for (const { label, outcome } of await step()) {
          const status = 'status' in outcome ? outcome.status : 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if ('text' in outcome && /(^|\x1e)40\{"sid"/.test(outcome.text)) connected++;
          if ('status' in outcome && outcome.status >= 500) {
            serverErrors.push(`${label} -> ${outcome.status} ${outcome.text.slice(0, 200)}`);
          }
        }
      }
    }),
  );
  return { serverErrors, statuses, connected, steps: STEPS - Math.max(left, 0) };
}

/** The traffic must have reached engine.io's every answer, not only its refusals. */
function expectRealTraffic(played: Played, withToken: boolean) {
  const seen = JSON.stringify(played);
  expect(played.steps, seen).toBe(STEPS);
  expect(played.statuses[200] ?? 0, seen).toBeGreaterThan(STEPS / 10);
  expect(played.statuses[400] ?? 0, seen).toBeGreaterThan(0);
  if (withToken) expect(played.connected, seen).toBeGreaterThan(0);
}

/** What a node must still be after any traffic: up, healthy, and with nothing escaped to its last resort. */
async function expectHealthy(node: ServerProcess) {
  expect(node.child.exitCode).toBeNull();
  expect(node.child.signalCode).toBeNull();
  const health = await fetch(`${node.url}/healthz`);
  expect(health.status).toBe(200);
  const escaped = node
    .logs()
    .filter((l) =>
      ['uncaught exception', 'unhandled rejection', 'unexpected error in a request handler'].includes(
        String(l.msg),
      ),
    );
  expect(escaped).toEqual([]);
}

/** A polling client that follows the protocol still connects afterwards. */
async function expectPollingClientWorks(base: string, token: string) {
  const open = await send(base, { method: 'GET', path: '/socket.io/?EIO=4&transport=polling' });
  const sid = 'text' in open ? /"sid":"([^"]+)"/.exec(open.text)?.[1] : undefined;
  expect(sid, JSON.stringify(open)).toBeTruthy();
  const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  const post = await send(base, { method: 'POST', path, body: `40{"token":"${token}"}` });
  expect(post).toEqual({ status: 200, text: 'ok' });
  const answer = await send(base, { method: 'GET', path });
  expect('text' in answer && answer.text).toMatch(/^40\{"sid":"[^"]+"/);
}

describe('engine.io long-polling fuzz on one node', () => {
  let node: ServerProcess;
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    node = await startServerProcess(testEnv(db, { SOCKET_COMMANDS_PER_SECOND: '1000000' }));
  });
  afterAll(async () => {
    await node?.stop();
    await db?.drop();
  });

  it.each([
    ['without a valid token', false, 0],
    ['with a valid token', true, 1],
  ])('stays up and healthy after random polling traffic %s', async (_name, withToken, offset) => {
    const owner = await makeUser(node.url);
    const cleaning = await makeCleaning(owner);
    const token = withToken ? owner.token : 'not-a-token';
    const played = await play([node.url], SEED + offset, token, cleaning.id);
    expect(played.serverErrors, `seed ${SEED + offset}`).toEqual([]);
    expectRealTraffic(played, withToken);
    await expectHealthy(node);
    await expectPollingClientWorks(node.url, owner.token);
  });
});

describe.runIf(canRunCluster)('engine.io long-polling fuzz on two nodes', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(2, { SOCKET_COMMANDS_PER_SECOND: '1000000' });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it.each([
    ['without a valid token', false, 2],
    ['with a valid token', true, 3],
  ])('both stay up and healthy after random polling traffic %s', async (_name, withToken, offset) => {
    const urls = cluster.nodes.map((n) => n.url);
    const owner = await makeUser(urls[0]!);
    const cleaning = await makeCleaning(owner);
    const token = withToken ? owner.token : 'not-a-token';
    const played = await play(urls, SEED + offset, token, cleaning.id);
    expect(played.serverErrors, `seed ${SEED + offset}`).toEqual([]);
    expectRealTraffic(played, withToken);
    for (const node of cluster.nodes) {
      await expectHealthy(node);
      await expectPollingClientWorks(node.url, owner.token);
    }
  });
});
