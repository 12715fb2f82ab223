import type { RedisClient } from '../realtime/redis.ts';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { accountKey } from '../domain/account-keys.ts';
import { domainError } from '../domain/errors.ts';

/** One login attempt let through; only a failed one keeps counting against its IP and email. */
export type LoginAttempt = { succeeded(): Promise<void> };

/**
 * Counts failed logins per client IP and per email (by the accountKey the login looks the account up by, so
 * that every way of writing one address shares a count); refuses with 429 once either has used up its window. Each
 * count's window opens at its first failure, so that a burst cannot straddle a clock boundary for twice the limit.
 */
export type LoginGuard = { admit(ip: string, email: string): Promise<LoginAttempt> };

type Limits = { perEmail: number; perIp: number; windowSeconds: number };

function refuse(retryAfterMs: number): never {
  throw domainError('RATE_LIMITED', {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}

type Counters = { ip: RateLimiterAbstract; email: RateLimiterAbstract };

/**
 * Every attempt takes a point first, so that parallel guesses cannot all slip past a check before any of them
 * is counted; a successful one gives its points back.
 */
function guardWith({ ip: byIp, email: byEmail }: Counters): LoginGuard {
  return {
    async admit(ip, email) {
      const key = accountKey(email);
      try {
        await byIp.consume(ip);
        await byEmail.consume(key);
      } catch (e) {
        if (e instanceof RateLimiterRes) refuse(e.msBeforeNext);
        throw e;
      }
      return {
        async succeeded() {
          await Promise.all([byIp.reward(ip), byEmail.reward(key)]);
        },
      };
    },
  };
}

function memoryCounters(limits: Limits, keyPrefix: string): Counters {
  return {
    ip: new RateLimiterMemory({
      keyPrefix: `${keyPrefix}:ip`,
      points: limits.perIp,
      duration: limits.windowSeconds,
    }),
    email: new RateLimiterMemory({
      keyPrefix: `${keyPrefix}:email`,
      points: limits.perEmail,
      duration: limits.windowSeconds,
    }),
  };
}

/**
 * Shared by every node through Redis, so that spreading attempts over nodes does not multiply the limit. Each
 * count is one key (fine on a Redis Cluster). While Redis is unreachable each node counts in memory on its own,
 * rather than refusing every login or waiting for Redis.
 */
export function redisLoginGuard(redis: RedisClient, limits: Limits, prefix: string): LoginGuard {
  const insurance = memoryCounters(limits, `${prefix}:login`);
  const counter = (kind: 'ip' | 'email', points: number) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:login:${kind}`,
      points,
      duration: limits.windowSeconds,
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance[kind],
    });
  return guardWith({ ip: counter('ip', limits.perIp), email: counter('email', limits.perEmail) });
}

/** For a single node: the same windows, kept in memory. */
export function memoryLoginGuard(limits: Limits): LoginGuard {
  return guardWith(memoryCounters(limits, 'login'));
}
