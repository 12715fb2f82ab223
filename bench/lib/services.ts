// What the benchmarks start on this machine: private databases on the local PostgreSQL, a private Redis
// prefix, server processes (`node src/main.ts`, as an operator runs it) and the bare socket.io baseline.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the benchmarked server's code is: this checkout, or another (e.g. a worktree of an older commit, for before/after figures). */
export const SERVER_ROOT = process.env.BENCH_SERVER_ROOT ?? ROOT;
export const SCRATCH_DIR = join(ROOT, '.bench');

export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Raises the open-file limit of the command it wraps (20k sockets need more than the usual 1024 or 20000). */
const WITH_FD_LIMIT =
  'ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; exec "$0" "$@"';

/** Spawns a Node.js script (the pinned Node that runs us) with a raised fd limit. */
export function spawnNode(
  args: string[],
  options: {
    env: Record<string, string>;
    stdio: ('ignore' | 'inherit' | 'pipe' | 'ipc' | number)[];
    cwd?: string;
  },
): ChildProcess {
  return spawn('/bin/sh', ['-c', WITH_FD_LIMIT, process.execPath, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: options.stdio,
  });
}

export type BenchDatabase = { name: string; url: string; drop(): Promise<void> };

/** A fresh database of this run's own on the shared PostgreSQL (`phresh_bench_*`), dropped afterwards. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `phresh_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const uniqueRedisPrefix = () => `phresh-bench-${randomBytes(4).toString('hex')}`;

/** A process the benchmark started, with its memory and a way to stop it. */
export type BenchProcess = {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resident set size now, in bytes (from /proc). */
  rss(): number;
  /** CPU time used so far (user + system), in ms (from /proc). */
  cpuMs(): number;
  stop(): Promise<void>;
  /**
   * Runs a full garbage collection through the inspector and returns the JS heap then in use, in bytes
   * (only for processes started with `--inspect`).
   */
  collectGarbage(): Promise<number>;
};

/** The open-file limit a benchmark process can have here (each socket is a file descriptor). */
export function maxOpenFiles(): number {
  const out = spawnSync('/bin/sh', [
    '-c',
    'ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n',
  ]);
  const n = Number(String(out.stdout).trim());
  return Number.isFinite(n) && n > 0 ? n : 1024;
}

/**
 * Asks a process started with `--inspect` to collect garbage (Chrome DevTools protocol over its websocket),
 * then reads its JS heap in use, in bytes.
 */
async function inspectorGc(wsUrl: string): Promise<number> {
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot reach the inspector at ${wsUrl}`));
  });
  const replies = new Map<number, (result: unknown) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) replies.get(msg.id)?.(msg.result);
  };
  const call = (id: number, method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      replies.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call(1, 'HeapProfiler.collectGarbage');
  const heap = (await call(2, 'Runtime.getHeapUsage')) as { usedSize?: number };
  ws.close();
  return heap.usedSize ?? NaN;
}

export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

const CLOCK_TICKS = 100;
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** CPU time (user and system, ms) of each PostgreSQL process on this machine (backends, WAL writer, ...), by pid. */
export function postgresCpu(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      byPid.set(Number(entry), readCpuMs(Number(entry)));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return byPid;
}

/**
 * What PostgreSQL spent since `before` (a `postgresCpu()`), on a machine that runs nothing else against it. A
 * connection closed meanwhile takes its time with it, so this may read a little low, never lower than zero per
 * process.
 */
export function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of postgresCpu()) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** System calls that read and that wrote so far (from /proc): each socket write or read is one. */
export function readSyscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  return { reads: field('syscr'), writes: field('syscw') };
}

/**
 * Starts a script and waits for its JSON "listening" line (with `url`). Its output goes to a file under
 * .bench/, so that reading the logs costs the benchmark nothing while it measures.
 */
async function startListening(
  label: string,
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
  timeoutMs = 60_000,
): Promise<BenchProcess> {
  mkdirSync(SCRATCH_DIR, { recursive: true });
  const logFile = join(SCRATCH_DIR, `${label}-${process.pid}-${randomBytes(3).toString('hex')}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawnNode(args, { env, stdio: ['ignore', fd, fd], cwd });
  closeSync(fd);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const started = Date.now();
  let url: string | undefined;
  while (!url) {
    if (exitCode !== undefined)
      throw new Error(`${label} exited (${exitCode}) before listening:\n${readFileSync(logFile, 'utf8')}`);
    if (Date.now() - started > timeoutMs)
      throw new Error(`${label} did not start:\n${readFileSync(logFile, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      try {
        const parsed = JSON.parse(line) as { url?: string; msg?: string };
        if (parsed.url && /listening|^Phresh Live on /.test(parsed.msg ?? '')) url = parsed.url;
      } catch {
        // not JSON
      }
    }
  }
  const pid = child.pid!;
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
  return {
    async collectGarbage() {
      if (!inspector) throw new Error(`${label} was not started with --inspect`);
      return inspectorGc(inspector);
    },
    url: url.replace('localhost', '127.0.0.1'),
    pid,
    child,
    rss: () => readRss(pid),
    cpuMs: () => readCpuMs(pid),
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const BENCH_SECRET = randomBytes(32).toString('hex');

/** Environment of a benchmarked server: production defaults, except the limits a load test would trip. */
export function serverEnv(options: {
  databaseUrl: string;
  redisPrefix?: string;
  nodeId?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '0.0.0.0',
    DATABASE_URL: options.databaseUrl,
    SECRET_KEY: BENCH_SECRET,
    LOG_LEVEL: 'info',
    // One simulated user sends far more than a person would; the per-socket limit would cap the benchmark.
    SOCKET_COMMANDS_PER_SECOND: '1000000',
    LOGIN_RATE_LIMIT: '1000000',
    LOGIN_IP_RATE_LIMIT: '1000000',
    REGISTER_IP_RATE_LIMIT: '1000000',
    SOCKETS_PER_ACCOUNT: '100000',
    SHUTDOWN_GRACE_MS: '2000',
    ...(options.redisPrefix ? { REDIS_URL, REDIS_PREFIX: options.redisPrefix } : {}),
    ...(options.nodeId ? { NODE_ID: options.nodeId } : {}),
    ...options.extra,
  };
}

/** Starts `node src/main.ts` (of `root`, another checkout for before/after figures); `nodeArgs` may add e.g. `--cpu-prof`. */
export function startServer(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  label = 'server',
  root = SERVER_ROOT,
): Promise<BenchProcess> {
  return startListening(label, [...nodeArgs, 'src/main.ts'], env, root);
}

/** Starts the baseline: socket.io alone, no auth lookups; with a database, B2's raw accept too. */
export function startBareSocketIo(
  nodeArgs: string[] = [],
  databaseUrl?: string,
  env: Record<string, string> = {},
): Promise<BenchProcess> {
  return startListening('bare-socketio', [...nodeArgs, 'bench/workers/bare-socketio-server.ts'], {
    PORT: '0',
    HOST: '0.0.0.0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
}

/** Starts the REST baseline: the same first loads on `node:http` and `pg` alone (bench/workers/bare-rest-server.ts). */
export function startBareRest(databaseUrl: string, nodeArgs: string[] = []): Promise<BenchProcess> {
  return startListening('bare-rest', [...nodeArgs, 'bench/workers/bare-rest-server.ts'], {
    PORT: '0',
    HOST: '0.0.0.0',
    DATABASE_URL: databaseUrl,
    SECRET_KEY: BENCH_SECRET,
  });
}
