// B4: two server processes behind Redis (and one PostgreSQL) against one: cross-node push latency and
// command throughput.
import { io, type Socket } from 'socket.io-client';
import { startWorker, wallNow } from '../lib/rpc.ts';
import {
  createBenchDatabase,
  serverEnv,
  startServer,
  uniqueRedisPrefix,
  type BenchProcess,
} from '../lib/services.ts';
import { createSeeder, type SeededUser } from '../lib/seed.ts';
import { latency, median, ms, ratio, type Latency } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';
import type { RunnerSpec } from '../workers/command-cycles.ts';

export type B4Options = {
  rounds: number;
  warmupRounds: number;
  concurrency: number;
  durationMs: number;
  reps: number;
};

function connect(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

async function ack(socket: Socket, event: string, payload: object): Promise<void> {
  const res = (await socket.timeout(30_000).emitWithAck(event, payload)) as { ok: boolean; error?: unknown };
  if (!res.ok) throw new Error(`${event} failed: ${JSON.stringify(res.error)}`);
}

/** Resolves with the arrival time of the first `event` on `socket` matching `pick`. */
function next(socket: Socket, event: string, pick: (p: any) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 30 s`)), 30_000);
    const on = (p: unknown) => {
      if (!pick(p)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(wallNow());
    };
    socket.on(event, on);
  });
}

type Setup = { label: string; sender: string; receiver: string };
type LatencyResult = { offer: Latency; feed: Latency };

/**
 * Each round a cleaner offers through a socket on `sender`; the cleaner's other device on `receiver` gets the
 * `offer:event` (through PostgreSQL NOTIFY); the owner accepts through `sender` and a job-board watcher on
 * `receiver` gets `cleaning:assigned` (through the Redis adapter).
 */
async function pushLatency(
  s: Setup,
  owner: SeededUser,
  cleaners: SeededUser[],
  cleanings: number[],
  o: B4Options,
): Promise<LatencyResult> {
  const ownerSocket = await connect(s.sender, owner.token);
  const watcher = await connect(s.receiver, owner.token);
  await ack(watcher, 'feed:subscribe', {});
  const offer: number[] = [];
  const feed: number[] = [];
  for (let i = 0; i < o.rounds + o.warmupRounds; i++) {
    const cleaner = cleaners[i]!;
    const cleaning_id = cleanings[i]!;
    const [device1, device2] = await Promise.all([
      connect(s.sender, cleaner.token),
      connect(s.receiver, cleaner.token),
    ]);
    const pushed = next(device2, 'offer:event', (e) => e.cleaning_id === cleaning_id);
    const t0 = wallNow();
    await ack(device1, 'offer:create', { cleaning_id });
    const t1 = await pushed;
    const assigned = next(watcher, 'cleaning:assigned', (c) => c.id === cleaning_id);
    const t2 = wallNow();
    await ack(ownerSocket, 'offer:accept', { cleaning_id, username: cleaner.username });
    const t3 = await assigned;
    if (i >= o.warmupRounds) {
      offer.push(t1 - t0);
      feed.push(t3 - t2);
    }
    device1.close();
    device2.close();
  }
  ownerSocket.close();
  watcher.close();
  return { offer: latency(offer), feed: latency(feed) };
}

type Run = { ops: number; errors: number; elapsedMs: number; latencies: number[] };

async function throughput(
  urls: string[],
  owners: SeededUser[],
  cleaners: SeededUser[],
  seed: ReturnType<typeof createSeeder>,
  o: B4Options,
) {
  const worker = await startWorker('bench/workers/command-cycles.ts');
  try {
    const runners: RunnerSpec[] = [];
    for (let i = 0; i < o.concurrency; i++) {
      const owner = owners[i]!;
      // With two nodes, each runner's owner and cleaners sit on different nodes, so every push crosses over.
      const u = (k: number) => urls[(i + k) % urls.length]!;
      runners.push({
        urls: [u(0), u(1), u(0)],
        owner,
        a: cleaners[2 * i]!,
        b: cleaners[2 * i + 1]!,
        cleanings: await seed.cleanings(owner.id, 3000),
      });
    }
    await worker.call('setup', { runners });
    await worker.call('run', { durationMs: 1500 });
    const reps: { opsPerSec: number; p99: number; errors: number }[] = [];
    for (let i = 0; i < o.reps; i++) {
      const r = await worker.call<Run>('run', { durationMs: o.durationMs });
      const l = latency(r.latencies);
      reps.push({ opsPerSec: (r.ops / r.elapsedMs) * 1000, p99: l.p99, errors: r.errors });
    }
    await worker.call('close');
    return {
      opsPerSec: median(reps.map((r) => r.opsPerSec)),
      p99: median(reps.map((r) => r.p99)),
      errors: reps.reduce((s, r) => s + r.errors, 0),
    };
  } finally {
    await worker.stop();
  }
}

export async function runB4(o: B4Options): Promise<ScenarioResult> {
  const db = await createBenchDatabase('b4');
  const seed = createSeeder(db.url);
  const prefix = uniqueRedisPrefix();
  const nodes: BenchProcess[] = [];
  try {
    nodes.push(
      await startServer(
        serverEnv({ databaseUrl: db.url, redisPrefix: prefix, nodeId: 'node-1' }),
        [],
        'b4-node1',
      ),
    );
    nodes.push(
      await startServer(
        serverEnv({ databaseUrl: db.url, redisPrefix: prefix, nodeId: 'node-2' }),
        [],
        'b4-node2',
      ),
    );
    const [a, b] = [nodes[0]!.url, nodes[1]!.url];
    const [owner] = await seed.users('b4owner', 1);
    const n = o.rounds + o.warmupRounds;
    const cleaners = await seed.users('b4cleaner', 2 * n);
    const cleanings = await seed.cleanings(owner!.id, 2 * n);
    say('B4: push latency, one node');
    const one = await pushLatency(
      { label: 'one node', sender: a, receiver: a },
      owner!,
      cleaners.slice(0, n),
      cleanings.slice(0, n),
      o,
    );
    say('B4: push latency, across two nodes');
    const two = await pushLatency(
      { label: 'two nodes', sender: a, receiver: b },
      owner!,
      cleaners.slice(n),
      cleanings.slice(n),
      o,
    );
    const owners = await seed.users('b4load', o.concurrency * 2);
    const loaders = await seed.users('b4loadcleaner', o.concurrency * 4);
    say('B4: throughput, one node');
    const t1 = await throughput(
      [a],
      owners.slice(0, o.concurrency),
      loaders.slice(0, 2 * o.concurrency),
      seed,
      o,
    );
    say('B4: throughput, two nodes');
    const t2 = await throughput(
      [a, b],
      owners.slice(o.concurrency),
      loaders.slice(2 * o.concurrency),
      seed,
      o,
    );
    const rows: Row[] = [
      {
        scenario: 'B4',
        metric: 'offer push p50 / p99 (ms): across nodes vs same node',
        value: `${ms(two.offer.p50)} / ${ms(two.offer.p99)}`,
        baseline: `${ms(one.offer.p50)} / ${ms(one.offer.p99)}`,
        ratio: ratio(two.offer.p99, one.offer.p99),
        target: '',
        verdict: '',
        measure: { value: two.offer.p99, higherIsBetter: false },
      },
      {
        scenario: 'B4',
        metric: 'job-board push p50 / p99 (ms): across nodes vs same node',
        value: `${ms(two.feed.p50)} / ${ms(two.feed.p99)}`,
        baseline: `${ms(one.feed.p50)} / ${ms(one.feed.p99)}`,
        ratio: ratio(two.feed.p99, one.feed.p99),
        target: '',
        verdict: '',
        measure: { value: two.feed.p99, higherIsBetter: false },
      },
      {
        scenario: 'B4',
        metric: `ops/s, ${o.concurrency} owners: two nodes vs one`,
        value: t2.opsPerSec.toFixed(0),
        baseline: t1.opsPerSec.toFixed(0),
        ratio: ratio(t2.opsPerSec, t1.opsPerSec),
        target: '',
        verdict: '',
        measure: { value: t2.opsPerSec, higherIsBetter: true },
      },
    ];
    return {
      id: 'B4',
      title: 'Two nodes behind Redis vs one node',
      rows,
      details: [
        `Two server processes on one PostgreSQL database and one Redis (private key prefix). Latency: ${o.rounds} measured rounds after ${o.warmupRounds} warm-up, one at a time. Each round a cleaner sends \`offer:create\` from a socket on node 1 and the time until the cleaner's second socket gets the \`offer:event\` is measured (offer events travel through PostgreSQL \`NOTIFY\`, which every node hears); then the owner accepts on node 1 and the time until a job-board socket gets \`cleaning:assigned\` is measured (job-board pushes travel through the Redis adapter). "Same node" puts both sockets on node 1; "across nodes" puts the receiver on node 2. Both times include the command's transaction. Throughput: B1's cycles, ${o.concurrency} owners, ${o.reps} × ${o.durationMs / 1000} s; with two nodes each owner's socket is on one node and its cleaners' on the other, so every push crosses nodes; both configurations use Redis.`,
        '',
        ...table(
          [
            '',
            'offer push p50 / p99 / max',
            'job-board push p50 / p99 / max',
            'ops/s',
            'ack p99 ms',
            'errors',
          ],
          [
            [
              'one node',
              `${ms(one.offer.p50)} / ${ms(one.offer.p99)} / ${ms(one.offer.max)}`,
              `${ms(one.feed.p50)} / ${ms(one.feed.p99)} / ${ms(one.feed.max)}`,
              t1.opsPerSec.toFixed(0),
              ms(t1.p99),
              String(t1.errors),
            ],
            [
              'two nodes',
              `${ms(two.offer.p50)} / ${ms(two.offer.p99)} / ${ms(two.offer.max)}`,
              `${ms(two.feed.p50)} / ${ms(two.feed.p99)} / ${ms(two.feed.max)}`,
              t2.opsPerSec.toFixed(0),
              ms(t2.p99),
              String(t2.errors),
            ],
          ],
        ),
        '',
        'On a 2-core machine two nodes cannot add CPU: PostgreSQL, both nodes and the clients share the same two cores, so the two-node throughput shows the cost of the extra hop, not the scaling a second machine would give.',
      ],
      raw: { options: o, one, two, throughput: { one: t1, two: t2 } },
    };
  } finally {
    for (const node of nodes) await node.stop();
    await seed.close();
    await db.drop();
  }
}
