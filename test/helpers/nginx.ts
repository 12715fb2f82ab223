// nginx in front of our nodes, run from the shipped deploy/nginx.conf with the test's ports filled in.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestFrom, systemBinary, untilAnswering, type Balancer } from './balancer.ts';
import { freePort } from './private-services.ts';

const TEMPLATE = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

/** Where Debian's nginx package puts the binary, or null when it is not installed. */
export const nginxBinary = () => systemBinary('nginx');

/** Tests that need nginx run where it is installed, and fail in CI (which installs it) when it is not. */
export const canRunNginx = nginxBinary() !== null || process.env.CI === 'true';

/**
 * deploy/nginx.conf with its upstream servers and listen address replaced. Each replacement must match
 * exactly, so that a change to the shipped file that the test no longer understands fails loudly.
 */
export function configFor(nodes: string[], port: number): string {
  let text = readFileSync(TEMPLATE, 'utf8');
  const servers = text.match(/^\s*server \d+\.\d+\.\d+\.\d+:\d+ .*;$/gm) ?? [];
  if (servers.length === 0) throw new Error('deploy/nginx.conf lists no upstream server');
  const options = servers[0]!.trim().split(' ').slice(2).join(' ');
  text = text.replace(/^\s*server \d+\.\d+\.\d+\.\d+:\d+ .*;\n/gm, '');
  text = text.replace(
    /(upstream phresh_nodes \{\n(?:.*\n)*?)(\s*keepalive)/,
    (_, head: string, tail: string) =>
      head + nodes.map((n) => `    server ${n} ${options}\n`).join('') + tail.replace(/^\n/, ''),
  );
  if (!/^\s*listen 80;$/m.test(text)) throw new Error('deploy/nginx.conf does not listen on port 80');
  text = text.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
  // Only the test wants to know which node answered.
  text = text.replace(
    /^(\s*)proxy_pass /m,
    '$1add_header X-Test-Upstream $upstream_addr always;\n$1proxy_pass ',
  );
  return text;
}

/** Starts nginx (its own prefix directory under the system's temporary folder) in front of `nodeUrls`. */
export async function startNginx(nodeUrls: string[]): Promise<Balancer> {
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is not installed (CI installs it: apt-get install -y nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'phresh-nginx-'));
  const port = await freePort();
  const nodes = nodeUrls.map((u) => new URL(u).host);
  writeFileSync(join(dir, 'phresh.conf'), configFor(nodes, port));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, t)};`)
    .join('\n');
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 4096; }',
      'http {',
      '  access_log off;',
      temp,
      `  include ${join(dir, 'phresh.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    binary,
    ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = `http://127.0.0.1:${port}`;
  const { exited } = await untilAnswering('nginx', child, url, dir);
  return {
    url,
    async upstreamOf(clientAddress) {
      const res = await requestFrom(clientAddress, 'GET', `${url}/healthz`);
      const upstreams = res.headers['x-test-upstream'] ?? '';
      // After a failed try nginx lists every node it tried: the last one answered.
      return upstreams.split(',').at(-1)!.trim();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
