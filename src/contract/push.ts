/**
 * The Web Push part of the wire contract: the subscription a browser's `PushSubscription.toJSON()` gives,
 * the answers of `/api/push/…`, and the decrypted payload a service worker receives.
 * Which push-service origins are allowed is configuration, so the server checks that beside these schemas.
 */
import { z } from 'zod';
import { apiDocs } from './api-docs.ts';
import { offerEventSchema } from './schemas.ts';

/** RFC 8291: the client's public key is an uncompressed P-256 point, `0x04 || X || Y`. */
export const P256DH_BYTES = 65;
/** RFC 8291: the authentication secret is 16 bytes. */
export const AUTH_SECRET_BYTES = 16;
/** Longest endpoint URL accepted; the big push services issue well under 1 KB. */
export const MAX_ENDPOINT_LENGTH = 2048;
/** Most push subscriptions one user may hold (one per browser or device). */
export const MAX_PUSH_SUBSCRIPTIONS_PER_USER = 10;

const base64url = /^[A-Za-z0-9_-]+={0,2}$/;

/** Decoded length of an unpadded or padded base64url string, or -1 when it is not base64url. */
export function base64urlByteLength(value: string): number {
  if (!base64url.test(value)) return -1;
  const bare = value.replace(/=+$/, '');
  if (bare.length % 4 === 1) return -1;
  return Math.floor((bare.length * 3) / 4);
}

const keyOfLength = (bytes: number, what: string, field: string) =>
  z
    .string()
    .refine(
      (value) => base64urlByteLength(value) === bytes,
      `${field} must be ${what}: ${bytes} bytes, base64url`,
    );

/** The first byte of an uncompressed point (SEC 1); a browser's p256dh always starts with it. */
const UNCOMPRESSED_POINT = 0x04;
const firstByte = (value: string) =>
  atob(value.slice(0, 4).replace(/-/g, '+').replace(/_/g, '/')).charCodeAt(0);

export const pushEndpointRule = z
  .string()
  .max(MAX_ENDPOINT_LENGTH)
  .refine((value) => URL.canParse(value), 'endpoint must be an absolute https URL')
  .register(apiDocs, { examples: ['https://fcm.googleapis.com/fcm/send/dG9rZW4'] });

export const pushSubscriptionSchema = z
  .object({
    endpoint: pushEndpointRule,
    expirationTime: z.number().nullable().optional(),
    keys: z.object({
      p256dh: keyOfLength(P256DH_BYTES, 'an uncompressed P-256 public key', 'p256dh').refine(
        (value) => base64urlByteLength(value) !== P256DH_BYTES || firstByte(value) === UNCOMPRESSED_POINT,
        'p256dh must be an uncompressed P-256 point (its first byte 0x04)',
      ),
      auth: keyOfLength(AUTH_SECRET_BYTES, 'the authentication secret', 'auth'),
    }),
  })
  .register(apiDocs, {
    id: 'PushSubscription',
    description: "What the browser's PushSubscription.toJSON() gives.",
    examples: [
      {
        endpoint: 'https://fcm.googleapis.com/fcm/send/dG9rZW4',
        expirationTime: null,
        keys: {
          p256dh: 'BOh1YF1PUpTTiL-O-j4fdN2NwdYSCQCtW5cWbV3sTog3p5ek4PSXHqrEMVnCIvS16ioLsOHD1tVEqj3d2jpMLq4',
          auth: '1MvTnU2jzLbgr8_oQQGPag',
        },
      },
    ],
  });
export type PushSubscriptionJson = z.infer<typeof pushSubscriptionSchema>;

export const pushSubscribeBody = z.object({ subscription: pushSubscriptionSchema });
export const pushUnsubscribeBody = z.object({ endpoint: pushEndpointRule });

export const pushPublicKeySchema = z
  .object({ public_key: z.string() })
  .register(apiDocs, { id: 'PushPublicKey', description: 'The VAPID application server key, base64url.' });
export type PushPublicKey = z.infer<typeof pushPublicKeySchema>;

export const pushSubscriptionCreatedSchema = z
  .object({ endpoint: z.string(), created_at: z.iso.datetime({ offset: true }) })
  .register(apiDocs, { id: 'PushSubscriptionCreated' });
export type PushSubscriptionCreated = z.infer<typeof pushSubscriptionCreatedSchema>;

/** The decrypted body of every notification; `event` is the same offer event as the socket's `offer:event`. */
export const pushPayloadSchema = z
  .object({
    event: offerEventSchema,
    title: z.string(),
    body: z.string(),
    url: z.string(),
  })
  .register(apiDocs, { id: 'PushPayload' });
export type PushPayload = z.infer<typeof pushPayloadSchema>;
