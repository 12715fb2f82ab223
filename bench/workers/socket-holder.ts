// A client process that holds many sockets (to the real server or to the bare baseline), and reports when
// each of them received the messages of one armed round. Used by the fan-out, memory and two-node scenarios.
import { io, type Socket } from 'socket.io-client';
import { serveWorker, wallNow } from '../lib/rpc.ts';
import { inPool } from '../lib/pool.ts';

type Match = { event: string; cleaningId?: number; type?: string; round?: number };
type Armed = {
  match: Match;
  expect: number;
  counts: Uint32Array;
  times: Float64Array;
  remaining: number;
  done(): void;
};

const sockets: Socket[] = [];
/** The group each socket was opened in (e.g. "app" or "bare"), so that a round can involve one group only. */
const groups: string[] = [];
const sent: Record<string, Set<number>> = {};
let armed: Armed | undefined;
let errors = 0;
let disconnects = 0;
let received = 0;

/** Spreads connections over several loopback addresses, so that 20k+ sockets never run out of local ports. */
function spread(url: string, i: number): string {
  const u = new URL(url);
  if (u.hostname === '127.0.0.1' || u.hostname === 'localhost') u.hostname = `127.0.0.${1 + (i % 8)}`;
  return u.origin;
}

function matches(m: Match, payload: any): boolean {
  if (m.round !== undefined) return payload?.round === m.round;
  if (m.cleaningId !== undefined && payload?.cleaning_id !== m.cleaningId) return false;
  if (m.type !== undefined && payload?.type !== m.type) return false;
  return true;
}

function listen(socket: Socket, index: number, event: string) {
  socket.on(event, (payload: unknown) => {
    received++;
    const a = armed;
    if (!a || a.match.event !== event || !matches(a.match, payload)) return;
    const n = ++a.counts[index]!;
    if (n === a.expect) {
      a.times[index] = wallNow();
      if (--a.remaining === 0) a.done();
    }
  });
}

function connectOne(url: string, auth: object, index: number, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = io(spread(url, index), {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 60_000,
    });
    for (const e of events) listen(socket, index, e);
    socket.once('connect', () => {
      sockets[index] = socket;
      socket.on('disconnect', (reason) => {
        if (reason !== 'io client disconnect') disconnects++;
      });
      resolve();
    });
    socket.once('connect_error', () => {
      errors++;
      socket.close();
      resolve();
    });
  });
}

serveWorker({
  /** Opens one socket per handshake `auth` object, `concurrency` at a time; appends to those already open. */
  async connect(p: { url: string; auths: object[]; events: string[]; group?: string; concurrency?: number }) {
    const started = wallNow();
    const base = Math.max(sockets.length, groups.length);
    for (let i = 0; i < p.auths.length; i++) groups[base + i] = p.group ?? '';
    const before = errors;
    await inPool(p.auths, p.concurrency ?? 100, (auth, i) => connectOne(p.url, auth, base + i, p.events));
    return { open: sockets.filter(Boolean).length, errors: errors - before, ms: wallNow() - started };
  },
  /** Sends `event` once from every socket of `group` that has not sent it yet (e.g. cleaning:subscribe). */
  async commandAll(p: { event: string; payload: unknown; group?: string; concurrency?: number }) {
    let failed = 0;
    const done = (sent[p.event] ??= new Set());
    const targets = sockets.flatMap((s, i) =>
      s && !done.has(i) && (p.group === undefined || groups[i] === p.group) ? [[s, i] as const] : [],
    );
    await inPool(targets, p.concurrency ?? 100, async ([socket, i]) => {
      done.add(i);
      const res = (await socket
        .timeout(60_000)
        .emitWithAck(p.event, p.payload)
        .catch(() => undefined)) as { ok: boolean } | undefined;
      if (!res?.ok) failed++;
    });
    return { sent: targets.length, failed };
  },
  /**
   * Arms a round: every open socket of `group` must receive `expect` messages matching `match`.
   * Resolves with the time each socket got its last one (NaN for sockets that timed out).
   */
  async arm(p: { match: Match; group?: string; expect?: number; timeoutMs?: number }) {
    const n = sockets.length;
    const a: Armed = {
      match: p.match,
      expect: p.expect ?? 1,
      counts: new Uint32Array(n),
      times: new Float64Array(n).fill(NaN),
      remaining: 0,
      done: () => {},
    };
    // Sockets of other groups are marked as already complete, so that they never hold the round open.
    for (let i = 0; i < n; i++) {
      if (sockets[i] && (p.group === undefined || groups[i] === p.group)) a.remaining++;
      else a.counts[i] = 1e9;
    }
    const finished = new Promise<void>((resolve) => {
      a.done = resolve;
      if (a.remaining === 0) resolve();
    });
    armed = a;
    return { armed: a.remaining, finished: registerRound(finished, p.timeoutMs ?? 60_000) };
  },
  /** Waits for the armed round and returns the arrival times of its sockets. */
  async collect() {
    const a = armed;
    if (!a || !current) throw new Error('no round armed');
    await current;
    armed = undefined;
    current = undefined;
    const times: number[] = [];
    let missing = 0;
    for (let i = 0; i < a.times.length; i++) {
      if (a.counts[i] === 1e9) continue;
      const t = a.times[i]!;
      if (Number.isNaN(t)) missing++;
      else times.push(t);
    }
    return { times, missing };
  },
  status() {
    return {
      open: sockets.filter((s) => s?.connected).length,
      errors,
      disconnects,
      received,
      rss: process.memoryUsage().rss,
    };
  },
  async closeAll() {
    for (const s of sockets) s?.close();
    sockets.length = 0;
    groups.length = 0;
    for (const k of Object.keys(sent)) delete sent[k];
    return null;
  },
});

let current: Promise<void> | undefined;
function registerRound(finished: Promise<void>, timeoutMs: number): boolean {
  current = Promise.race([finished, new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
  return true;
}
