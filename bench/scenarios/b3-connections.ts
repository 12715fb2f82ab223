// B3: idle authenticated sockets held by one server process, and the memory each costs, against bare
// socket.io holding the same number of plain sockets.
import { startWorker, type WorkerClient } from '../lib/rpc.ts';
import {
  createBenchDatabase,
  serverEnv,
  startBareSocketIo,
  startServer,
  type BenchProcess,
} from '../lib/services.ts';
import { createSeeder } from '../lib/seed.ts';
import { median } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';

export type B3Options = {
  sizes: number[];
  holdMs: number;
  workers: number;
  samples: number;
  /** The open-file limit of one process here, when it capped the largest size (each socket is a descriptor). */
  fdLimit?: number;
};

type Status = { open: number; errors: number; disconnects: number; received: number; rss: number };

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Median of a few RSS samples taken a second apart, each right after a full garbage collection (through the
 * inspector, for both servers alike), so that the figure is what the sockets hold, not when V8 last collected;
 * with the JS heap in use at the same moments.
 */
async function settledRss(p: BenchProcess, samples: number): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < samples; i++) {
    await sleep(1000);
    // At the descriptor limit the inspector cannot take a connection; RSS is then read as it is.
    heap.push(await p.collectGarbage().catch(() => NaN));
    await sleep(200);
    rss.push(p.rss());
  }
  return { rss: median(rss), heap: median(heap) };
}

const INSPECT = ['--inspect=127.0.0.1:0'];

type Measure = {
  size: number;
  rss: number;
  perSocketKiB: number;
  /** JS heap in use per socket (after a full collection): the part of RSS that objects on the heap account for. */
  heapPerSocketKiB: number;
  connectMs: number;
  errors: number;
  disconnects: number;
};

async function fill(
  target: BenchProcess,
  workers: WorkerClient[],
  auths: object[],
  opened: number,
  size: number,
): Promise<{ connectMs: number; errors: number }> {
  const add = auths.slice(opened, size);
  const per = Math.ceil(add.length / workers.length);
  const t0 = Date.now();
  const results = await Promise.all(
    workers.map((w, i) =>
      w.call<{ errors: number }>('connect', {
        url: target.url,
        auths: add.slice(i * per, (i + 1) * per),
        events: [],
        concurrency: 200,
      }),
    ),
  );
  return { connectMs: Date.now() - t0, errors: results.reduce((s, r) => s + r.errors, 0) };
}

async function measure(
  label: string,
  start: () => Promise<BenchProcess>,
  auths: object[],
  o: B3Options,
  holdLast: boolean,
): Promise<Measure[]> {
  const target = await start();
  const workers = await Promise.all(
    Array.from({ length: o.workers }, () => startWorker('bench/workers/socket-holder.ts')),
  );
  try {
    await sleep(1000);
    const empty = await settledRss(target, o.samples);
    const out: Measure[] = [];
    let opened = 0;
    for (const [i, size] of o.sizes.entries()) {
      const { connectMs, errors } = await fill(target, workers, auths, opened, size);
      opened = size;
      if (holdLast && i === o.sizes.length - 1) {
        say(`B3: ${label}: holding ${size} sockets for ${o.holdMs / 1000} s`);
        await sleep(o.holdMs);
      }
      const { rss, heap } = await settledRss(target, o.samples);
      const statuses = await Promise.all(workers.map((w) => w.call<Status>('status')));
      const open = statuses.reduce((s, x) => s + x.open, 0);
      const disconnects = statuses.reduce((s, x) => s + x.disconnects, 0);
      say(
        `B3: ${label}: ${open} open (${errors} refused, ${disconnects} dropped), RSS ${(rss / MiB).toFixed(0)} MiB, connected in ${connectMs} ms`,
      );
      out.push({
        size,
        rss,
        perSocketKiB: (rss - empty.rss) / size / 1024,
        heapPerSocketKiB: (heap - empty.heap) / size / 1024,
        connectMs,
        errors: size - open,
        disconnects,
      });
    }
    return out;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await target.stop();
  }
}

