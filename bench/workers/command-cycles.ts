// B1/B4 client process: concurrent owners, each with two cleaners, run create/create/accept/cancel cycles
// over their sockets, each cycle on a fresh cleaning, and time every ack.
import { io, type Socket } from 'socket.io-client';
import { serveWorker, wallNow } from '../lib/rpc.ts';

export type RunnerSpec = {
  /** Node each of the three sockets connects to (owner, cleaner A, cleaner B). */
  urls: [string, string, string];
  owner: { token: string };
  a: { token: string; username: string };
  b: { token: string };
  cleanings: number[];
};

type Runner = { spec: RunnerSpec; owner: Socket; a: Socket; b: Socket; next: number };

const runners: Runner[] = [];
let pushes = 0;

function connect(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    s.on('offer:event', () => pushes++);
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

async function send(socket: Socket, event: string, payload: object, latencies: number[]): Promise<boolean> {
  const t0 = wallNow();
  const res = (await socket.timeout(30_000).emitWithAck(event, payload)) as { ok: boolean };
  latencies.push(wallNow() - t0);
  return res.ok;
}

serveWorker({
  async setup(p: { runners: RunnerSpec[] }) {
    for (const spec of p.runners) {
      const [owner, a, b] = await Promise.all([
        connect(spec.urls[0], spec.owner.token),
        connect(spec.urls[1], spec.a.token),
        connect(spec.urls[2], spec.b.token),
      ]);
      runners.push({ spec, owner, a, b, next: 0 });
    }
    return { runners: runners.length };
  },
  /** Runs cycles on every runner for `durationMs`; a cycle in flight at the deadline is finished but not counted. */
  async run(p: { durationMs: number }) {
    const latencies: number[] = [];
    let ops = 0;
    let errors = 0;
    let exhausted = 0;
    const pushesBefore = pushes;
    const started = wallNow();
    const deadline = started + p.durationMs;
    await Promise.all(
      runners.map(async (r) => {
        while (wallNow() < deadline) {
          const cleaning_id = r.spec.cleanings[r.next++];
          if (cleaning_id === undefined) {
            exhausted++;
            return;
          }
          const cycle: number[] = [];
          const oks = [
            await send(r.a, 'offer:create', { cleaning_id }, cycle),
            await send(r.b, 'offer:create', { cleaning_id }, cycle),
            await send(r.owner, 'offer:accept', { cleaning_id, username: r.spec.a.username }, cycle),
            await send(r.a, 'offer:cancel', { cleaning_id }, cycle),
          ];
          if (wallNow() > deadline) break;
          ops += cycle.length;
          latencies.push(...cycle);
          errors += oks.filter((ok) => !ok).length;
        }
      }),
    );
    const elapsedMs = Math.min(wallNow(), deadline) - started;
    return { ops, errors, exhausted, elapsedMs, latencies, pushes: pushes - pushesBefore };
  },
  close() {
    for (const r of runners) for (const s of [r.owner, r.a, r.b]) s.close();
    runners.length = 0;
    return null;
  },
});
