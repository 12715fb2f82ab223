import type { Redis } from 'ioredis';
import { domainError } from '../domain/errors.ts';

/** Counts login attempts per client IP and per email, in fixed windows; refuses with 429 past the limit. */
export type LoginGuard = { admit(ip: string, email: string): Promise<void> };

type Limits = { perEmail: number; perIp: number; windowSeconds: number };

/** The email as the login looks it up (trimmed, any case), so that variants of one address share a count. */
function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

function refuse(retryAfterSeconds: number): never {
  throw domainError('RATE_LIMITED', {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

/**
 * Shared by every node through Redis, so that spreading attempts over nodes does not multiply the limit.
 * While Redis is unreachable each node counts on its own, rather than refusing every login.
 */
export function redisLoginGuard(redis: Redis, limits: Limits, prefix: string): LoginGuard {
  const fallback = memoryLoginGuard(limits);
  return {
    async admit(ip, email) {
      if (redis.status !== 'ready') return fallback.admit(ip, email);
      const window = Math.floor(Date.now() / 1000 / limits.windowSeconds);
      const keys = [
        `${prefix}:login:ip:${ip}:${window}`,
        `${prefix}:login:email:${emailKey(email)}:${window}`,
      ];
      let results: [Error | null, unknown][] | null;
      try {
        results = await redis
          .multi()
          .incr(keys[0]!)
          .expire(keys[0]!, limits.windowSeconds)
          .incr(keys[1]!)
          .expire(keys[1]!, limits.windowSeconds)
          .exec();
      } catch {
        return fallback.admit(ip, email);
      }
      const ipCount = Number(results?.[0]?.[1] ?? 0);
      const emailCount = Number(results?.[2]?.[1] ?? 0);
      if (ipCount > limits.perIp || emailCount > limits.perEmail) {
        refuse(limits.windowSeconds - ((Date.now() / 1000) % limits.windowSeconds));
      }
    },
  };
}

/** For a single node: the same windows, kept in memory. */
export function memoryLoginGuard(limits: Limits): LoginGuard {
  const counts = new Map<string, { window: number; n: number }>();
  const bump = (key: string, window: number) => {
    const entry = counts.get(key);
    const next = entry && entry.window === window ? { window, n: entry.n + 1 } : { window, n: 1 };
    counts.set(key, next);
    return next.n;
  };
  return {
    async admit(ip, email) {
      const window = Math.floor(Date.now() / 1000 / limits.windowSeconds);
      if (counts.size > 100_000) {
        for (const [key, entry] of counts) if (entry.window !== window) counts.delete(key);
      }
      // An address already over its limit adds no new keys, so that it cannot grow the map without bound.
      if (
        bump(`ip:${ip}`, window) > limits.perIp ||
        bump(`email:${emailKey(email)}`, window) > limits.perEmail
      ) {
        refuse(limits.windowSeconds - ((Date.now() / 1000) % limits.windowSeconds));
      }
    },
  };
}