export async function runB3(o: B3Options): Promise<ScenarioResult> {
  const db = await createBenchDatabase('b3');
  const seed = createSeeder(db.url);
  try {
    const max = Math.max(...o.sizes);
    // The server must have migrated before users can be inserted.
    const first = await startServer(serverEnv({ databaseUrl: db.url }), [], 'b3-migrate');
    await first.stop();
    const users = await seed.users('b3user', max);
    const app = await measure(
      'Phresh',
      () => startServer(serverEnv({ databaseUrl: db.url }), INSPECT, 'b3-server'),
      users.map((u) => ({ token: u.token })),
      o,
      true,
    );
    const bare = await measure(
      'bare socket.io',
      () => startBareSocketIo(INSPECT),
      users.map(() => ({})),
      o,
      false,
    );
    const rows: Row[] = app.map((a, i) => {
      const b = bare[i]!;
      const r = a.perSocketKiB / b.perSocketKiB;
      const last = i === app.length - 1;
      return {
        scenario: 'B3',
        metric: `${a.size >= 1000 && a.size % 1000 === 0 ? `${a.size / 1000}k` : a.size} idle sockets: RSS per socket (KiB)${last ? `, held ${o.holdMs / 1000} s` : ''}`,
        value: a.perSocketKiB.toFixed(1),
        baseline: b.perSocketKiB.toFixed(1),
        ratio: `${r.toFixed(2)}×`,
        target: `≤ 1.30×${last ? ', no errors' : ''}`,
        verdict: r <= 1.3 && a.errors === 0 && a.disconnects === 0 ? 'met' : 'missed',
        measure: { value: a.perSocketKiB, higherIsBetter: false },
      };
    });
    return {
      id: 'B3',
      title: 'Connections and memory',
      rows,
      details: [
        `Idle sockets, each authenticated with its own user's token (${max} users), opened from ${o.workers} client processes 200 at a time over websocket, into one server process; then the same number of plain sockets into the bare socket.io server. RSS is read from /proc (median of ${o.samples} samples a second apart once connected); per socket = (RSS with N sockets − RSS with none) / N. RSS is sampled right after a full garbage collection requested through the inspector (both servers run with \`--inspect\`), so that it shows what the sockets hold rather than when V8 last collected; the JS heap in use is read at the same moments (the rest of RSS is socket buffers, native memory of the websocket library and the allocator). The last size is held for ${o.holdMs / 1000} s on the server (pings included) before it is measured; errors count sockets that did not connect or were lost while held.${
          o.fdLimit !== undefined
            ? ` One process may open at most ${o.fdLimit} files on this machine (the hard limit, which the benchmark cannot raise), and every socket is one: the largest size is therefore ${max}, not 20,000; it needs \`ulimit -n\` above 20,000 in production.`
            : ''
        }`,
        '',
        ...table(
          [
            'sockets',
            'Phresh RSS MiB',
            'KiB / socket',
            'of which JS heap',
            'connect s',
            'errors',
            'bare RSS MiB',
            'bare KiB / socket',
            'of which JS heap',
            'bare connect s',
          ],
          app.map((a, i) => {
            const b = bare[i]!;
            return [
              String(a.size),
              (a.rss / MiB).toFixed(0),
              a.perSocketKiB.toFixed(1),
              a.heapPerSocketKiB.toFixed(1),
              (a.connectMs / 1000).toFixed(1),
              String(a.errors + a.disconnects),
              (b.rss / MiB).toFixed(0),
              b.perSocketKiB.toFixed(1),
              b.heapPerSocketKiB.toFixed(1),
              (b.connectMs / 1000).toFixed(1),
            ];
          }),
        ),
      ],
      raw: { options: o, app, bare },
    };
  } finally {
    await seed.close();
    await db.drop();
  }
}
