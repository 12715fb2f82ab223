// B4, three nodes: cross-node fan-out with the sharded Redis adapter. An owner's N subscribed sockets sit on
// nodes 2 and 3; the accept is sent to node 1. The baseline is three bare socket.io processes behind the same
// sharded adapter (a room emit on node 1 reaching sockets on nodes 2 and 3 through Redis). Phresh and baseline
// rounds alternate, with both sets of sockets open, so that the machine's load falls on both alike.
import { loadavg } from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { startWorker, wallNow, type WorkerClient } from '../lib/rpc.ts';
import {
  createBenchDatabase,
  serverEnv,
  startBareSocketIo,
  startServer,
  uniqueRedisPrefix,
  REDIS_URL,
  type BenchProcess,
} from '../lib/services.ts';
import { createSeeder } from '../lib/seed.ts';
import { latency, medianLatency, ms, ratio, type Latency } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';

export type B4FanoutOptions = { sizes: number[]; rounds: number; warmupRounds: number };

function connect(url: string, auth: object): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

async function ack(socket: Socket, event: string, payload: object): Promise<void> {
  const res = (await socket.timeout(60_000).emitWithAck(event, payload)) as { ok: boolean; error?: unknown };
  if (!res.ok) throw new Error(`${event} failed: ${JSON.stringify(res.error)}`);
}

async function round(workers: WorkerClient[], arm: object, trigger: () => Promise<void>) {
  await Promise.all(workers.map((w) => w.call('arm', arm)));
  const t0 = wallNow();
  await trigger();
  const collected = await Promise.all(
    workers.map((w) => w.call<{ times: number[]; missing: number }>('collect')),
  );
  return {
    latencies: collected.flatMap((c) => c.times.map((t) => t - t0)),
    missing: collected.reduce((s, c) => s + c.missing, 0),
  };
}

export type B4FanoutCase = { size: number; app: Latency; base: Latency; missing: number; load: number[] };

