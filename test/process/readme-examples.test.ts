// The README's examples, taken from the README itself and run as a reader would: the curl session in bash,
// the raw socket.io script in the same shell, and the SDK example in a scratch project outside the repository
// that installs the SDK from its packed tarball, on the machine's own Node.js and on the pinned one.
import { execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The README's fenced blocks of one language whose text contains `marker`; exactly one must match. */
function example(lang: string, marker: string): string {
  const blocks = [...README.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)]
    .filter((m) => m[1] === lang && m[2]!.includes(marker))
    .map((m) => m[2]!);
  expect(blocks, `README blocks of ${lang} with ${marker}`).toHaveLength(1);
  return blocks[0]!;
}

/** The examples talk to localhost:3000; the test's server has a port of its own. */
function pointedAt(code: string): string {
  return code.replaceAll('localhost:3000', new URL(server.url).host);
}

/** The environment of a reader's shell: no npm variables of this test run leak into it. */
function readerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('npm_')),
  ) as Record<string, string>;
  return { ...env, ...extra };
}

/** The first `node` on PATH that is not a project's pinned one: the machine's own Node.js. */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error('no Node.js on PATH outside node_modules');
}

type Run = { code: number | null; output: string };

/** Runs a command to its end, or until `until` shows in its output (then stops its whole process group). */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; until?: string },
) {
  return new Promise<Run>((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? readerEnv(), detached: true });
    let output = '';
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out:\n${output}`));
    }, 240_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (options.until && output.includes(options.until)) process.kill(-child.pid!, 'SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

let server: TestServer;
let scratch: string;

beforeAll(async () => {
  server = await startServer();
  // The scratch project lives outside the repository, so that nothing resolves from the repo's node_modules.
  scratch = mkdtempSync(join(tmpdir(), 'phresh-readme-'));
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }),
  );
  const packed = await run('npm', ['pack', '--pack-destination', scratch], { cwd: join(ROOT, 'client/sdk') });
  expect(packed.code, packed.output).toBe(0);
  const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
  expect(tarball, packed.output).toBeDefined();
  const installed = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`],
    { cwd: scratch },
  );
  expect(installed.code, installed.output).toBe(0);
}, 300_000);
afterAll(async () => {
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed SDK', () => {
  beforeAll(async () => {
    // The login of the example, as `npm run seed` makes it.
    const res = await new Api(server.url).post('/api/users/', {
      json: { new_user: { email: 'amy@example.com', username: 'amy', password: 'phresh-demo' } },
    });
    expect(res.status).toBe(201);
    writeFileSync(join(scratch, 'sdk-example.mjs'), pointedAt(example('js', "from 'phresh-live-client'")));
  });

  it('ships built JavaScript, type declarations and a changelog, and no TypeScript source', () => {
    const home = join(scratch, 'node_modules/phresh-live-client');
    const manifest = JSON.parse(readFileSync(join(home, 'package.json'), 'utf8'));
    expect(manifest.type).toBe('module');
    expect(manifest.engines.node).toBe('>=20');
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['socket.io-client', 'zod']);
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: home, encoding: 'utf8' }).split('\n');
    expect(files).toContain('./CHANGELOG.md');
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.some((f) => f.endsWith('index.d.ts'))).toBe(true);
  });

  it("type-checks a consumer's TypeScript against its declarations", () => {
    writeFileSync(
      join(scratch, 'consumer.ts'),
      `import { PhreshClient, PhreshError, type CleaningPublic } from 'phresh-live-client';\n` +
        `const client = new PhreshClient({ url: 'http://localhost:3000' });\n` +
        `export const mine: Promise<CleaningPublic[]> = client.myCleanings();\n` +
        `export const code = (e: PhreshError): string => e.code;\n` +
        `// @ts-expect-error an offer needs a cleaning id\n` +
        `void client.createOffer('42');\n`,
    );
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          lib: ['es2022', 'dom'],
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', scratch], { encoding: 'utf8' })).not.toThrow();
  }, 180_000);

  for (const [label, node] of [
    ["the machine's own Node.js", machineNode()],
    ['the pinned Node.js 24', process.execPath],
  ] as const) {
    it(`runs the README's SDK example on ${label}`, async () => {
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      const { code, output } = await run(node, ['sdk-example.mjs'], { cwd: scratch });
      expect(code, `${version}:\n${output}`).toBe(0);
      expect(output).toContain('connection: live');
      expect(output).toContain('amy has 0 offers');
      expect(output).toContain('refused: 404 CLEANING_NOT_FOUND No cleaning found with that id.');
    });
  }
});

describe('the REST and socket.io examples', () => {
  const hasCurl = (() => {
    try {
      execFileSync('curl', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  beforeAll(() => {
    writeFileSync(join(scratch, 'watch.mjs'), pointedAt(example('js', "from 'socket.io-client'")));
  });

  it.runIf(hasCurl)(
    'registers, logs in and posts a job with curl, and watches it over socket.io in the same shell',
    async () => {
      const session = `set -e\n${pointedAt(example('sh', 'export TOKEN='))}\nnode watch.mjs\n`;
      const { output } = await run('bash', ['-c', session], { cwd: scratch, until: 'at seq' });
      expect(output).toContain('"username":"serenawilliams"');
      expect(output).toContain('"name":"Spring clean"');
      expect(output).toMatch(/offers now: \[\] at seq 0/);
    },
  );

  it('says why when the handshake is refused, and exits with 1', async () => {
    const { code, output } = await run(process.execPath, ['watch.mjs'], {
      cwd: scratch,
      env: readerEnv({ TOKEN: 'not-a-token' }),
    });
    expect(output).toMatch(/^cannot connect: unauthorized \S/m);
    expect(code).toBe(1);
  });
});
