// B9: what deploy/nginx.conf costs in front of a node: push latency and REST throughput through nginx against
// the same node reached directly, rounds and repetitions alternating so that the machine's load falls on both.
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { io, type Socket } from 'socket.io-client';
import type { Balancer } from '../../test/helpers/balancer.ts';
import { startNginx } from '../../test/helpers/nginx.ts';
import { wallNow } from '../lib/rpc.ts';
import { createBenchDatabase, serverEnv, startServer, type BenchProcess } from '../lib/services.ts';
import { createSeeder } from '../lib/seed.ts';
import { latency, median, ms, ratio } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';

export type B9Options = {
  rounds: number;
  warmupRounds: number;
  connections: number;
  durationS: number;
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

function next(socket: Socket, cleaningId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no offer:event within 30 s')), 30_000);
    const on = (e: { cleaning_id: number }) => {
      if (e.cleaning_id !== cleaningId) return;
      clearTimeout(timer);
      socket.off('offer:event', on);
      resolve(wallNow());
    };
    socket.on('offer:event', on);
  });
}

export async function runB9(o: B9Options): Promise<ScenarioResult> {
  const db = await createBenchDatabase('b9');
  const seed = createSeeder(db.url);
  let node: BenchProcess | undefined;
  let nginx: Balancer | undefined;
  const sockets: Socket[] = [];
  try {
    node = await startServer(
      serverEnv({ databaseUrl: db.url, extra: { TRUST_PROXY: 'loopback' } }),
      [],
      'b9-node',
    );
    nginx = await startNginx([node.url]);
    const routes = { direct: node.url, nginx: nginx.url };
    const [owner] = await seed.users('b9owner', 1);
    const n = o.rounds + o.warmupRounds;
    const cleaners = await seed.users('b9cleaner', n);
    const cleanings = await seed.cleanings(owner!.id, 2 * n);

    // Push latency: a cleaner offers from one device; the time until the other device has the push.
    say('B9: push latency, direct and through nginx');
    const pushes: Record<keyof typeof routes, number[]> = { direct: [], nginx: [] };
    const loadPush = loadavg();
    for (let i = 0; i < n; i++) {
      for (const [k, route] of Object.entries(routes) as [keyof typeof routes, string][]) {
        const cleaner = cleaners[i]!;
        const cleaning_id = cleanings[2 * i + (k === 'direct' ? 0 : 1)]!;
        const [device1, device2] = await Promise.all([
          connect(route, cleaner.token),
          connect(route, cleaner.token),
        ]);
        sockets.push(device1, device2);
        const pushed = next(device2, cleaning_id);
        const t0 = wallNow();
        await ack(device1, 'offer:create', { cleaning_id });
        const t1 = await pushed;
        if (i >= o.warmupRounds) pushes[k].push(t1 - t0);
        device1.close();
        device2.close();
      }
    }

    // REST throughput: the job board's first page, authenticated, repetitions alternating.
    say('B9: REST throughput, direct and through nginx');
    const path = '/api/feed/cleanings/';
    const headers = { authorization: `Bearer ${owner!.token}` };
    const run = (base: string, duration: number) =>
      autocannon({ url: base + path, connections: o.connections, duration, headers });
    const rest: Record<keyof typeof routes, { rps: number; p99: number; non2xx: number }[]> = {
      direct: [],
      nginx: [],
    };
    const loadRest = loadavg();
    await run(routes.direct, 1);
    await run(routes.nginx, 1);
    for (let i = 0; i < o.reps; i++) {
      for (const k of i % 2 === 0 ? (['direct', 'nginx'] as const) : (['nginx', 'direct'] as const)) {
        const r = await run(routes[k], o.durationS);
        rest[k].push({ rps: r.requests.mean, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts });
      }
    }
    const push = { direct: latency(pushes.direct), nginx: latency(pushes.nginx) };
    const rps = {
      direct: median(rest.direct.map((r) => r.rps)),
      nginx: median(rest.nginx.map((r) => r.rps)),
    };
    const restP99 = {
      direct: median(rest.direct.map((r) => r.p99)),
      nginx: median(rest.nginx.map((r) => r.p99)),
    };
    const failed = [...rest.direct, ...rest.nginx].reduce((s, r) => s + r.non2xx, 0);
    const rows: Row[] = [
      {
        scenario: 'B9',
        metric: 'offer push p50 / p99 (ms): through nginx vs direct',
        value: `${ms(push.nginx.p50)} / ${ms(push.nginx.p99)}`,
        baseline: `${ms(push.direct.p50)} / ${ms(push.direct.p99)}`,
        ratio: ratio(push.nginx.p99, push.direct.p99),
        target: 'p99 ≤ 1.2×',
        verdict: push.nginx.p99 <= 1.2 * push.direct.p99 ? 'met' : 'missed',
      },
      {
        scenario: 'B9',
        metric: `GET ${path} req/s, ${o.connections} connections: direct vs through nginx`,
        value: rps.nginx.toFixed(0),
        baseline: rps.direct.toFixed(0),
        ratio: ratio(rps.direct, rps.nginx),
        target: 'overhead ≤ 1.2×',
        verdict: rps.direct <= 1.2 * rps.nginx && failed === 0 ? 'met' : 'missed',
      },
    ];
    const l = (v: number[]) => v.map((x) => x.toFixed(1)).join(' / ');
    return {
      id: 'B9',
      title: 'Through nginx vs direct',
      rows,
      details: [
        `One node (\`TRUST_PROXY=loopback\`) and Debian's nginx (one worker) running the shipped deploy/nginx.conf in front of it, both on this machine. Push latency: ${o.rounds} measured rounds after ${o.warmupRounds} warm-up; each round a cleaner connects two websocket devices and sends \`offer:create\` from one, timed until the other has the \`offer:event\` (the command's transaction included), once directly and once through nginx. REST: autocannon, ${o.connections} connections, ${o.reps} × ${o.durationS} s on \`GET ${path}\` (authenticated), direct and nginx alternating. The overhead ratio for throughput is direct req/s ÷ nginx req/s. nginx competes for the same two cores as the node, PostgreSQL and the clients, so on separate machines its cost would be smaller.`,
        '',
        ...table(
          ['', 'push p50 / p99 / max (ms)', 'REST req/s', 'REST p99 ms', 'failed requests'],
          (['direct', 'nginx'] as const).map((k) => [
            k === 'direct' ? 'direct' : 'through nginx',
            `${ms(push[k].p50)} / ${ms(push[k].p99)} / ${ms(push[k].max)}`,
            rps[k].toFixed(0),
            ms(restP99[k]),
            String(rest[k].reduce((s, r) => s + r.non2xx, 0)),
          ]),
        ),
        '',
        `Load average (1 / 5 / 15 min) before the push rounds: ${l(loadPush)}; before the REST runs: ${l(loadRest)}.`,
      ],
      raw: { options: o, push, rest, loadPush, loadRest },
    };
  } finally {
    for (const s of sockets) s.close();
    await nginx?.stop();
    await node?.stop();
    await seed.close();
    await db.drop();
  }
}
