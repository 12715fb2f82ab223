// `npm run bench`: starts what it needs on this machine, runs B1–B9 against their baselines in the same run,
// and writes docs/BENCHMARKS.md (and .bench/results.json). `-- --only B1,B3` runs a subset (the doc is then
// written to .bench/ instead, so that a partial run never replaces the full one); `-- --quick` uses small sizes;
// `-- --compare BASE_REF [--rounds N]` runs the chosen scenarios against BASE_REF's server and this tree's,
// alternating, and prints each row's ratio (see bench/lib/compare.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import * as prettier from 'prettier';
import pg from 'pg';
import { compare } from './lib/compare.ts';
import { summariseProfile } from './lib/cpu-profile.ts';
import { say, table, type ScenarioResult } from './lib/report.ts';
import { maxOpenFiles, PG_ADMIN_URL, REDIS_URL, ROOT, SCRATCH_DIR } from './lib/services.ts';
import { runB1 } from './scenarios/b1-commands.ts';
import { runB2 } from './scenarios/b2-fanout.ts';
import { runB3 } from './scenarios/b3-connections.ts';
import { runB4 } from './scenarios/b4-two-nodes.ts';
import { runB4Fanout } from './scenarios/b4-three-nodes.ts';
import { runB5 } from './scenarios/b5-rest.ts';
import { runB7 } from './scenarios/b7-relay-cost.ts';
import { runB8 } from './scenarios/b8-redis-sharded.ts';
import { runB9 } from './scenarios/b9-nginx.ts';
import { runB6 } from './scenarios/b6-push.ts';
import { nginxBinary } from '../test/helpers/nginx.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    'no-profile': { type: 'boolean' },
    compare: { type: 'string' },
    rounds: { type: 'string' },
    variant: { type: 'string', multiple: true },
    'profile-b5': { type: 'boolean' },
  },
});

/** `--variant "label:NAME=value,NAME=value"`: B5 also measures our server so configured, side by side. */
const variants = [
  { label: 'Phresh Live', env: {} as Record<string, string> },
  ...(args.variant ?? []).map((v) => {
    const [label, settings = ''] = v.split(':');
    return {
      label: label!,
      env: Object.fromEntries(
        settings
          .split(',')
          .filter(Boolean)
          .map((kv) => kv.split('=') as [string, string]),
      ),
    };
  }),
];

if (args.compare) {
  const { lines, failures } = await compare(
    args.compare,
    (args.only ?? 'B1,B2,B3,B4,B5').toUpperCase(),
    Boolean(args.quick),
    Number(args.rounds ?? 2),
  );
  process.stdout.write(lines.join('\n') + '\n');
  process.exit(failures.length ? 1 : 0);
}
const SCENARIOS = ['B1', 'B2', 'B3', 'B4', 'B4S', 'B5', 'B6', 'B7', 'B8', 'B9'];
const only = new Set((args.only ?? SCENARIOS.join(',')).toUpperCase().split(','));
const quick = Boolean(args.quick);
const full = SCENARIOS.every((id) => only.has(id)) && !quick;

// Each socket is a file descriptor: where one process may not open 20,000 (+ its own), hold as many as it may.
const fdLimit = maxOpenFiles();
const biggest = Math.min(20_000, fdLimit - 100);