export async function runB4Fanout(o: B4FanoutOptions): Promise<ScenarioResult> {
  const db = await createBenchDatabase('b4s');
  const seed = createSeeder(db.url);
  const prefix = uniqueRedisPrefix();
  const processes: BenchProcess[] = [];
  const workers: WorkerClient[] = [];
  const sockets: Socket[] = [];
  const cases: B4FanoutCase[] = [];
  try {
    const nodes: BenchProcess[] = [];
    for (let i = 1; i <= 3; i++) {
      const node = await startServer(
        serverEnv({ databaseUrl: db.url, redisPrefix: prefix, nodeId: `node-${i}` }),
        [],
        `b4s-node${i}`,
      );
      nodes.push(node);
      processes.push(node);
    }
    const bares: BenchProcess[] = [];
    for (let i = 1; i <= 3; i++) {
      const bare = await startBareSocketIo([], undefined, { REDIS_URL, REDIS_PREFIX: `${prefix}-bare` });
      bares.push(bare);
      processes.push(bare);
    }
    // One client process per receiving node.
    workers.push(...(await Promise.all([1, 2].map(() => startWorker('bench/workers/socket-holder.ts')))));

    const [owner] = await seed.users('b4sowner', 1);
    const [watched] = await seed.cleanings(owner!.id, 1);
    const roundsPerSize = o.rounds + o.warmupRounds;
    const offerers = await seed.users('b4sofferer', roundsPerSize * o.sizes.length);
    const offererSockets = await Promise.all(offerers.map((u) => connect(nodes[0]!.url, { token: u.token })));
    const ownerTrigger = await connect(nodes[0]!.url, { token: owner!.token });
    const bareTrigger = await connect(bares[0]!.url, {});
    sockets.push(...offererSockets, ownerTrigger, bareTrigger);

    let opened = 0;
    let offererNo = 0;
    let roundNo = 0;
    for (const size of o.sizes) {
      const add = (size - opened) / 2;
      say(`B4: ${size} receivers on nodes 2 and 3 (opening ${size - opened} more of each kind)`);
      await Promise.all(
        workers.map(async (w, i) => {
          await w.call('connect', {
            url: nodes[i + 1]!.url,
            auths: Array.from({ length: add }, () => ({ token: owner!.token })),
            events: ['offer:event'],
            group: 'app',
          });
          // A few at a time: each answer reads the log, and a refused one would leave a receiver deaf.
          const subscribed = await w.call<{ failed: number }>('commandAll', {
            event: 'cleaning:subscribe',
            payload: { cleaning_id: watched, since: 0 },
            group: 'app',
            concurrency: 8,
          });
          if (subscribed.failed > 0) throw new Error(`B4S: ${subscribed.failed} subscriptions failed`);
          await w.call('connect', {
            url: bares[i + 1]!.url,
            auths: Array.from({ length: add }, () => ({ rooms: ['room'] })),
            events: ['bench:message'],
            group: 'bare',
          });
        }),
      );
      opened = size;
      const appReps: Latency[] = [];
      const baseReps: Latency[] = [];
      let missing = 0;
      const load = loadavg();
      for (let i = 0; i < roundsPerSize; i++) {
        const n = offererNo++;
        const offerer = offerers[n]!;
        const socket = offererSockets[n]!;
        const app = { event: 'offer:event', cleaningId: watched };
        await round(workers, { match: { ...app, type: 'created' }, group: 'app' }, () =>
          ack(socket, 'offer:create', { cleaning_id: watched }),
        );
        const r = await round(workers, { match: { ...app, type: 'accepted' }, group: 'app' }, () =>
          ack(ownerTrigger, 'offer:accept', { cleaning_id: watched, username: offerer.username }),
        );
        await round(workers, { match: { ...app, type: 'cancelled' }, group: 'app' }, () =>
          ack(socket, 'offer:cancel', { cleaning_id: watched }),
        );
        const a = ++roundNo;
        const b = await round(workers, { match: { event: 'bench:message', round: a }, group: 'bare' }, () =>
          ack(bareTrigger, 'bench:room-emit', { room: 'room', message: { round: a } }),
        );
        if (i >= o.warmupRounds) {
          appReps.push(latency(r.latencies));
          baseReps.push(latency(b.latencies));
        }
        missing += r.missing + b.missing;
      }
      cases.push({ size, app: medianLatency(appReps), base: medianLatency(baseReps), missing, load });
    }
  } finally {
    for (const s of sockets) s.close();
    await Promise.all(workers.map((w) => w.stop()));
    for (const p of processes) await p.stop();
    await seed.close();
    await db.drop();
  }

  const rows: Row[] = cases.map((c) => ({
    scenario: 'B4S',
    metric: `3 nodes, sharded adapter: ${c.size} receivers on the other nodes, p50 / p99 (ms)`,
    value: `${ms(c.app.p50)} / ${ms(c.app.p99)}`,
    baseline: `${ms(c.base.p50)} / ${ms(c.base.p99)}`,
    ratio: ratio(c.app.p99, c.base.p99),
    target: 'p99 ≤ 1.25×',
    verdict: c.app.p99 <= 1.25 * c.base.p99 && c.missing === 0 ? 'met' : 'missed',
  }));
  const details = [
    `Three server processes (one PostgreSQL database, one Redis with the sharded adapter in dynamic mode) and, as the baseline, three bare socket.io processes behind the same adapter. N sockets of a cleaning's owner, subscribed to it, are split over nodes 2 and 3 (one client process each); the owner's \`offer:accept\` goes to node 1, and each receiver's latency runs from the accept leaving the client to the push arriving (offer events reach nodes 2 and 3 through PostgreSQL \`NOTIFY\` and each node's relay). Baseline: a room emit on bare node 1 to a room whose N sockets are on bare nodes 2 and 3 (through Redis sharded pub/sub). Each round runs one Phresh accept (between an offer and a cancel, let through to every receiver first) and then one baseline emit; ${o.warmupRounds} warm-up rounds, then ${o.rounds} measured; medians over rounds of each round's p50, p99 and max.`,
    '',
    ...table(
      [
        'receivers',
        'Phresh p50 / p99 / max',
        'bare + sharded adapter p50 / p99 / max',
        'p99 ratio',
        'missing',
        'load (1/5/15)',
      ],
      cases.map((c) => [
        String(c.size),
        `${ms(c.app.p50)} / ${ms(c.app.p99)} / ${ms(c.app.max)}`,
        `${ms(c.base.p50)} / ${ms(c.base.p99)} / ${ms(c.base.max)}`,
        ratio(c.app.p99, c.base.p99),
        String(c.missing),
        c.load.map((l) => l.toFixed(1)).join(' / '),
      ]),
    ),
  ];
  return {
    id: 'B4S',
    title: 'Three nodes, sharded adapter: cross-node fan-out',
    rows,
    details,
    raw: { options: o, cases },
  };
}
