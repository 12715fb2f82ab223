// What the deploy tests need of any load balancer in front of our nodes: its binary from Debian's package, a
// process that answers before a test uses it, and clients that each leave from an address of their own on the
// loopback network (127.0.0.0/8), so that the balancer's address hashing spreads them as it spreads real clients.
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { until } from './wait.ts';

/** A load balancer in front of our nodes, as the deploy tests drive it. */
export type Balancer = {
  url: string;
  /** The node (its `host:port`) that the balancer sends requests from `clientAddress` to. */
  upstreamOf(clientAddress: string): Promise<string>;
  stop(): Promise<void>;
};

/** Where a Debian package puts `name`'s binary, or null when it is not installed. */
export function systemBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * Waits until the balancer `child` answers `/healthz` at `url`; when it never does, kills it, removes its
 * folder `dir` and fails with what it printed. Gives a promise of the child's exit.
 */
export async function untilAnswering(name: string, child: ChildProcess, url: string, dir: string) {
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200;
      },
      20_000,
      `${name} answering`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${name} did not start: ${stderr}`, { cause: err });
  }
  return { exited };
}

/** An HTTP agent whose connections leave from `address`, for socket.io clients and REST calls alike. */
export function agentFrom(address: string): Agent {
  return new Agent({ localAddress: address, keepAlive: true });
}

/** One REST call from `address`. */
export function requestFrom(
  address: string,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: options.headers, localAddress: address }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
