// A local Web Push service, as a browser vendor runs one: it checks each request's VAPID JWT (RFC 8292) against
// the server's public key and decrypts the aes128gcm payload (RFC 8291, RFC 8188) with the private key of the
// subscription it made, as the browser would. It can answer with scripted statuses, or hold a request open.
import { createECDH, createDecipheriv, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import webpush from 'web-push';
import { pushPayloadSchema, type PushPayload, type PushSubscriptionJson } from '../../src/contract/push.ts';

/** One notification the service accepted (or answered with a scripted status), decrypted. */
export type ReceivedPush = {
  subscription: string;
  payload: PushPayload;
  /** What we answered. */
  status: number;
  at: number;
  ttl: number;
  urgency: string | undefined;
  topic: string | undefined;
  /** The VAPID JWT's `sub`: which server sent it, when several run with subjects of their own. */
  subject: string;
  /** The VAPID JWT itself (a server may reuse one until near its `exp`). */
  token: string;
  /** The server's ECDH public key of this message (base64url), which RFC 8291 makes new for every message. */
  serverKey: string;
};

/** A scripted answer: a status (with `Retry-After`), or `hold` to keep the request open until the service closes. */
export type ScriptedAnswer = { status: number; retryAfter?: string } | { hold: true };

type BrowserSubscription = {
  id: string;
  ecdh: ReturnType<typeof createECDH>;
  auth: Buffer;
  json: PushSubscriptionJson;
};

export type PushService = {
  origin: string;
  /** The server's VAPID keys, which the service checks signatures against. */
  vapid: { publicKey: string; privateKey: string; subject: string };
  /** Environment for a server that sends to this service (`subject` tells several servers apart). */
  env(subject?: string): Record<string, string>;
  /** A new browser subscription on this service (what `PushSubscription.toJSON()` gives). */
  subscribe(): PushSubscriptionJson;
  /** The browser renews the subscription's keys (same endpoint); the new JSON, which the service now decrypts with. */
  rekey(endpoint: string): PushSubscriptionJson;
  /** The next answers for requests to `endpoint`, in order; 201 after them. */
  script(endpoint: string, answers: ScriptedAnswer[]): void;
  /** Every request received, accepted or not, decrypted. */
  received(): ReceivedPush[];
  /** The ones accepted (2xx) for `endpoint`. */
  delivered(endpoint: string): ReceivedPush[];
  /** Requests that failed a check (bad JWT, bad encryption): a test expects none. */
  problems(): string[];
  /** Waits until `predicate` holds over what was received, polling every 50 ms. */
  waitFor(predicate: (received: ReceivedPush[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Resolves when a held request arrives for `endpoint`, with the VAPID subject of its sender. */
  held(endpoint: string): Promise<string>;
  close(): Promise<void>;
};

const b64u = (buf: Buffer) => buf.toString('base64url');

type VapidClaims = { aud?: string; exp?: number; sub?: string };

/**
 * Checks a request's VAPID header. A token's ES256 signature is verified the first time it is seen, and the
 * token kept, as a real push service does: a server reuses one token until close to its `exp`. Its claims (the
 * audience, `exp` against the clock, the subject) are checked on every request.
 */
function verifyVapid(
  authorization: string | undefined,
  vapid: { publicKey: string },
  audience: string,
  verified: Map<string, VapidClaims>,
): { problem: string } | { subject: string; token: string } {
  const problem = (text: string) => ({ problem: text });
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match) return problem(`Authorization is not "vapid t=…, k=…": ${authorization}`);
  const [, token, key] = match as unknown as [string, string, string];
  if (key !== vapid.publicKey) return problem('k is not the server public key');
  let body = verified.get(token);
  if (!body) {
    const [header, claims, signature] = token.split('.');
    if (!header || !claims || !signature) return problem('the JWT has not three parts');
    const headerJson = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
    if (headerJson.alg !== 'ES256') return problem(`JWT alg is ${headerJson.alg}`);
    const point = Buffer.from(key, 'base64url');
    const publicKey = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33, 65)) },
      format: 'jwk',
    });
    const signed = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!signed) return problem('the JWT signature does not verify against the server public key');
    body = JSON.parse(Buffer.from(claims, 'base64url').toString()) as VapidClaims;
    verified.set(token, body);
  }
  if (body.aud !== audience) return problem(`aud is ${body.aud}, expected ${audience}`);
  const now = Date.now() / 1000;
  if (typeof body.exp !== 'number' || body.exp <= now || body.exp > now + 24 * 3600)
    return problem(`exp ${body.exp} is not within the next 24 hours`);
  if (!/^(mailto:|https:)/.test(body.sub ?? '')) return problem(`sub ${body.sub} is not mailto: or https:`);
  return { subject: body.sub!, token };
}

