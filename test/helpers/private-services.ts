// PostgreSQL and Redis instances of a test's own, on their own ports, so that fault tests can stop, kill
// and restart them without disturbing anything else running on the machine.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort() : [];
  const version = versions.at(-1);
  if (!version) throw new Error('PostgreSQL server binaries are not installed under /usr/lib/postgresql');
  return join(root, version, 'bin', name);
}

/** Runs a PostgreSQL binary as the postgres user when we are root (the server refuses to run as root). */
function asPostgres(bin: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args];
}

function run(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export type PrivatePostgres = {
  /** Admin URL (database `postgres`). */
  adminUrl: string;
  port: number;
  start(): Promise<void>;
  /** A fast shutdown: clients are disconnected at once. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
};

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'phresh-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(run(['id', '-u', 'postgres']).trim());
    const gid = Number(run(['id', '-g', 'postgres']).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run(
    asPostgres(postgresBin('initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]),
  );
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const pgCtl = (args: string[]) =>
    run(asPostgres(postgresBin('pg_ctl'), ['-D', data, '-l', join(dir, 'log'), ...args]));
  const instance: PrivatePostgres = {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      pgCtl(['-o', options, '-w', 'start']);
    },
    async stop() {
      pgCtl(['-m', 'fast', '-w', 'stop']);
    },
    async destroy() {
      try {
        pgCtl(['-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}

export type PrivateRedis = { url: string; start(): Promise<void>; stop(): Promise<void> };

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const instance: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      for (let i = 0; i < 100; i++) {
        try {
          run(['redis-cli', '-p', String(port), 'ping']);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error('private redis did not start');
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
  await instance.start();
  return instance;
}

/** One master of a private Redis Cluster, which a test may stop and start again on the same ports. */
export type ClusterMaster = { port: number; start(): Promise<void>; stop(): Promise<void> };

export type PrivateRedisCluster = {
  /** `host:port,host:port,...`, as REDIS_CLUSTER_NODES takes it. */
  nodes: string;
  masters: ClusterMaster[];
  /** Runs redis-cli against one master and returns its output. */
  cli(port: number, ...args: string[]): string;
  /** Waits until every master reports the cluster healthy. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
};

/**
 * A Redis Cluster of `size` masters without replicas, each in its own directory under the system's temporary
 * folder (removed by `destroy`). A master that is down leaves only its own slots unserved, so that a test can
 * restart one and watch the others keep working.
 */
export async function startPrivateRedisCluster(size = 3): Promise<PrivateRedisCluster> {
  const root = mkdtempSync(join(tmpdir(), 'phresh-redis-cluster-'));
  const cli = (port: number, ...args: string[]) => run(['redis-cli', '-p', String(port), ...args]);
  const masters: Array<ClusterMaster & { child?: ChildProcess }> = [];
  for (let i = 0; i < size; i++) {
    const port = await freePort();
    const busPort = await freePort();
    const dir = join(root, String(i));
    mkdirSync(dir);
    const master: ClusterMaster & { child?: ChildProcess } = {
      port,
      async start() {
        master.child = spawn(
          'redis-server',
          [
            ...['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1'],
            ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--dir', dir],
            ...['--cluster-node-timeout', '2000', '--cluster-require-full-coverage', 'no'],
            ...['--save', '', '--appendonly', 'no'],
          ],
          { stdio: 'ignore' },
        );
        for (let attempt = 0; attempt < 100; attempt++) {
          try {
            cli(port, 'ping');
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        throw new Error(`redis cluster master on ${port} did not start`);
      },
      async stop() {
        const c = master.child;
        master.child = undefined;
        if (!c || c.exitCode !== null) return;
        await new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        });
      },
    };
    masters.push(master);
  }
  const cluster: PrivateRedisCluster = {
    nodes: masters.map((m) => `127.0.0.1:${m.port}`).join(','),
    masters,
    cli,
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const healthy = masters.every((m) => {
          try {
            return cli(m.port, 'cluster', 'info').includes('cluster_state:ok');
          } catch {
            return false;
          }
        });
        if (healthy) return;
        if (Date.now() > deadline) throw new Error('the redis cluster did not become healthy');
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async destroy() {
      await Promise.all(masters.map((m) => m.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(masters.map((m) => m.start()));
    run([
      'redis-cli',
      '--cluster',
      'create',
      ...masters.map((m) => `127.0.0.1:${m.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await cluster.waitHealthy();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}

/** Debian's pgbouncer binary, or null when it is not installed. */
export function pgbouncerBinary(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin')) {
    if (dir && existsSync(join(dir, 'pgbouncer'))) return join(dir, 'pgbouncer');
  }
  return null;
}

export type PrivatePgbouncer = {
  /** The URL of `database` through the pooler. */
  urlFor(database: string): string;
  /** Runs one statement on PgBouncer's admin console (SHOW STATS, SHOW POOLS...). */
  admin(statement: string): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
};

/**
 * PgBouncer in transaction mode in front of the PostgreSQL at `upstream` (host:port), with fewer server
 * connections than clients, so that consecutive transactions of one client run on different server sessions:
 * anything that relies on session state (a prepared statement, a SET, an advisory lock, a LISTEN) breaks.
 */
export async function startPrivatePgbouncer(upstream: {
  host: string;
  port: number;
}): Promise<PrivatePgbouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error('pgbouncer is not installed (CI installs it: apt-get install -y pgbouncer)');
  const dir = mkdtempSync(join(tmpdir(), 'phresh-pgbouncer-'));
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      // The server's statement timeouts, which a transaction-mode pooler cannot take at connection start.
      `* = host=${upstream.host} port=${upstream.port} connect_query='SET statement_timeout = 15000; SET lock_timeout = 3000; SET idle_in_transaction_session_timeout = 5000'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'admin_users = postgres',
      'pool_mode = transaction',
      'default_pool_size = 4',
      'max_client_conn = 500',
      'ignore_startup_parameters = statement_timeout, lock_timeout, idle_in_transaction_session_timeout',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  if (process.getuid?.() === 0) {
    const uid = Number(run(['id', '-u', 'postgres']).trim());
    const gid = Number(run(['id', '-g', 'postgres']).trim());
    for (const file of [dir, ini, join(dir, 'users.txt')]) chownSync(file, uid, gid);
  }
  // PgBouncer refuses to run as root.
  const child = spawn(binary, process.getuid?.() === 0 ? ['-u', 'postgres', ini] : [ini], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const admin = async (statement: string) => {
    // The admin console speaks the simple query protocol only, which pg uses for a query without values.
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/pgbouncer` });
    await client.connect();
    try {
      return (await client.query(statement)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await admin('SHOW VERSION');
      break;
    } catch (err) {
      if (child.exitCode !== null || attempt > 100) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`pgbouncer did not start: ${stderr}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    admin,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
