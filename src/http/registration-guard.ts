import type { RedisClient } from '../realtime/redis.ts';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { domainError } from '../domain/errors.ts';

/** Counts registrations per client IP, whatever their outcome; refuses with 429 past the limit. */
export type RegistrationGuard = { admit(ip: string): Promise<void> };

type Limits = { perIp: number; windowSeconds: number };

function guardWith(limiter: RateLimiterAbstract): RegistrationGuard {
  return {
    async admit(ip) {
      try {
        await limiter.consume(ip);
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        throw domainError('RATE_LIMITED', {
          headers: { 'Retry-After': String(Math.max(1, Math.ceil(e.msBeforeNext / 1000))) },
        });
      }
    },
  };
}

const memoryLimiter = (limits: Limits, keyPrefix: string) =>
  new RateLimiterMemory({ keyPrefix, points: limits.perIp, duration: limits.windowSeconds });

/** Shared by every node through Redis (one key per IP), counting in memory per node while Redis is away. */
export function redisRegistrationGuard(
  redis: RedisClient,
  limits: Limits,
  prefix: string,
): RegistrationGuard {
  const keyPrefix = `${prefix}:register:ip`;
  return guardWith(
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points: limits.perIp,
      duration: limits.windowSeconds,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memoryLimiter(limits, keyPrefix),
    }),
  );
}

/** For a single node. */
export function memoryRegistrationGuard(limits: Limits): RegistrationGuard {
  return guardWith(memoryLimiter(limits, 'register:ip'));
}
