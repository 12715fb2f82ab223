// Every authenticated request and handshake resolves its token's username to an account. This node keeps what
// it read for a few seconds, so that a busy client costs one lookup per TTL instead of one per request. What a
// cached account may outlive is bounded: a deactivation evicts it on the node that made it at once, on every
// other node when that node hears the deactivation's `session:closed` notice, and in any case after the TTL.

import type { Account } from '../db/queries/users.ts';

export type AuthUserCache = {
  /** The account last read for this token username, if read less than the TTL ago and not evicted since. */
  get(username: string): Account | undefined;
  /**
   * A lookup's result, with the mark taken before it read (`mark()`): a lookup that raced an eviction (it may
   * have read the row before the deactivation committed) is not kept.
   */
  set(username: string, user: Account, mark: number): void;
  /** Call before reading an account that may be kept. */
  mark(): number;
  /** Forgets the account everywhere on this node (it was deactivated or changed). */
  evict(userId: number): void;
};

/** At most this many accounts are kept; the oldest go first. */
const MAX_ENTRIES = 50_000;

export function createAuthUserCache(ttlMs: number, now: () => number = Date.now): AuthUserCache {
  const entries = new Map<string, { user: Account; until: number }>();
  let evictions = 0;
  return {
    get(username) {
      if (ttlMs <= 0) return undefined;
      const entry = entries.get(username);
      if (!entry) return undefined;
      if (entry.until > now()) return entry.user;
      entries.delete(username);
      return undefined;
    },
    set(username, user, mark) {
      if (ttlMs <= 0 || mark !== evictions) return;
      entries.delete(username);
      entries.set(username, { user, until: now() + ttlMs });
      if (entries.size > MAX_ENTRIES) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    mark: () => evictions,
    evict(userId) {
      evictions++;
      for (const [username, entry] of entries) if (entry.user.id === userId) entries.delete(username);
    },
  };
}