const plan = {
  B1: {
    concurrency: 32,
    reps: 3,
    durationMs: quick ? 3000 : 8000,
    warmupMs: quick ? 1000 : 3000,
    poolMax: 10,
  },
  B2: {
    sizes: quick ? [1000, 2000] : [1000, 5000, 10_000],
    offers: 1000,
    rounds: quick ? 3 : 5,
    warmupRounds: 1,
    workers: 2,
  },
  B3: {
    sizes: quick ? [2000, 4000] : [10_000, biggest],
    holdMs: quick ? 5000 : 60_000,
    workers: 2,
    samples: 3,
    ...(biggest < 20_000 && !quick ? { fdLimit } : {}),
  },
  B4: { rounds: quick ? 20 : 50, warmupRounds: 5, concurrency: 16, durationMs: quick ? 3000 : 5000, reps: 2 },
  B4S: { sizes: quick ? [1000] : [1000, 5000], rounds: quick ? 5 : 20, warmupRounds: 2 },
  B5: {
    owners: 100,
    cleaningsPerOwner: 100,
    offersPerCleaning: 10,
    cleaners: 2000,
    connections: 16,
    durationS: quick ? 2 : 4,
    warmupS: quick ? 1 : 2,
    reps: 3,
    variants,
  },
  B6: {
    rate: 200,
    durationMs: quick ? 5000 : 10_000,
    maxInFlight: 64,
    b1: {
      concurrency: 32,
      reps: 2,
      durationMs: quick ? 3000 : 6000,
      warmupMs: quick ? 1000 : 2000,
      poolMax: 10,
    },
  },
  B7: {
    offers: quick ? 300 : 2000,
    accepts: quick ? 40 : 200,
    offersPerAccept: 40,
    concurrency: 4,
    nodesEach: 3,
    inProcessAnnouncements: quick ? 20_000 : 100_000,
  },
  B8: {
    channels: 10_000,
    cases: [
      { subscribers: 1, batch: 1000 },
      { subscribers: 3, batch: 1000 },
      { subscribers: 1, batch: 1 },
      { subscribers: 3, batch: 1 },
    ],
    inFlight: 64,
    payloadBytes: 200,
    durationMs: quick ? 3000 : 10_000,
  },
  B9: {
    // The p99 of 50 rounds was their slowest, which one busy moment of the machine decided (4.3× in one run,
    // 1.03× in the next); of 300, a single slow round no longer does.
    rounds: quick ? 20 : 300,
    warmupRounds: 5,
    connections: 16,
    durationS: quick ? 2 : 4,
    reps: quick ? 2 : 4,
  },
};

async function machine(): Promise<string[]> {
  const pgClient = new pg.Client({ connectionString: PG_ADMIN_URL });
  await pgClient.connect();
  const pgVersion = (await pgClient.query<{ v: string }>("select current_setting('server_version') as v"))
    .rows[0]!.v;
  const settings = await pgClient.query<{ name: string; setting: string; unit: string | null }>(
    `select name, setting, unit from pg_settings where name in ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections')`,
  );
  await pgClient.end();
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  redis.disconnect();
  const version = (pkg: string) =>
    (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  return [
    `- CPU: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores (virtual machine); RAM ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Linux ${release()}`,
    `- Node.js ${process.versions.node}; socket.io ${version('socket.io')}, MikroORM ${version('@mikro-orm/core')}, pg ${version('pg')}, autocannon ${version('autocannon')}`,
    `- PostgreSQL ${pgVersion} on the same machine (${settings.rows.map((r) => `${r.name} ${r.setting}${r.unit ? ` × ${r.unit}` : ''}`).join(', ')}); Redis ${redisVersion} on the same machine`,
    `- Everything shares the two cores: PostgreSQL, Redis, the server processes and the client processes. The machine is shared with other work; load average at the start of the run: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}.`,
  ];
}

/** Node flags that write a CPU profile of a server into the scratch dir, read back by `profileSummary`. */
function profileArgs(label: string): string[] {
  const dir = join(SCRATCH_DIR, `profile-${label}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Self time by package and by function of each profile `profileArgs(label)` had written. */
function profileSummary(label: string, what: string): string[] {
  const dir = join(SCRATCH_DIR, `profile-${label}-${process.pid}`);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .flatMap((file, i) => {
      const s = summariseProfile(join(dir, file), 15);
      return [
        `${what}${i > 0 ? ` (server ${i + 1})` : ''}: ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s, start-up and seeding included. Self time by package:`,
        '',
        ...table(
          ['package / area', 'share of busy time'],
          s.byArea.map((a) => [a.area, `${(a.share * 100).toFixed(1)} %`]),
        ),
        '',
        'Hottest functions (self time):',
        '',
        ...table(
          ['function', 'share'],
          s.byFunction.map((f) => [`\`${f.name}\``, `${(f.share * 100).toFixed(1)} %`]),
        ),
        '',
      ];
    });
}

