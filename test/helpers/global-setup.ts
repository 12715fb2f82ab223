// Finds the services the suite runs against. Locally a missing service means "run on PGlite / one node";
// in CI (CI=true) a missing service is a failure, never a silent skip.
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisReachable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string | null;
    redisUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const [hasPg, hasRedis] = await Promise.all([postgresReachable(), redisReachable()]);
  if (process.env.CI === 'true' && (!hasPg || !hasRedis)) {
    throw new Error(
      `CI needs PostgreSQL (${hasPg ? 'ok' : `unreachable at ${PG_ADMIN_URL}`}) and Redis (${hasRedis ? 'ok' : `unreachable at ${REDIS_URL}`})`,
    );
  }
  if (!hasPg)
    console.warn(`[tests] PostgreSQL is not reachable at ${PG_ADMIN_URL}: running on embedded PGlite`);
  if (!hasRedis)
    console.warn(`[tests] Redis is not reachable at ${REDIS_URL}: skipping the multi-node suites`);
  project.provide('pgAdminUrl', hasPg ? PG_ADMIN_URL : null);
  project.provide('redisUrl', hasRedis ? REDIS_URL : null);
  // Said again after the summary, on a line of its own, so that a green run without them is not mistaken
  // for a full one.
  return () => {
    if (!hasRedis)
      console.warn('[tests] ran without Redis: the multi-node suites were skipped (CI runs them)');
    if (!hasPg) {
      console.warn(
        '[tests] ran without PostgreSQL: on embedded PGlite, the PostgreSQL-only and multi-node suites skipped (CI runs them)',
      );
    }
  };
}
