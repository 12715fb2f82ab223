// The push subscription endpoints: what is refused (422 naming the field, the allow-list, the per-user limit),
// idempotence, and deleting only one's own.
import { describe, expect, it } from 'vitest';
import { makeUser } from '../helpers/api.ts';
import { usePushServer } from '../helpers/push-server.ts';
import { startServer } from '../helpers/server.ts';
import { pgAdminUrl } from '../helpers/services.ts';

const live = usePushServer();

const b64u = (bytes: number[]) => Buffer.from(bytes).toString('base64url');

describe('POST /api/push/subscriptions/', () => {
  it('answers 201 with the endpoint and its creation time; the same endpoint again is idempotent', async () => {
    const user = await makeUser(live.server.url);
    const subscription = live.push.subscribe();
    const first = await user.api.post('/api/push/subscriptions/', { json: { subscription } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ endpoint: subscription.endpoint, created_at: expect.any(String) });
    const again = await user.api.post('/api/push/subscriptions/', {
      json: { subscription: live.push.rekey(subscription.endpoint) },
    });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const rows = await live.server.sql<{ p256dh: string }>(
      'select p256dh from push_subscriptions where endpoint = $1',
      [subscription.endpoint],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.p256dh).not.toBe(subscription.keys.p256dh);
  });

  it('needs a token', async () => {
    const res = await fetch(`${live.server.url}/api/push/subscriptions/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subscription: live.push.subscribe() }),
    });
    expect(res.status).toBe(401);
  });

  const good = () => live.push.subscribe();
  const port = () => Number(new URL(live.push.origin).port);
  const refusals: [string, () => unknown, 'endpoint' | 'p256dh' | 'auth'][] = [
    [
      'an origin not on the allow-list',
      () => ({ ...good(), endpoint: 'https://push.example.com/x' }),
      'endpoint',
    ],
    [
      'an allowed host on another port',
      () => ({ ...good(), endpoint: `http://127.0.0.1:${port() + 1}/push/x` }),
      'endpoint',
    ],
    [
      'plain http on a host listed for https only',
      () => ({ ...good(), endpoint: 'http://fcm.googleapis.com/fcm/send/x' }),
      'endpoint',
    ],
    ['a relative URL', () => ({ ...good(), endpoint: '/push/x' }), 'endpoint'],
    ['another scheme', () => ({ ...good(), endpoint: 'ftp://127.0.0.1/x' }), 'endpoint'],
    ['a private address', () => ({ ...good(), endpoint: 'https://10.0.0.1/push/x' }), 'endpoint'],
    [
      'a loopback address not listed',
      () => ({ ...good(), endpoint: 'https://127.0.0.1/push/x' }),
      'endpoint',
    ],
    ['IPv6 loopback', () => ({ ...good(), endpoint: 'https://[::1]/push/x' }), 'endpoint'],
    [
      'a link-local address',
      () => ({ ...good(), endpoint: 'https://169.254.169.254/latest/meta-data' }),
      'endpoint',
    ],
    ['an IPv6 unique-local address', () => ({ ...good(), endpoint: 'https://[fc00::1]/push/x' }), 'endpoint'],
    [
      'a loopback address written as a number',
      () => ({ ...good(), endpoint: 'https://2130706433/push/x' }),
      'endpoint',
    ],
    [
      'credentials in the URL',
      () => ({ ...good(), endpoint: `${live.push.origin.replace('//', '//u:p@')}/push/x` }),
      'endpoint',
    ],
    [
      'a p256dh of 64 bytes',
      () => ({ ...good(), keys: { ...good().keys, p256dh: b64u(Array(64).fill(4)) } }),
      'p256dh',
    ],
    [
      'a compressed p256dh',
      () => ({ ...good(), keys: { ...good().keys, p256dh: b64u([3, ...Array(64).fill(1)]) } }),
      'p256dh',
    ],
    [
      'a p256dh not on the curve',
      () => ({ ...good(), keys: { ...good().keys, p256dh: b64u([4, ...Array(64).fill(1)]) } }),
      'p256dh',
    ],
    [
      'a p256dh that is not base64url',
      () => ({ ...good(), keys: { ...good().keys, p256dh: '!'.repeat(87) } }),
      'p256dh',
    ],
    [
      'an auth of 15 bytes',
      () => ({ ...good(), keys: { ...good().keys, auth: b64u(Array(15).fill(7)) } }),
      'auth',
    ],
    [
      'an auth of 17 bytes',
      () => ({ ...good(), keys: { ...good().keys, auth: b64u(Array(17).fill(7)) } }),
      'auth',
    ],
  ];
  it.each(refusals)('refuses %s with 422 naming the field', async (_what, subscription, field) => {
    const user = await makeUser(live.server.url);
    const res = await user.api.post('/api/push/subscriptions/', { json: { subscription: subscription() } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      detail: [
        expect.objectContaining({
          loc: expect.arrayContaining([field]),
          msg: expect.stringContaining(field),
        }),
      ],
    });
    expect(await live.server.sql('select 1 from push_subscriptions where user_id = $1', [user.id])).toEqual(
      [],
    );
  });

  it('refuses an eleventh subscription with 400, also when all are sent at once', async () => {
    const user = await makeUser(live.server.url);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        user.api.post('/api/push/subscriptions/', { json: { subscription: live.push.subscribe() } }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(10).fill(201), 400, 400]);
    expect(answers.find((a) => a.status === 400)!.body).toMatchObject({
      detail: 'A user may hold at most 10 push subscriptions. Unsubscribe another browser first.',
    });
    const [row] = await live.server.sql<{ n: string }>(
      'select count(*) as n from push_subscriptions where user_id = $1',
      [user.id],
    );
    expect(Number(row!.n)).toBe(10);
    // Taking over an endpoint counts too.
    const other = await makeUser(live.server.url);
    const foreign = live.push.subscribe();
    await other.api.post('/api/push/subscriptions/', { json: { subscription: foreign } });
    expect(
      (await user.api.post('/api/push/subscriptions/', { json: { subscription: foreign } })).status,
    ).toBe(400);
  });
});