/** A short extra B1 pass with the server under --cpu-prof, summarised by package and by function. */
async function profileB1(): Promise<string[]> {
  const dir = join(SCRATCH_DIR, `profile-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  await runB1({ ...plan.B1, reps: 1, durationMs: 5000, warmupMs: 1000 }, [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
  ]);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return ['(no profile was written)'];
  const s = summariseProfile(join(dir, file), 12);
  return [
    `Server CPU profile of a 5 s B1 pass (\`node --cpu-prof src/main.ts\`, ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s, start-up included), self time by package:`,
    '',
    ...table(
      ['package / area', 'share of busy time'],
      s.byArea.map((a) => [a.area, `${(a.share * 100).toFixed(1)} %`]),
    ),
    '',
    'Hottest functions (self time):',
    '',
    ...table(
      ['function', 'share'],
      s.byFunction.map((f) => [`\`${f.name}\``, `${(f.share * 100).toFixed(1)} %`]),
    ),
  ];
}

// Server logs of earlier runs (REST access logs of B5 run to tens of MiB) are not kept.
if (existsSync(SCRATCH_DIR))
  for (const f of readdirSync(SCRATCH_DIR)) if (f.endsWith('.log')) rmSync(join(SCRATCH_DIR, f));

const started = Date.now();
const loadStart = loadavg();
const about = await machine();
const results: ScenarioResult[] = [];
const runners: Record<string, () => Promise<ScenarioResult>> = {
  B1: () => runB1(plan.B1),
  B2: () => runB2(plan.B2),
  B3: () => runB3(plan.B3),
  B4: () => runB4(plan.B4),
  B4S: () => runB4Fanout(plan.B4S),
  B5: () => runB5(plan.B5, args['profile-b5'] ? profileArgs('b5') : []),
  B6: () => runB6(plan.B6),
  B7: () => runB7(plan.B7),
  B8: () => runB8(plan.B8),
  B9: () => runB9(plan.B9),
};
// A run takes many minutes: what a scenario needs is checked before the first one starts.
if (only.has('B9') && !nginxBinary()) {
  say('B9 needs nginx (apt-get install -y nginx), or leave it out with --only');
  process.exit(1);
}
// One scenario that fails does not cost the others' results: it is reported, and the run exits non-zero.
const failed: string[] = [];
for (const id of SCENARIOS) {
  if (!only.has(id)) continue;
  const t0 = Date.now();
  say(`${id}: starting`);
  try {
    results.push(await runners[id]!());
    say(`${id}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } catch (err) {
    failed.push(id);
    say(`${id}: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    results.push({
      id,
      title: 'failed',
      rows: [],
      details: [`This scenario failed: ${String(err)}`],
      raw: null,
    });
  }
}
const profile = [
  ...(only.has('B1') && !args['no-profile'] ? await profileB1() : []),
  ...(args['profile-b5']
    ? profileSummary('b5', 'Server CPU profile over the B5 run (`node --cpu-prof`, every endpoint in turn)')
    : []),
];
const seconds = (Date.now() - started) / 1000;
const loadEnd = loadavg();

const improvementsFile = join(ROOT, 'bench', 'improvements.md');
const improvements = existsSync(improvementsFile)
  ? readFileSync(improvementsFile, 'utf8').trimEnd().split('\n')
  : [];
const boundsFile = join(ROOT, 'bench', 'bounds.md');
const bounds = existsSync(boundsFile) ? readFileSync(boundsFile, 'utf8').trimEnd().split('\n') : [];

const doc = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\`${quick ? ' -- --quick' : ''} on ${new Date().toISOString().slice(0, 10)}, in ${(seconds / 60).toFixed(1)} minutes. Every scenario runs against its baseline in the same run, on the same machine; clients always run in processes of their own, never in a server's. Figures are medians over repetitions after a warm-up.`,
  '',
  '## Machine',
  '',
  ...about,
  `- Load average at the end of the run: ${loadEnd.map((l) => l.toFixed(1)).join(' / ')} (start: ${loadStart.map((l) => l.toFixed(1)).join(' / ')}).`,
  '',
  '## Commands',
  '',
  '```sh',
  'npm run bench                 # everything below; writes docs/BENCHMARKS.md and .bench/results.json',
  'npm run bench -- --only B2,B3 # a subset (written to .bench/BENCHMARKS.md)',
  'npm run bench -- --quick      # small sizes, for a smoke run',
  'npm run bench -- --compare main --only B5 --quick  # this tree vs main, alternating; flags rows > 5 % worse',
  'npm run bench -- --only B5 --variant "no user cache:AUTH_USER_CACHE_MS=0"  # B5 with a second configuration alongside',
  'npm run bench -- --only B5 --profile-b5  # B5 with our server under --cpu-prof (skews its figures)',
  'npm run harness -- --url http://localhost:3000 --owners 50 --cleaners 2000 --duration 60 --json out.json',
  '```',
  '',
  'The benchmark needs PostgreSQL at 127.0.0.1:5432 (user `postgres`) and Redis at 127.0.0.1:6379 (`BENCH_PG_ADMIN_URL` and `BENCH_REDIS_URL` override them). It creates its own databases (`phresh_bench_*`) and drops them afterwards, and uses a Redis key prefix of its own. Servers are started as an operator would (`node src/main.ts`) with production defaults, except `SOCKET_COMMANDS_PER_SECOND` and the login limits, raised so that the per-user rate limits do not cap a load test, and `LOG_LEVEL=info` written to a file.',
  '',
  '## Results',
  '',
  ...table(
    ['', 'measure', 'Phresh Live', 'baseline', 'ratio', 'target', 'verdict'],
    results.flatMap((r) =>
      r.rows.map((row) => [
        row.scenario,
        row.metric,
        row.value,
        row.baseline,
        row.ratio,
        row.target,
        row.verdict === 'met' ? '✅ met' : row.verdict === 'missed' ? '❌ missed' : '',
      ]),
    ),
  ),
  '',
  ...(bounds.length ? [...bounds, ''] : []),
  ...results.flatMap((r) => [`## ${r.id}: ${r.title}`, '', ...r.details, '']),
  ...(profile.length ? ['## Where the time goes', '', ...profile, ''] : []),
  ...(improvements.length ? [...improvements, ''] : []),
].join('\n');

mkdirSync(SCRATCH_DIR, { recursive: true });
writeFileSync(
  join(SCRATCH_DIR, 'results.json'),
  JSON.stringify(
    {
      seconds,
      results: results.map((r) => ({ id: r.id, rows: r.rows, raw: r.raw, failed: failed.includes(r.id) })),
    },
    null,
    2,
  ),
);
const target =
  full && failed.length === 0 ? join(ROOT, 'docs', 'BENCHMARKS.md') : join(SCRATCH_DIR, 'BENCHMARKS.md');
mkdirSync(join(target, '..'), { recursive: true });
// The doc is committed, and `npm test` checks formatting: write it the way prettier would.
const options = (await prettier.resolveConfig(target)) ?? {};
writeFileSync(target, await prettier.format(doc, { ...options, parser: 'markdown' }));
say(`wrote ${target.replace(ROOT, '')} after ${(seconds / 60).toFixed(1)} minutes`);
if (failed.length) say(`failed: ${failed.join(', ')}`);
process.exit(failed.length ? 1 : 0);
