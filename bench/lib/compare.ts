// `npm run bench -- --compare BASE_REF --only B1,B5`: the chosen scenarios against a checkout of BASE_REF and
// against this working tree, in alternating runs (base, tree, tree, base, ...), and each row's ratio. The bench
// itself (scenarios, baselines, clients) is this tree's in both; only the server under test differs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { say, table, type Row } from './report.ts';
import { median } from './stats.ts';
import { ROOT, SCRATCH_DIR, spawnNode } from './services.ts';

/** A change that costs more than this on a row is flagged. */
const WARN_SHARE = 0.05;

function git(args: string[], cwd = ROOT): string {
  const out = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`git ${args.join(' ')}: ${out.stderr.trim()}`);
  return out.stdout.trim();
}

/** A detached worktree of `ref` under the scratch dir, sharing this tree's node_modules. */
function checkout(ref: string): { dir: string; commit: string; remove(): void } {
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = join(SCRATCH_DIR, `compare-${commit.slice(0, 12)}`);
  if (existsSync(dir)) git(['worktree', 'remove', '--force', dir]);
  git(['worktree', 'add', '--detach', dir, commit]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return {
    dir,
    commit,
    remove() {
      rmSync(join(dir, 'node_modules'));
      git(['worktree', 'remove', '--force', dir]);
    },
  };
}

/** Three significant digits: per-command CPU is a fraction of a millisecond, throughput thousands. */
const figure = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/**
 * One `--only` run of this tree's bench against the server code in `serverRoot`: its rows, and the scenarios that
 * failed (a scenario that fails against one side is reported, and the others still compared).
 */
async function runOnce(
  serverRoot: string,
  only: string,
  quick: boolean,
): Promise<{ rows: Row[]; failed: string[] }> {
  const resultsFile = join(SCRATCH_DIR, 'results.json');
  rmSync(resultsFile, { force: true });
  const child = spawnNode(['bench/run.ts', '--only', only, '--no-profile', ...(quick ? ['--quick'] : [])], {
    env: { ...process.env, BENCH_SERVER_ROOT: serverRoot } as Record<string, string>,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (!existsSync(resultsFile)) throw new Error(`bench run against ${serverRoot} failed (${code})`);
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
    results: { id: string; rows: Row[]; failed?: boolean }[];
  };
  return {
    rows: results.results.filter((r) => !r.failed).flatMap((r) => r.rows),
    failed: results.results.filter((r) => r.failed).map((r) => r.id),
  };
}

export async function compare(
  baseRef: string,
  only: string,
  quick: boolean,
  rounds: number,
): Promise<{ lines: string[]; failures: string[] }> {
  const base = checkout(baseRef);
  const failures: string[] = [];
  const figures = new Map<string, { base: number[]; tree: number[]; higherIsBetter: boolean }>();
  try {
    for (let i = 0; i < rounds; i++) {
      // base, tree, tree, base, ...: neither side always runs on a fresher (or more loaded) machine.
      const order: ('base' | 'tree')[] = i % 2 === 0 ? ['base', 'tree'] : ['tree', 'base'];
      for (const side of order) {
        say(`compare: round ${i + 1} of ${rounds}, ${side === 'base' ? baseRef : 'working tree'}`);
        const run = await runOnce(side === 'base' ? base.dir : ROOT, only, quick);
        for (const id of run.failed)
          failures.push(
            `${id} failed against ${side === 'base' ? baseRef : 'the working tree'} in round ${i + 1}`,
          );
        for (const row of run.rows) {
          if (!row.measure || !Number.isFinite(row.measure.value)) continue;
          const record = (key: string, value: number) => {
            const f = figures.get(key) ?? { base: [], tree: [], higherIsBetter: row.measure!.higherIsBetter };
            f[side].push(value);
            figures.set(key, f);
          };
          record(`${row.scenario}: ${row.metric}`, row.measure.value);
          if (row.measure.ofBaseline !== undefined && Number.isFinite(row.measure.ofBaseline))
            record(`${row.scenario}: ${row.metric}, ÷ its baseline`, row.measure.ofBaseline);
        }
      }
    }
  } finally {
    base.remove();
  }
  const rows = [...figures].map(([key, f]) => {
    const b = median(f.base);
    const t = median(f.tree);
    const cost = f.higherIsBetter ? b / t - 1 : t / b - 1;
    if (!Number.isFinite(b) || !Number.isFinite(t))
      return [
        key,
        f.base.length ? figure(b) : '—',
        f.tree.length ? figure(t) : '—',
        '—',
        'not measured on both',
      ];
    return [
      key,
      figure(b),
      figure(t),
      `${(t / b).toFixed(2)}×`,
      cost > WARN_SHARE ? `⚠ costs ${(cost * 100).toFixed(0)} %` : 'ok',
    ];
  });
  const lines = [
    `Working tree vs ${baseRef} (${base.commit.slice(0, 12)}), ${rounds} alternating rounds of \`--only ${only}${quick ? ' --quick' : ''}\`, medians; a row is flagged when the tree is more than ${WARN_SHARE * 100} % worse.`,
    '',
    ...table([`measure (ours)`, baseRef, 'working tree', 'tree / base', 'verdict'], rows),
    ...(failures.length ? ['', `Failed (see the run's log above): ${failures.join('; ')}.`] : []),
  ];
  return { lines, failures };
}
