// The VAPID `Authorization` header (RFC 8292), signed once per push service and reused: an ES256 signature per
// notification was the largest part of a send's CPU, and a push service accepts the same JWT until its `exp`.
import webpush from 'web-push';
import type { VapidKeys } from '../config.ts';

/** A token is signed to expire this long after it is made (RFC 8292 allows at most 24 hours). */
export const VAPID_TOKEN_SECONDS = 12 * 3600;
/** A token is replaced once less than this is left of it, so that none nears its `exp` in flight or in a retry. */
export const VAPID_RENEW_SECONDS = 3600;
/** Tokens kept at most (one per push-service origin); past this the cache starts again from empty. */
const MAX_AUDIENCES = 1000;

export type VapidAuthorizer = {
  /** `vapid t=…, k=…` for requests to `audience` (a push service's origin), valid at least another hour. */
  authorization(audience: string): string;
};

export function createVapidAuthorizer(vapid: VapidKeys, now: () => number = Date.now): VapidAuthorizer {
  const tokens = new Map<string, { header: string; renewAt: number }>();
  return {
    authorization(audience) {
      const at = now();
      const kept = tokens.get(audience);
      if (kept && at < kept.renewAt) return kept.header;
      const exp = Math.floor(at / 1000) + VAPID_TOKEN_SECONDS;
      const { Authorization: header } = webpush.getVapidHeaders(
        audience,
        vapid.subject,
        vapid.publicKey,
        vapid.privateKey,
        'aes128gcm',
        exp,
      );
      if (tokens.size >= MAX_AUDIENCES && !kept) tokens.clear();
      tokens.set(audience, { header, renewAt: (exp - VAPID_RENEW_SECONDS) * 1000 });
      return header;
    },
  };
}
