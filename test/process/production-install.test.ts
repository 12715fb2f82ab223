// The Dockerfile's steps, without a container engine: the project's files (what `COPY . .` takes, less
// .dockerignore) in a fresh folder, `npm ci --omit=dev` with NODE_ENV=production, then `npm start`. The server
// must come up on the pinned Node.js 24 and serve /readyz, /docs and the dashboard, with no dev dependency.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let folder: string;
let server: ChildProcess | undefined;
let url: string;
let startLine: Record<string, unknown>;
let installOutput = '';

/** The environment of a fresh machine's shell: none of this test run's npm or Node settings leak in. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) => v !== undefined && !k.startsWith('npm_') && k !== 'NODE_OPTIONS' && k !== 'VITEST',
    ),
  ) as Record<string, string>;
  // The machine's own npm and node first, as for a person who just cloned the project.
  env.PATH = (env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.includes('node_modules'))
    .join(':');
  return { ...env, ...extra };
}

/** The files `docker build` would copy: tracked or new, minus what .gitignore and .dockerignore leave out. */
function copyProject(into: string) {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean)
    .filter((f) => existsSync(join(ROOT, f)))
    .filter((f) => !ignored.some((pattern) => f === pattern || f.startsWith(`${pattern}/`)));
  for (const file of files) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(ROOT, file), join(into, file));
  }
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'phresh-production-'));
  copyProject(folder);
  installOutput = await new Promise<string>((resolve, reject) => {
    const child = spawn('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: folder,
      env: cleanEnv({ NODE_ENV: 'production' }),
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`npm ci failed (${code}):\n${output}`)),
    );
  });
  server = spawn('npm', ['start'], {
    cwd: folder,
    env: cleanEnv({ NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1' }),
    detached: true,
  });
  let output = '';
  startLine = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line:\n${output}`)), 120_000);
    server!.stdout!.on('data', (chunk) => {
      output += chunk;
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (String(parsed.msg).startsWith('Phresh Live on ')) {
          clearTimeout(timer);
          resolve(parsed);
        }
      }
    });
    server!.stderr!.on('data', (chunk) => (output += chunk));
    server!.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  url = String(startLine.url).replace('localhost', '127.0.0.1');
}, 600_000);

afterAll(() => {
  if (server?.pid) process.kill(-server.pid, 'SIGKILL');
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('a production install (npm ci --omit=dev && npm start)', () => {
  it('installs without dev dependencies and without a wall of warnings', () => {
    for (const dev of ['vitest', 'typescript', 'prettier', 'playwright-core', '@sparticuz/chromium']) {
      expect(existsSync(join(folder, 'node_modules', dev)), dev).toBe(false);
    }
    expect(installOutput).not.toMatch(/EBADENGINE|npm warn/i);
  });

  it('runs on the pinned Node.js 24, whatever Node.js ran npm', () => {
    expect(startLine.runtime).toMatch(/^node v24\./);
    expect(startLine.msg).toMatch(/dashboard at \/, API docs at \/docs, data in \.\/data$/);
  });

  it('serves /readyz, /docs and the built dashboard', async () => {
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const docs = await fetch(`${url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    const dashboard = await fetch(`${url}/`);
    expect(dashboard.status).toBe(200);
    const html = await dashboard.text();
    const script = /<script type="module"[^>]* src="(\/assets\/[\w.-]+\.js)"/.exec(html);
    expect(script, html).not.toBeNull();
    expect((await fetch(`${url}${script![1]}`)).status).toBe(200);
  });

  it("passes the Dockerfile's health check", () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const check = /HEALTHCHECK [^\n]*\\\n\s*CMD node -e "([^\n]+)"\n/.exec(dockerfile);
    expect(check, 'a HEALTHCHECK that runs node -e "..."').not.toBeNull();
    const port = new URL(url).port;
    expect(() =>
      execFileSync(process.execPath, ['-e', check![1]!], { env: cleanEnv({ PORT: port }), timeout: 30_000 }),
    ).not.toThrow();
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["npm", "start"\]$/m);
  });
});
