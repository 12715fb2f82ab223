// A newcomer's first run, in a folder of their own: the settings file, `npm run seed`, then `npm start` on a
// terminal, whose first lines must say where everything is, in words rather than JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES, withDotEnv } from '../../src/config.ts';
import { ensureDashboardBuilt } from '../browser/dashboard-build.ts';
import { Api } from '../helpers/api.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let folder: string;
let server: ChildProcess | undefined;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'phresh-first-run-'));
  await ensureDashboardBuilt();
});
afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

/** Runs one of the project's scripts from `cwd`, as `npm run` would, and collects its output. */
function runScript(script: string, cwd: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, script)], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

function exampleSettings(): Array<{ name: string; value: string; commented: boolean }> {
  return readFileSync(join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .flatMap((line) => {
      const m = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      return m ? [{ name: m[2]!, value: m[3]!, commented: Boolean(m[1]) }] : [];
    });
}

describe('.env.example', () => {
  it('lists every setting the server reads, once', () => {
    const names = exampleSettings().map((s) => s.name);
    expect([...names].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it('gives each setting its real default, and leaves commented those that have none', () => {
    const settings = exampleSettings();
    const active = Object.fromEntries(settings.filter((s) => !s.commented).map((s) => [s.name, s.value]));
    // Same data folder and secret on both sides, so that nothing is written outside the scratch folder.
    const fixed = { DATA_DIR: join(folder, 'data'), SECRET_KEY: 'x'.repeat(32), NODE_ID: 'n' };
    const withExample = loadConfig({ ...active, ...fixed }, false);
    const withNothing = loadConfig(fixed, false);
    expect(withExample).toEqual(withNothing);
    expect(active.DATA_DIR).toBe('./data');
    // Exactly the settings without a default are commented out, with an example value.
    expect(settings.filter((s) => s.commented).map((s) => s.name)).toEqual([
      'DATABASE_URL',
      'DATABASE_LISTEN_URL',
      'REDIS_URL',
      'REDIS_CLUSTER_NODES',
      'SECRET_KEY',
      'METRICS_PORT',
      'NODE_ID',
      'VAPID_PUBLIC_KEY',
      'VAPID_PRIVATE_KEY',
      'VAPID_SUBJECT',
    ]);
  });

  it('is read from .env in the working directory, below the real environment', () => {
    const file = join(folder, 'example.env');
    writeFileSync(file, 'PORT=4100\nLOG_LEVEL=debug\n');
    expect(withDotEnv({ LOG_LEVEL: 'warn' }, file)).toMatchObject({ PORT: '4100', LOG_LEVEL: 'warn' });
    expect(withDotEnv({ LOG_LEVEL: 'warn' }, join(folder, 'missing.env'))).toEqual({ LOG_LEVEL: 'warn' });
  });
});

describe('npm run seed, then npm start on a terminal', () => {
  let url: string;

  it('adds demo accounts and jobs to the embedded database, and prints the logins', async () => {
    const { code, output } = await runScript('src/seed.ts', folder);
    expect(code, output).toBe(0);
    expect(output).toContain('Demo data added to');
    expect(output).toContain('with password "phresh-demo"');
    for (const email of ['olivia@example.com', 'amy@example.com', 'ben@example.com', 'carla@example.com']) {
      expect(output).toContain(email);
    }
  }, 180_000);

  it('prints one readable start-up line that says where the dashboard, the docs and the data are', async () => {
    server = spawn(process.execPath, [join(ROOT, 'src/main.ts')], {
      cwd: folder,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_FORMAT: 'pretty' },
    });
    let output = '';
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line:\n${output}`)), 90_000);
      server!.stdout!.on('data', (chunk) => {
        output += chunk;
        const found = output.split('\n').find((l) => l.includes('Phresh Live on'));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      server!.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toMatch(
      /INFO: Phresh Live on (http:\/\/localhost:\d+), dashboard at \/, API docs at \/docs, data in \.\/data$/,
    );
    url = /(http:\/\/localhost:\d+)/.exec(line)![1]!.replace('localhost', '127.0.0.1');
    expect(output).not.toMatch(/^\{/m);
  }, 120_000);

  it('serves the demo data: every offer state, and each demo login works', async () => {
    const login = async (email: string) => {
      const res = await new Api(url).post('/api/users/login/token/', {
        form: { username: email, password: 'phresh-demo' },
      });
      expect(res.status).toBe(200);
      return new Api(url, res.body.access_token as string);
    };
    const owner = await login('olivia@example.com');
    const jobs = (await owner.get('/api/cleanings/')).body as Array<{ id: number; name: string }>;
    expect(jobs).toHaveLength(5);
    const statuses = new Set<string>();
    for (const job of jobs) {
      const offers = (await owner.get(`/api/cleanings/${job.id}/offers/`)).body as Array<{ status: string }>;
      for (const offer of offers) statuses.add(offer.status);
    }
    expect([...statuses].sort()).toEqual(['accepted', 'cancelled', 'pending', 'rejected']);
    const amy = await login('amy@example.com');
    expect((await amy.get('/api/users/me/offers/')).body).toHaveLength(2);
    await login('ben@example.com');
    await login('carla@example.com');
  });

  it('changes nothing when run again', async () => {
    server!.kill('SIGTERM');
    await new Promise((resolve) => server!.once('exit', resolve));
    server = undefined;
    const { code, output } = await runScript('src/seed.ts', folder);
    expect(code, output).toBe(0);
    expect(output).toContain('Demo data is already in');
  }, 120_000);
});

describe('LOG_FORMAT', () => {
  it('is readable lines on a terminal and JSON anywhere else, unless set', () => {
    const env = { DATA_DIR: join(folder, 'data') };
    expect(loadConfig(env, true).logFormat).toBe('pretty');
    expect(loadConfig(env, false).logFormat).toBe('json');
    expect(loadConfig({ ...env, LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(loadConfig({ ...env, LOG_FORMAT: 'pretty' }, false).logFormat).toBe('pretty');
  });
});
