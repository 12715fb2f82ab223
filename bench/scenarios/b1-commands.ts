// B1: command throughput with durable commits, against the same SQL transactions sent straight through pg.
import { startWorker } from '../lib/rpc.ts';
import {
  createBenchDatabase,
  readCpuMs,
  postgresCpu,
  postgresCpuSince,
  readSyscalls,
  serverEnv,
  startServer,
} from '../lib/services.ts';
import { createSeeder } from '../lib/seed.ts';
import { latency, median, ms, ratio, type Latency } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';
import type { RunnerSpec } from '../workers/command-cycles.ts';

export type B1Options = {
  concurrency: number;
  reps: number;
  durationMs: number;
  warmupMs: number;
  poolMax: number;
  /** The baseline's event append: one statement (what the server sends now) or three (before that change). */
  combinedAppend?: boolean;
  /** More of the server's environment (B6 turns Web Push on). */
  serverEnv?: Record<string, string>;
  /** Load run beside the measured repetitions (B6's push flow); started after the warm-up, stopped after. */
  alongside?: (target: { serverUrl: string; databaseUrl: string }) => Promise<() => Promise<void>>;
};

type Run = {
  ops: number;
  errors: number;
  exhausted: number;
  elapsedMs: number;
  latencies: number[];
  pushes: number;
};
type Rep = {
  opsPerSec: number;
  latency: Latency;
  errors: number;
  pushesPerSec: number;
  cpuMsPerOp: number;
  /** What the same commands cost PostgreSQL (every process of the cluster): the two share the machine's cores. */
  pgCpuMsPerOp: number;
  /** System calls that wrote (sockets: clients, PostgreSQL) per command: unlike CPU, the machine's load moves it little. */
  writesPerOp: number;
  readsPerOp: number;
};
type Used = { cpuMs: number; pgCpuMs: number; reads: number; writes: number };

const summarise = (r: Run, used: Used): Rep => ({
  opsPerSec: (r.ops / r.elapsedMs) * 1000,
  latency: latency(r.latencies),
  errors: r.errors,
  pushesPerSec: (r.pushes / r.elapsedMs) * 1000,
  cpuMsPerOp: used.cpuMs / Math.max(1, r.ops),
  pgCpuMsPerOp: used.pgCpuMs / Math.max(1, r.ops),
  writesPerOp: used.writes / Math.max(1, r.ops),
  readsPerOp: used.reads / Math.max(1, r.ops),
});

/** Runs `fn` and returns its result with the CPU time and system calls process `pid` (and PostgreSQL) spent meanwhile. */
async function withCpu<T>(pid: number, fn: () => Promise<T>): Promise<[T, Used]> {
  const cpu = readCpuMs(pid);
  const pgCpu = postgresCpu();
  const calls = readSyscalls(pid);
  const result = await fn();
  const after = readSyscalls(pid);
  return [
    result,
    {
      cpuMs: readCpuMs(pid) - cpu,
      pgCpuMs: postgresCpuSince(pgCpu),
      reads: after.reads - calls.reads,
      writes: after.writes - calls.writes,
    },
  ];
}

