// `npm run bench` runs outside vitest: every module it loads must load there too (a test helper that imports
// vitest, pulled into a scenario, once broke the whole benchmark before it measured anything).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const folders = ['bench/scenarios', 'bench/lib', 'bench/harness'];
const modules = folders.flatMap((folder) =>
  readdirSync(folder)
    .filter((name) => name.endsWith('.ts') && name !== 'cli.ts')
    .map((name) => `./${folder}/${name}`),
);

describe("the benchmark's modules", () => {
  it('load in plain node, as `npm run bench` runs them', async () => {
    expect(modules.length).toBeGreaterThan(10);
    const script = `for (const m of ${JSON.stringify(modules)}) await import(m);`;
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env: { ...process.env, VITEST: '', VITEST_WORKER_ID: '', VITEST_POOL_ID: '' },
    }).catch((err: { stderr?: string; code?: number }) => {
      throw new Error(`a bench module failed to load:\n${err.stderr ?? String(err)}`);
    });
    expect(stderr).not.toMatch(/Error/);
  });
});
