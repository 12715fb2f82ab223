// `npm run harness -- --url http://localhost:3000 --owners 50 --cleaners 2000 --duration 60 [--json out.json]`
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runHarness, type HarnessResult, type Progress } from './harness.ts';

const USAGE = `Phresh Live load harness: simulated owners and cleaners against a running server.

  npm run harness -- [options]

  --url URL            server to load (default ${DEFAULT_OPTIONS.url})
  --owners N           simulated owners (default ${DEFAULT_OPTIONS.owners})
  --cleaners N         simulated cleaners (default ${DEFAULT_OPTIONS.cleaners})
  --duration S         seconds of load once everyone is connected (default ${DEFAULT_OPTIONS.duration})
  --think MS           mean pause of each person between actions (default ${DEFAULT_OPTIONS.thinkMs})
  --jobs N             jobs each owner posts before the load (default ${DEFAULT_OPTIONS.jobsPerOwner})
  --concurrency N      registrations and checks in flight at once (default ${DEFAULT_OPTIONS.setupConcurrency})
  --seed N             seed of the random choices (default ${DEFAULT_OPTIONS.seed})
  --json FILE          also write the full result as JSON
  --help

Every user registers over REST (so the server's registration and login limits apply), connects over
socket.io and runs a mix of: post jobs, offer, accept, cancel, rescind, reconnect-and-resubscribe. At the end
every client's folded events are compared with the server's state and its durable log. Exit code 0 means
no errors and no violations; 1 means the check failed; 2 means bad arguments.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      url: { type: 'string' },
      owners: { type: 'string' },
      cleaners: { type: 'string' },
      duration: { type: 'string' },
      think: { type: 'string' },
      jobs: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (parsed.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const int = (name: string, value: string | undefined, fallback: number, min = 0) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}`);
  return n;
};
const options = {
  url: parsed.url ?? DEFAULT_OPTIONS.url,
  owners: int('owners', parsed.owners, DEFAULT_OPTIONS.owners, 1),
  cleaners: int('cleaners', parsed.cleaners, DEFAULT_OPTIONS.cleaners, 1),
  duration: int('duration', parsed.duration, DEFAULT_OPTIONS.duration, 1),
  thinkMs: int('think', parsed.think, DEFAULT_OPTIONS.thinkMs, 0),
  jobsPerOwner: int('jobs', parsed.jobs, DEFAULT_OPTIONS.jobsPerOwner, 1),
  setupConcurrency: int('concurrency', parsed.concurrency, DEFAULT_OPTIONS.setupConcurrency, 1),
  seed: int('seed', parsed.seed, DEFAULT_OPTIONS.seed),
};
try {
  new URL(options.url);
} catch {
  fail(`--url is not a URL: ${options.url}`);
}

const tty = process.stderr.isTTY;
const f = (v: number) => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
function progress(p: Progress) {
  const head = `[${p.elapsedS.toFixed(0).padStart(4)}s] ${p.phase.padEnd(8)}`;
  const line =
    p.phase === 'load' || p.phase === 'settle'
      ? `${head} ops/s ${String(p.opsPerSec).padStart(5)}  p50 ${f(p.p50).padStart(5)} ms  p99 ${f(p.p99).padStart(5)} ms  pushes ${p.pushes}  errors ${p.errors}`
      : `${head} ${p.done ?? 0}/${p.total ?? 0}  ops/s ${p.opsPerSec}  pushes ${p.pushes}  errors ${p.errors}`;
  process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
}

function summary(r: HarnessResult): string {
  const rows = [
    ['command', 'count', 'ok', 'refused', 'errors', 'p50 ms', 'p99 ms', 'max ms'],
    ...r.commands.map((c) =>
      [c.command, c.count, c.ok, c.refused, c.errors, f(c.p50), f(c.p99), f(c.max)].map(String),
    ),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [
    '',
    `${r.options.owners} owners, ${r.options.cleaners} cleaners against ${r.options.url}: ${r.ops} commands in ${r.loadSeconds.toFixed(1)} s (${r.opsPerSec.toFixed(1)} ops/s), ${r.pushes} pushes received, ${r.errors} errors`,
    '("refused" = a 4xx answer, e.g. a race lost to another user: part of a realistic mix, not a failure)',
    '',
    ...lines,
    '',
    `correctness: ${r.checked.clientViews} client views of ${r.checked.cleanings} cleanings checked against the server (${r.checked.events} log events): ${
      r.violations.length === 0
        ? 'every view matches, nothing out of order, nothing missing'
        : `${r.violations.length} violations`
    }`,
    ...r.violations
      .slice(0, 20)
      .map((v) => `  ${v.kind}: ${v.user} on cleaning ${v.cleaningId}: ${v.detail}`),
    r.correct ? 'PASS' : 'FAIL',
  ].join('\n');
}

try {
  const result = await runHarness(options, progress);
  if (tty) process.stderr.write('\n');
  process.stdout.write(summary(result) + '\n');
  if (parsed.json) writeFileSync(parsed.json, JSON.stringify(result, null, 2) + '\n');
  process.exit(result.correct ? 0 : 1);
} catch (e) {
  if (tty) process.stderr.write('\n');
  const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : '';
  process.stderr.write(`harness failed: ${e instanceof Error ? e.message : String(e)}${cause}\n`);
  process.exit(1);
}
