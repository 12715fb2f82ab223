// Sends one notification: web-push encrypts it for the subscription and makes its request headers, with a VAPID
// JWT that web-push signed once per push service (vapid-token.ts); we POST it with node's own client, so that a
// plain-http test push service (listed exactly in PUSH_SERVICE_ORIGINS) works as well as https.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import webpush from 'web-push';
import type { PushConfig, VapidKeys } from '../config.ts';
import { checkPushEndpoint, isPrivateAddress } from './service-origins.ts';
import { createVapidAuthorizer } from './vapid-token.ts';

/** What to send to one subscription. */
export type PushMessage = {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  payload: string;
  ttlSeconds: number;
  urgency: 'high' | 'normal';
  topic: string;
};

/** The push service's answer: its status and, for 429/503, how long it asked us to wait. */
export type PushAnswer = { status: number; retryAfterMs: number | undefined };

/** A push service that answers nothing within this time is treated like a 5xx, and retried. */
export const SEND_TIMEOUT_MS = 10_000;

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type PushSender = {
  send(message: PushMessage): Promise<PushAnswer>;
  close(): void;
};

export function createPushSender(
  vapid: VapidKeys,
  config: Pick<PushConfig, 'serviceOrigins' | 'maxInFlight'>,
): PushSender {
  const agentOptions = { keepAlive: true, maxSockets: config.maxInFlight };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
  const vapidTokens = createVapidAuthorizer(vapid);

  return {
    send(message) {
      // Checked again at send time: the allow-list may have changed since the subscription was stored.
      const allowed = checkPushEndpoint(message.endpoint, config.serviceOrigins);
      if (typeof allowed === 'string') return Promise.reject(new Error(`endpoint refused: ${allowed}`));
      // No vapidDetails: web-push would sign a new JWT for every message; the reused one goes in as a header.
      const details = webpush.generateRequestDetails(
        { endpoint: message.endpoint, keys: message.keys },
        message.payload,
        {
          vapidDetails: null as never,
          headers: {
            Authorization: vapidTokens.authorization(`${allowed.url.protocol}//${allowed.url.host}`),
          },
          TTL: message.ttlSeconds,
          urgency: message.urgency,
          topic: message.topic,
          contentEncoding: 'aes128gcm',
        },
      );
      const headers = details.headers as http.OutgoingHttpHeaders;
      const body = details.body;
      // A name allowed by a wildcard must not resolve into the private network (a rebinding push service
      // domain); an origin listed exactly is trusted to be where the operator said.
      const lookup: typeof dnsLookup = allowed.origin.wildcard
        ? (((hostname: string, options: object, callback: (...args: unknown[]) => void) =>
            dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
              if (err) return callback(err);
              const usable = addresses.filter((a) => !isPrivateAddress(a.address));
              if (usable.length === 0)
                return callback(new Error(`${hostname} resolves only to private addresses`));
              if ((options as { all?: boolean }).all) return callback(null, usable);
              callback(null, usable[0]!.address, usable[0]!.family);
            })) as unknown as typeof dnsLookup)
        : dnsLookup;
      const client = allowed.url.protocol === 'http:' ? http : https;
      return new Promise<PushAnswer>((resolve, reject) => {
        const request = client.request(
          allowed.url,
          {
            method: 'POST',
            headers,
            agent: agents[allowed.url.protocol as 'http:' | 'https:'],
            lookup,
            timeout: SEND_TIMEOUT_MS,
          },
          (response) => {
            response.resume();
            response.on('error', reject);
            response.on('end', () => {
              const retryAfter = response.headers['retry-after'];
              resolve({
                status: response.statusCode ?? 0,
                retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
              });
            });
          },
        );
        request.on('timeout', () => request.destroy(new Error('push service did not answer in time')));
        request.on('error', reject);
        request.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
