import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from './wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A real server process (`node src/main.ts`), as an operator would run it. */
export type ServerProcess = {
  url: string;
  child: ChildProcess;
  /** Log lines so far, parsed when they are JSON. */
  logs(): Array<Record<string, unknown>>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process dies without any cleanup. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
};

/**
 * Starts `node src/main.ts` (or another `entry`, such as the fault node) with exactly `env` (plus PATH/HOME)
 * and waits for its "Phresh Live on <url>" line. PGlite alone may take half a minute to start on a loaded
 * machine, so the wait stays just under the hook timeout.
 */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 55_000,
  entry = 'src/main.ts',
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${lines.join('\n')}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        try {
          const parsed = JSON.parse(line) as { url?: string; msg?: string };
          if (parsed.url && parsed.msg?.startsWith('Phresh Live on ')) {
            clearTimeout(timer);
            resolve(parsed.url);
          }
        } catch {
          // not JSON (a stack trace, or the config error line)
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${lines.join('\n')}\n${buffered}`));
    });
  });
  return {
    url: url.replace('localhost', '127.0.0.1'),
    child,
    logs: () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}

/** Runs `node src/main.ts` expecting it to fail at start; resolves with its exit code and output. */
export function runToFailure(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The entry of a server node with a fault hook (see fault-node.ts), for `startServerProcess`. */
export const FAULT_NODE = 'test/helpers/fault-node.ts';

/** Arms a fault node: its next commit kills it. */
export async function armFault(node: ServerProcess): Promise<void> {
  node.child.kill('SIGUSR2');
  await until(async () => node.logs().some((l) => String(l.msg).startsWith('fault armed')), 10_000, 'armed');
}