describe('DELETE /api/push/subscriptions/', () => {
  it('deletes the caller’s own subscription (200 null); another user’s, or one already gone, is 404', async () => {
    const owner = await makeUser(live.server.url);
    const other = await makeUser(live.server.url);
    const subscription = live.push.subscribe();
    await owner.api.post('/api/push/subscriptions/', { json: { subscription } });
    const stranger = await other.api.delete('/api/push/subscriptions/', {
      json: { endpoint: subscription.endpoint },
    });
    expect(stranger.status).toBe(404);
    expect(stranger.body).toMatchObject({ detail: 'No push subscription found with that endpoint.' });
    const own = await owner.api.delete('/api/push/subscriptions/', {
      json: { endpoint: subscription.endpoint },
    });
    expect(own.status).toBe(200);
    expect(own.body).toBeNull();
    expect(
      (await owner.api.delete('/api/push/subscriptions/', { json: { endpoint: subscription.endpoint } }))
        .status,
    ).toBe(404);
  });
});

// Push is off only where the operator owes the keys: with DATABASE_URL (embedded mode makes its own).
describe.runIf(pgAdminUrl)('push off', () => {
  it('answers 503 on every push endpoint, and /readyz says push is off, when PostgreSQL has no VAPID keys', async () => {
    const off = await startServer({ db: live.server.db, env: {} });
    try {
      const user = await makeUser(off.url);
      const key = await fetch(`${off.url}/api/push/public-key/`);
      expect(key.status).toBe(503);
      expect(await key.json()).toMatchObject({
        detail: 'Push notifications are off on this server: it has no VAPID keys.',
      });
      const subscribed = await user.api.post('/api/push/subscriptions/', {
        json: { subscription: live.push.subscribe() },
      });
      expect(subscribed.status).toBe(503);
      const ready = await fetch(`${off.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { push: 'off' } });
    } finally {
      await off.close();
    }
  });
});