/** The aes128gcm header's key id: the server's ECDH public key for this message (RFC 8291 §4). */
const serverKeyOf = (body: Buffer) => b64u(body.subarray(21, 21 + body[20]!));

/** RFC 8291 §3.4 and RFC 8188: decrypts a one-record aes128gcm body with the subscription's private key. */
function decrypt(body: Buffer, subscription: BrowserSubscription): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const serverKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (record.length > recordSize) throw new Error('more than one record');
  const shared = subscription.ecdh.computeSecret(serverKey);
  const keyInfo = Buffer.concat([
    Buffer.from('WebPush: info\0'),
    subscription.ecdh.getPublicKey(),
    serverKey,
  ]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, subscription.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('the last record does not end with the 0x02 delimiter');
  return padded.subarray(0, end).toString('utf8');
}

export async function startPushService(): Promise<PushService> {
  const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:push-test@example.com' };
  const subscriptions = new Map<string, BrowserSubscription>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const heldWaiters = new Map<string, (subject: string) => void>();
  const heldResponses = new Set<ServerResponse>();
  const received: ReceivedPush[] = [];
  const problems: string[] = [];
  const verifiedTokens = new Map<string, VapidClaims>();
  let origin = '';

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const subscription = id && subscriptions.get(id);
    if (req.method !== 'POST' || !subscription) return res.writeHead(404).end();
    const refuse = (why: string) => {
      problems.push(`${id}: ${why}`);
      res.writeHead(400).end(why);
    };
    const signer = verifyVapid(req.headers.authorization, vapid, origin, verifiedTokens);
    if ('problem' in signer) return refuse(signer.problem);
    if (req.headers['content-encoding'] !== 'aes128gcm') return refuse('Content-Encoding is not aes128gcm');
    const ttl = Number(req.headers.ttl);
    if (!Number.isInteger(ttl) || ttl < 0) return refuse(`TTL header ${req.headers.ttl}`);
    const body = Buffer.concat(chunks);
    if (body.length > 4096) return refuse(`body of ${body.length} bytes is over 4096`);
    let payload: PushPayload;
    try {
      payload = pushPayloadSchema.parse(JSON.parse(decrypt(body, subscription)));
    } catch (e) {
      return refuse(`payload: ${(e as Error).message}`);
    }
    const answer = scripts.get(subscription.json.endpoint)?.shift() ?? { status: 201 };
    const topic = req.headers.topic as string | undefined;
    const urgency = req.headers.urgency as string | undefined;
    if ('hold' in answer) {
      heldResponses.add(res);
      heldWaiters.get(subscription.json.endpoint)?.(signer.subject);
      return;
    }
    received.push({
      subscription: subscription.json.endpoint,
      payload,
      status: answer.status,
      at: Date.now(),
      ttl,
      subject: signer.subject,
      token: signer.token,
      serverKey: serverKeyOf(body),
      urgency,
      topic,
    });
    res.writeHead(answer.status, answer.retryAfter ? { 'Retry-After': answer.retryAfter } : {}).end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      problems.push(String(e));
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    vapid,
    env: (subject = vapid.subject) => ({
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: subject,
      PUSH_SERVICE_ORIGINS: origin,
    }),
    subscribe() {
      const id = randomBytes(12).toString('base64url');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const json = {
        endpoint: `${origin}/push/${id}`,
        expirationTime: null,
        keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) },
      };
      subscriptions.set(id, { id, ecdh, auth, json });
      return json;
    },
    rekey(endpoint) {
      const old = [...subscriptions.values()].find((s) => s.json.endpoint === endpoint)!;
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const json = { ...old.json, keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) } };
      subscriptions.set(old.id, { id: old.id, ecdh, auth, json });
      return json;
    },
    script(endpoint, answers) {
      scripts.set(endpoint, [...(scripts.get(endpoint) ?? []), ...answers]);
    },
    received: () => [...received],
    delivered: (endpoint) =>
      received.filter((r) => r.subscription === endpoint && r.status >= 200 && r.status < 300),
    problems: () => [...problems],
    async waitFor(predicate, timeoutMs = 20_000, what = 'pushes') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(`${what} not received within ${timeoutMs} ms; problems: ${problems.join('; ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    held: (endpoint) => new Promise<string>((resolve) => heldWaiters.set(endpoint, resolve)),
    async close() {
      for (const res of heldResponses) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
