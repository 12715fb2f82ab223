// The VAPID Authorization header: one ES256 token per push service, reused until an hour before its `exp`.
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import {
  createVapidAuthorizer,
  VAPID_RENEW_SECONDS,
  VAPID_TOKEN_SECONDS,
} from '../../src/push/vapid-token.ts';

const keys = { ...webpush.generateVAPIDKeys(), subject: 'mailto:push-test@example.com' };

function read(header: string) {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(header)!;
  const [h, c, s] = match[1]!.split('.') as [string, string, string];
  const point = Buffer.from(match[2]!, 'base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const signed = verify(
    'sha256',
    Buffer.from(`${h}.${c}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  return {
    signed,
    k: match[2],
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as { aud: string; exp: number; sub: string },
  };
}

describe('VAPID tokens', () => {
  it('reuses one signed token per push service until an hour before it expires, then signs a new one', () => {
    let now = Date.now();
    const vapid = createVapidAuthorizer(keys, () => now);
    const first = vapid.authorization('https://fcm.googleapis.com');
    const token = read(first);
    expect(token.signed).toBe(true);
    expect(token.k).toBe(keys.publicKey);
    expect(token.claims).toEqual({
      aud: 'https://fcm.googleapis.com',
      exp: Math.floor(now / 1000) + VAPID_TOKEN_SECONDS,
      sub: keys.subject,
    });
    expect(token.claims.exp - now / 1000).toBeLessThanOrEqual(24 * 3600);

    expect(vapid.authorization('https://fcm.googleapis.com')).toBe(first);
    const other = vapid.authorization('https://updates.push.services.mozilla.com');
    expect(other).not.toBe(first);
    expect(read(other).claims.aud).toBe('https://updates.push.services.mozilla.com');

    now += (VAPID_TOKEN_SECONDS - VAPID_RENEW_SECONDS - 1) * 1000;
    expect(vapid.authorization('https://fcm.googleapis.com')).toBe(first);
    now += 2000;
    const renewed = vapid.authorization('https://fcm.googleapis.com');
    expect(renewed).not.toBe(first);
    expect(read(renewed).signed).toBe(true);
    expect(read(renewed).claims.exp).toBe(Math.floor(now / 1000) + VAPID_TOKEN_SECONDS);
  });
});
