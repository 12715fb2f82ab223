// HAProxy in front of our nodes, run from the shipped deploy/haproxy.cfg with the test's ports filled in. Clients
// come from addresses of their own on the loopback network (see ./balancer.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestFrom, systemBinary, untilAnswering, type Balancer } from './balancer.ts';
import { freePort } from './private-services.ts';

const TEMPLATE = fileURLToPath(new URL('../../deploy/haproxy.cfg', import.meta.url));

/** Where Debian's haproxy package puts the binary, or null when it is not installed. */
export const haproxyBinary = () => systemBinary('haproxy');

/** Tests that need HAProxy run where it is installed, and fail in CI (which installs it) when it is not. */
export const canRunHaproxy = haproxyBinary() !== null || process.env.CI === 'true';

/**
 * deploy/haproxy.cfg with its servers and bind address replaced. Each replacement must match exactly, so that
 * a change to the shipped file that the test no longer understands fails loudly.
 */
export function haproxyConfigFor(nodes: string[], port: number): string {
  let text = readFileSync(TEMPLATE, 'utf8');
  const servers = text.match(/^\s*server \S+ \d+\.\d+\.\d+\.\d+:\d+ .*$/gm) ?? [];
  if (servers.length === 0) throw new Error('deploy/haproxy.cfg lists no server');
  const indent = /^\s*/.exec(servers[0]!)![0];
  text = text.replace(/^\s*server \S+ \d+\.\d+\.\d+\.\d+:\d+ .*\n/gm, '');
  const at = text.indexOf('backend phresh_nodes\n');
  if (at < 0) throw new Error('deploy/haproxy.cfg has no backend phresh_nodes');
  const lines = nodes.map((n, i) => `${indent}server node${i + 1} ${n} cookie node${i + 1}\n`).join('');
  // Only the test wants to know which node answered.
  const probe = `${indent}http-response set-header X-Test-Upstream %si:%sp\n`;
  text = text.trimEnd() + '\n' + probe + lines;
  if (!/^\s*bind :80$/m.test(text)) throw new Error('deploy/haproxy.cfg does not bind port 80');
  text = text.replace(/^(\s*)bind :80$/m, `$1bind 127.0.0.1:${port}`);
  // The test's process may open fewer files than the shipped maxconn asks for.
  return text.replace(/^(\s*)maxconn \d+$/m, '$1maxconn 4096');
}

/** Starts HAProxy in the foreground in front of `nodeUrls`. */
export async function startHaproxy(nodeUrls: string[]): Promise<Balancer> {
  const binary = haproxyBinary();
  if (!binary) throw new Error('haproxy is not installed (CI installs it: apt-get install -y haproxy)');
  const dir = mkdtempSync(join(tmpdir(), 'phresh-haproxy-'));
  const port = await freePort();
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(
    file,
    haproxyConfigFor(
      nodeUrls.map((u) => new URL(u).host),
      port,
    ),
  );
  const child: ChildProcess = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://127.0.0.1:${port}`;
  const { exited } = await untilAnswering('haproxy', child, url, dir);
  return {
    url,
    async upstreamOf(clientAddress) {
      const res = await requestFrom(clientAddress, 'GET', `${url}/healthz`);
      return res.headers['x-test-upstream'] ?? '';
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGUSR1');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
