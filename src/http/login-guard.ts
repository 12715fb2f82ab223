import type { Redis } from 'ioredis';
import { domainError } from '../domain/errors.ts';

/**
 * Counts login attempts per client IP and per email; refuses with 429 past the limit. Each count's window opens
 * at its first attempt, so that a burst cannot straddle a clock boundary to get twice the limit.
 */
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
      const counted = [
        { key: `${prefix}:login:ip:${ip}`, limit: limits.perIp },
        { key: `${prefix}:login:email:${emailKey(email)}`, limit: limits.perEmail },
      ];
      const batch = redis.multi();
      // SET NX starts the window with its expiry; INCR keeps the expiry. Both work on any Redis version.
      for (const { key } of counted) batch.set(key, 0, 'EX', limits.windowSeconds, 'NX').incr(key).pttl(key);
      let results: [Error | null, unknown][] | null;
      try {
        results = await batch.exec();
      } catch {
        return fallback.admit(ip, email);
      }
      if (!results || results.some(([err]) => err)) return fallback.admit(ip, email);
      counted.forEach(({ limit }, i) => {
        const count = Number(results[i * 3 + 1]![1]);
        const ttlMs = Number(results[i * 3 + 2]![1]);
        if (count > limit) refuse(ttlMs > 0 ? ttlMs / 1000 : limits.windowSeconds);
      });
    },
  };
}

/** For a single node: the same windows, kept in memory. */
export function memoryLoginGuard(limits: Limits): LoginGuard {
  const windowMs = limits.windowSeconds * 1000;
  const counts = new Map<string, { openedAt: number; n: number }>();
  /** Counts one attempt; returns the count and when its window closes. */
  const bump = (key: string, now: number) => {
    const entry = counts.get(key);
    const next =
      entry && now - entry.openedAt < windowMs ? { ...entry, n: entry.n + 1 } : { openedAt: now, n: 1 };
    counts.set(key, next);
    return { n: next.n, closesAt: next.openedAt + windowMs };
  };
  return {
    async admit(ip, email) {
      const now = Date.now();
      if (counts.size > 100_000) {
        for (const [key, entry] of counts) if (now - entry.openedAt >= windowMs) counts.delete(key);
      }
      // An address already over its limit adds no new keys, so that it cannot grow the map without bound.
      const byIp = bump(`ip:${ip}`, now);
      if (byIp.n > limits.perIp) refuse((byIp.closesAt - now) / 1000);
      const byEmail = bump(`email:${emailKey(email)}`, now);
      if (byEmail.n > limits.perEmail) refuse((byEmail.closesAt - now) / 1000);
    },
  };
}
