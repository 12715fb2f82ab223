import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Em } from '../../src/db/orm.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { requireRedis } from './services.ts';

/** A server started in this process, on a free port, with its own logs captured. */
export type TestServer = {
  url: string;
  app: App;
  db: TestDatabase;
  /** Every log line written so far, parsed. */
  logs(): Record<string, unknown>[];
  /** Runs SQL through the server's own connection (`$1`… placeholders, in order): on PostgreSQL and PGlite alike. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
};

export const TEST_SECRET = randomBytes(32).toString('hex');

/** Environment for a test server; generous limits unless a test is about them. */
export function testEnv(
  db: TestDatabase,
  extra: Record<string, string | undefined> = {},
): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    DATA_DIR: db.dataDir,
    SECRET_KEY: TEST_SECRET,
    LOG_LEVEL: 'info',
    LOGIN_RATE_LIMIT: '1000',
    LOGIN_IP_RATE_LIMIT: '100000',
    SOCKET_COMMANDS_PER_SECOND: '1000',
    SOCKETS_PER_ACCOUNT: '1000',
    REGISTER_IP_RATE_LIMIT: '100000',
    SHUTDOWN_GRACE_MS: '2000',
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Starts a server. Pass `db` to share one database between several servers (nodes);
 * `redis: true` puts it on Redis, as production does.
 */
export async function startServer(
  options: { db?: TestDatabase; redis?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase());
  const ownsDb = !options.db;
  const env = testEnv(db, {
    REDIS_URL: options.redis ? requireRedis() : undefined,
    REDIS_PREFIX: options.redis ? `phresh-test-${randomBytes(4).toString('hex')}` : undefined,
    ...options.env,
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig(env);
  const app = await createApp(config, { logger: createLogger(config.logLevel, sink) });
  const url = await app.listen(0, '127.0.0.1');
  return {
    url,
    app,
    db,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    sql: <T>(text: string, params: unknown[] = []) =>
      (app.orm.em.fork() as Em).execute<T[]>(text.replace(/\$\d+/g, '?'), params),
    async close() {
      await app.close();
      if (ownsDb) await db.drop();
    },
  };
}