export async function runB1(o: B1Options, nodeArgs: string[] = []): Promise<ScenarioResult> {
  const db = await createBenchDatabase('b1');
  const server = await startServer(
    serverEnv({ databaseUrl: db.url, extra: { DATABASE_POOL_MAX: String(o.poolMax), ...o.serverEnv } }),
    nodeArgs,
    'b1-server',
  );
  const seed = createSeeder(db.url);
  const app = await startWorker('bench/workers/command-cycles.ts');
  const direct = await startWorker('bench/workers/pg-cycles.ts');
  try {
    // Enough fresh cleanings that no runner runs out at several thousand cycles per second.
    const perRunner = 3000;
    const owners = await seed.users('b1owner', o.concurrency * 2);
    const cleaners = await seed.users('b1cleaner', o.concurrency * 4);
    const runners: RunnerSpec[] = [];
    const pgRunners = [];
    for (let i = 0; i < o.concurrency; i++) {
      const owner = owners[i]!;
      const a = cleaners[2 * i]!;
      const b = cleaners[2 * i + 1]!;
      runners.push({
        urls: [server.url, server.url, server.url],
        owner,
        a,
        b,
        cleanings: await seed.cleanings(owner.id, perRunner),
      });
      // The baseline acts as other users, so that the server (still listening) has nobody to push its events to.
      const pgOwner = owners[o.concurrency + i]!;
      const pa = cleaners[2 * o.concurrency + 2 * i]!;
      const pb = cleaners[2 * o.concurrency + 2 * i + 1]!;
      pgRunners.push({
        ownerId: pgOwner.id,
        aId: pa.id,
        bId: pb.id,
        aUsername: pa.username,
        cleanings: await seed.cleanings(pgOwner.id, perRunner),
      });
    }
    await app.call('setup', { runners });
    await direct.call('setup', {
      databaseUrl: db.url,
      poolMax: o.poolMax,
      runners: pgRunners,
      combinedAppend: o.combinedAppend ?? true,
    });
    say(`B1: warming up (${o.concurrency} concurrent owners, 2 cleaners each)`);
    await app.call('run', { durationMs: o.warmupMs });
    await direct.call('run', { durationMs: o.warmupMs });
    const appReps: Rep[] = [];
    const pgReps: Rep[] = [];
    const stopAlongside = await o.alongside?.({ serverUrl: server.url, databaseUrl: db.url });
    for (let rep = 0; rep < o.reps; rep++) {
      const a = summarise(
        ...(await withCpu(server.pid, () => app.call<Run>('run', { durationMs: o.durationMs }))),
      );
      const p = summarise(
        ...(await withCpu(direct.pid, () => direct.call<Run>('run', { durationMs: o.durationMs }))),
      );
      appReps.push(a);
      pgReps.push(p);
      say(
        `B1 rep ${rep + 1}/${o.reps}: sockets ${a.opsPerSec.toFixed(0)} ops/s (p99 ${ms(a.latency.p99)} ms, ${a.errors} errors, server CPU ${a.cpuMsPerOp.toFixed(2)} ms/op, PostgreSQL CPU ${a.pgCpuMsPerOp.toFixed(2)} ms/op, ${a.writesPerOp.toFixed(2)} writes and ${a.readsPerOp.toFixed(2)} reads/op), pg ${p.opsPerSec.toFixed(0)} ops/s (p99 ${ms(p.latency.p99)} ms, client CPU ${p.cpuMsPerOp.toFixed(2)} ms/op, PostgreSQL CPU ${p.pgCpuMsPerOp.toFixed(2)} ms/op, ${p.writesPerOp.toFixed(2)} writes and ${p.readsPerOp.toFixed(2)} reads/op)`,
      );
    }
    await stopAlongside?.();
    const appOps = median(appReps.map((r) => r.opsPerSec));
    const pgOps = median(pgReps.map((r) => r.opsPerSec));
    const m = (reps: Rep[], k: 'p50' | 'p99') => median(reps.map((r) => r.latency[k]));
    const errors = appReps.reduce((s, r) => s + r.errors, 0);
    /** A per-command cost, ours beside the baseline's (medians of the repetitions). */
    const perCommand = (metric: string, of: (r: Rep) => number): Row => {
      const ours = median(appReps.map(of));
      const base = median(pgReps.map(of));
      return {
        scenario: 'B1',
        metric,
        value: ours.toFixed(2),
        baseline: base.toFixed(2),
        ratio: ratio(ours, base),
        target: '',
        verdict: '',
        measure: { value: ours, higherIsBetter: false },
      };
    };
    const met = appOps >= 0.8 * pgOps && errors === 0;
    return {
      id: 'B1',
      title: 'Command throughput with durable commits',
      rows: [
        {
          scenario: 'B1',
          metric: `ops/s, ${o.concurrency} concurrent owners`,
          value: appOps.toFixed(0),
          baseline: pgOps.toFixed(0),
          ratio: ratio(appOps, pgOps),
          target: '≥ 0.80×',
          verdict: met ? 'met' : 'missed',
          measure: { value: appOps, higherIsBetter: true, ofBaseline: appOps / pgOps },
        },
        {
          scenario: 'B1',
          metric: 'ack p50 / p99 (ms)',
          value: `${ms(m(appReps, 'p50'))} / ${ms(m(appReps, 'p99'))}`,
          baseline: `${ms(m(pgReps, 'p50'))} / ${ms(m(pgReps, 'p99'))}`,
          ratio: ratio(m(appReps, 'p99'), m(pgReps, 'p99')),
          target: '',
          verdict: '',
          measure: { value: m(appReps, 'p99'), higherIsBetter: false },
        },
        perCommand('process CPU per command (ms)', (r) => r.cpuMsPerOp),
        perCommand('PostgreSQL CPU per command (ms)', (r) => r.pgCpuMsPerOp),
        perCommand('process write system calls per command', (r) => r.writesPerOp),
      ],
      details: [
        `${o.concurrency} owners, each with two cleaners (${o.concurrency * 3} sockets), run cycles of four commands on a fresh cleaning each time: cleaner A \`offer:create\`, cleaner B \`offer:create\`, owner \`offer:accept\` (A accepted, B rejected), A \`offer:cancel\` (B back to pending). Every command is one transaction with a row lock, event rows and \`pg_notify\`, committed durably (\`synchronous_commit = on\`); every change is pushed to the cleaners' sockets. The baseline sends the essential statements of each transaction (lock, reads, writes, event rows, \`last_seq\`, \`pg_notify\`; not the job-board notices and Web Push outbox the server also writes) straight through \`pg\` with the same concurrency and the same pool size (${o.poolMax}). ${o.reps} repetitions of ${o.durationMs / 1000} s after a ${o.warmupMs / 1000} s warm-up; medians.`,
        '',
        ...table(
          [
            'repetition',
            'sockets ops/s',
            'p50 / p99 ms',
            'pushes/s',
            'errors',
            'server CPU ms/op',
            'PostgreSQL CPU ms/op',
            'pg ops/s',
            'pg p50 / p99 ms',
            'pg client CPU ms/op',
            'PostgreSQL CPU ms/op (pg)',
          ],
          appReps.map((a, i) => {
            const p = pgReps[i]!;
            return [
              String(i + 1),
              a.opsPerSec.toFixed(0),
              `${ms(a.latency.p50)} / ${ms(a.latency.p99)}`,
              a.pushesPerSec.toFixed(0),
              String(a.errors),
              a.cpuMsPerOp.toFixed(2),
              a.pgCpuMsPerOp.toFixed(2),
              p.opsPerSec.toFixed(0),
              `${ms(p.latency.p50)} / ${ms(p.latency.p99)}`,
              p.cpuMsPerOp.toFixed(2),
              p.pgCpuMsPerOp.toFixed(2),
            ];
          }),
        ),
      ],
      raw: { options: { ...o, alongside: undefined }, app: appReps, pg: pgReps },
    };
  } finally {
    await app.call('close').catch(() => {});
    await direct.call('close').catch(() => {});
    await Promise.all([app.stop(), direct.stop()]);
    await server.stop();
    await seed.close();
    await db.drop();
  }
}
