import { inject } from 'vitest';

/** The PostgreSQL admin URL, or null when the suite runs on PGlite. */
export const pgAdminUrl = inject('pgAdminUrl');
/** The Redis URL, or null when Redis is not reachable (only outside CI). */
export const redisUrl = inject('redisUrl');

/** Fails the calling test clearly when it needs a service that is not there. */
export function requireRedis(): string {
  if (!redisUrl) throw new Error('this test needs Redis at 127.0.0.1:6379');
  return redisUrl;
}
export function requirePostgres(): string {
  if (!pgAdminUrl) throw new Error('this test needs PostgreSQL at 127.0.0.1:5432');
  return pgAdminUrl;
}

/**
 * Several real nodes need PostgreSQL and Redis. In CI both are guaranteed (global setup fails otherwise);
 * on a developer machine without them, those suites are skipped, and the run says so after its summary.
 */
export const canRunCluster = Boolean(pgAdminUrl && redisUrl);
