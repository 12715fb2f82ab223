// Request/response over the IPC channel of a forked client process: the benchmark drives its client
// processes with this, so that clients never share a process (or an event loop) with a server.
import type { ChildProcess } from 'node:child_process';
import { spawnNode } from './services.ts';

type Request = { id: number; method: string; params: unknown };
type Response = { id: number; result?: unknown; error?: string };

export type WorkerClient = {
  pid: number;
  call<T = unknown>(method: string, params?: unknown): Promise<T>;
  stop(): Promise<void>;
};

/** Starts `script` as a client process and returns a typed caller for its methods. */
export async function startWorker(script: string, env: Record<string, string> = {}): Promise<WorkerClient> {
  const child: ChildProcess = spawnNode(['--max-old-space-size=8192', script], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`${script} exited with ${code}`));
      pending.clear();
      resolve();
    }),
  );
  child.on('message', (raw) => {
    const msg = raw as Response & { ready?: boolean };
    const waiter = pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id);
    if (msg.error !== undefined) waiter.reject(new Error(msg.error));
    else waiter.resolve(msg.result);
  });
  const client: WorkerClient = {
    pid: child.pid!,
    call<T>(method: string, params?: unknown) {
      if (exited) return Promise.reject(new Error(`${script} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, method, params } satisfies Request);
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
  await client.call('ping');
  return client;
}

/** The worker side: answers the parent's calls with `methods`. */
export function serveWorker(methods: Record<string, (params: any) => unknown>): void {
  process.on('message', (raw) => {
    const { id, method, params } = raw as Request;
    const fn = method === 'ping' ? () => 'pong' : methods[method];
    if (!fn) {
      process.send!({ id, error: `unknown method ${method}` } satisfies Response);
      return;
    }
    Promise.resolve()
      .then(() => fn(params))
      .then(
        (result) => process.send!({ id, result: result ?? null } satisfies Response),
        (e: unknown) =>
          process.send!({
            id,
            error: e instanceof Error ? (e.stack ?? e.message) : String(e),
          } satisfies Response),
      );
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}

/** A wall-clock time with sub-millisecond resolution that agrees across processes on one machine. */
export const wallNow = () => performance.timeOrigin + performance.now();
