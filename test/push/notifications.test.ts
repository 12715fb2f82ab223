// Web Push delivery, end to end through a local push service that checks the VAPID signature and decrypts every
// payload with the browser's private key: who is told what, once; what the push service's answers do.
import { describe, expect, it } from 'vitest';
import type { PushPayload, PushSubscriptionJson } from '../../src/contract/push.ts';
import type { CleaningPublic, OfferEventPublic } from '../../src/contract/schemas.ts';
import { makeCleaning, makeUser, type TestUser } from '../helpers/api.ts';
import type { ReceivedPush } from '../helpers/push-service.ts';
import { usePushServer } from '../helpers/push-server.ts';
import { until } from '../helpers/wait.ts';

const live = usePushServer();

async function subscribe(user: TestUser): Promise<PushSubscriptionJson> {
  const subscription = live.push.subscribe();
  const res = await user.api.post('/api/push/subscriptions/', { json: { subscription } });
  expect(res.status).toBe(201);
  return subscription;
}

const accept = (owner: TestUser, cleaning: CleaningPublic, cleaner: TestUser) =>
  owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
const offer = (cleaner: TestUser, cleaning: CleaningPublic) =>
  cleaner.api.post(`/api/cleanings/${cleaning.id}/offers/`);

async function outboxEmpty(): Promise<boolean> {
  const [row] = await live.server.sql<{ n: string }>('select count(*) as n from push_outbox');
  return Number(row!.n) === 0;
}

/** Waits until nothing more is queued, so that a count taken after it is final. */
const settled = () => until(outboxEmpty, 30_000, 'push outbox empty');

const summary = (r: ReceivedPush) => `${r.payload.event.type}:${r.payload.event.user_id}`;

describe('Web Push notifications', () => {
  it('serves the VAPID public key without auth', async () => {
    const res = await fetch(`${live.server.url}/api/push/public-key/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ public_key: live.push.vapid.publicKey });
  });

  it('tells each party what others did on their offers and cleanings, once, decrypted; never their own actions or anyone else’s offers', async () => {
    const owner = await makeUser(live.server.url);
    const [a, b, c, bystander] = await Promise.all([1, 2, 3, 4].map(() => makeUser(live.server.url)));
    const subs = {
      owner: await subscribe(owner),
      a: await subscribe(a!),
      b: await subscribe(b!),
      c: await subscribe(c!),
      bystander: await subscribe(bystander!),
    };
    const spring = await makeCleaning(owner, { name: 'Spring clean' });
    const attic = await makeCleaning(owner, { name: 'Attic' });

    expect((await offer(a!, spring)).status).toBe(201);
    expect((await offer(b!, spring)).status).toBe(201);
    expect((await accept(owner, spring, a!)).status).toBe(200);
    expect((await a!.api.put(`/api/cleanings/${spring.id}/offers/`)).status).toBe(200); // A cancels
    expect((await accept(owner, spring, b!)).status).toBe(200);
    const evaluated = await owner.api.post(`/api/users/${b!.username}/evaluations/${spring.id}/`, {
      json: { evaluation_create: { overall_rating: 5, comment: 'Spotless' } },
    });
    expect(evaluated.status).toBe(201);
    expect((await offer(c!, attic)).status).toBe(201);
    expect((await c!.api.delete(`/api/cleanings/${attic.id}/offers/`)).status).toBe(200); // C rescinds

    await settled();
    const got = (endpoint: string) => live.push.delivered(endpoint).map(summary).sort();
    expect(got(subs.owner.endpoint)).toEqual(
      [
        `created:${a!.id}`,
        `created:${b!.id}`,
        `cancelled:${a!.id}`,
        `created:${c!.id}`,
        `rescinded:${c!.id}`,
      ].sort(),
    );
    expect(got(subs.a.endpoint)).toEqual([`accepted:${a!.id}`]);
    expect(got(subs.b.endpoint)).toEqual(
      [`rejected:${b!.id}`, `pending:${b!.id}`, `accepted:${b!.id}`, `completed:${b!.id}`].sort(),
    );
    expect(got(subs.c.endpoint)).toEqual([]);
    expect(got(subs.bystander.endpoint)).toEqual([]);
    expect(live.push.problems()).toEqual([]);

    // Each event is the log's own, byte for byte, as the socket pushes it.
    const log = new Map<string, OfferEventPublic>();
    for (const cleaning of [spring, attic]) {
      const res = await owner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`);
      for (const e of res.body) log.set(`${e.cleaning_id}:${e.seq}`, e);
    }
    const all = live.push
      .received()
      .filter((r) => Object.values(subs).some((s) => s.endpoint === r.subscription));
    for (const r of all)
      expect(r.payload.event).toEqual(log.get(`${r.payload.event.cleaning_id}:${r.payload.event.seq}`));

    const byType = (endpoint: string, type: string) =>
      live.push.delivered(endpoint).find((r) => r.payload.event.type === type)!;
    const accepted = byType(subs.a.endpoint, 'accepted');
    expect(accepted.payload).toMatchObject<Partial<PushPayload>>({
      title: 'Offer accepted',
      body: 'Your offer on Spring clean was accepted',
      url: `/?cleaning=${spring.id}`,
    });
    expect(accepted.urgency).toBe('high');
    expect(byType(subs.b.endpoint, 'completed').urgency).toBe('high');
    expect(byType(subs.b.endpoint, 'rejected').urgency).toBe('normal');
    expect(byType(subs.owner.endpoint, 'created').payload.body).toMatch(
      / made an offer on (Spring clean|Attic)$/,
    );
    expect(byType(subs.owner.endpoint, 'rescinded').payload.body).toBe(
      `${c!.username} withdrew their offer on Attic`,
    );
    for (const r of all) {
      expect(r.ttl).toBeGreaterThan(86_400 - 60);
      expect(r.ttl).toBeLessThanOrEqual(86_400);
      expect(r.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    }
    // One topic per cleaning and recipient: B's four notices about Spring clean share one; the owner's differ by job.
    expect(new Set(live.push.delivered(subs.b.endpoint).map((r) => r.topic)).size).toBe(1);
    const ownerTopics = new Map(
      live.push.delivered(subs.owner.endpoint).map((r) => [r.payload.event.cleaning_id, r.topic]),
    );
    expect(ownerTopics.size).toBe(2);
    expect(ownerTopics.get(spring.id)).not.toBe(ownerTopics.get(attic.id));
    expect(ownerTopics.get(spring.id)).not.toBe(live.push.delivered(subs.b.endpoint)[0]!.topic);
  });

  it('signs one VAPID token for the push service and reuses it, each payload encrypted with a key of its own', async () => {
    const owner = await makeUser(live.server.url);
    const cleaners = await Promise.all([1, 2, 3].map(() => makeUser(live.server.url)));
    const sub = await subscribe(owner);
    const cleaning = await makeCleaning(owner);
    for (const cleaner of cleaners) expect((await offer(cleaner, cleaning)).status).toBe(201);
    await settled();
    const got = live.push.delivered(sub.endpoint);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.token)).size).toBe(1);
    expect(new Set(got.map((r) => r.serverKey)).size).toBe(3);
    expect(live.push.problems()).toEqual([]);
  });

  it('keeps a long cleaning name and evaluation within the 4 KiB payload', async () => {
    const owner = await makeUser(live.server.url);
    const cleaner = await makeUser(live.server.url);
    const sub = await subscribe(cleaner);
    const cleaning = await makeCleaning(owner, { name: '€'.repeat(200) });
    await offer(cleaner, cleaning);
    await accept(owner, cleaning, cleaner);
    const evaluated = await owner.api.post(`/api/users/${cleaner.username}/evaluations/${cleaning.id}/`, {
      json: {
        evaluation_create: { overall_rating: 4, headline: '"'.repeat(200), comment: '"\u0001'.repeat(2500) },
      },
    });
    expect(evaluated.status).toBe(201);
    await live.push.waitFor(
      () => live.push.delivered(sub.endpoint).length === 2,
      20_000,
      'accepted and completed',
    );
    const completed = live.push.delivered(sub.endpoint).find((r) => r.payload.event.type === 'completed')!;
    expect(completed.payload.body).toMatch(/^Your work on €+… was marked completed$/);
    expect(completed.payload.event.offer?.evaluation?.headline).toBe('"'.repeat(200));
    expect(live.push.problems()).toEqual([]);
  });

  it('deletes a subscription the push service answers 410 for, and sends it nothing more', async () => {
    const owner = await makeUser(live.server.url);
    const cleaner = await makeUser(live.server.url);
    const sub = await subscribe(owner);
    live.push.script(sub.endpoint, [{ status: 410 }]);
    const first = await makeCleaning(owner);
    await offer(cleaner, first);
    await until(
      async () =>
        (await live.server.sql('select 1 from push_subscriptions where endpoint = $1', [sub.endpoint]))
          .length === 0,
      20_000,
      'subscription deleted',
    );
    const second = await makeCleaning(owner);
    await offer(cleaner, second);
    await settled();
    expect(
      live.push
        .received()
        .filter((r) => r.subscription === sub.endpoint)
        .map((r) => r.status),
    ).toEqual([410]);
  });

  it('retries 5xx and 429, the 429 no earlier than its Retry-After, until one is accepted', async () => {
    const owner = await makeUser(live.server.url);
    const cleaner = await makeUser(live.server.url);
    const sub = await subscribe(owner);
    live.push.script(sub.endpoint, [{ status: 500 }, { status: 429, retryAfter: '3' }]);
    await offer(cleaner, await makeCleaning(owner));
    await live.push.waitFor(() => live.push.delivered(sub.endpoint).length === 1, 30_000, 'the retried push');
    await settled();
    const attempts = live.push.received().filter((r) => r.subscription === sub.endpoint);
    expect(attempts.map((r) => r.status)).toEqual([500, 429, 201]);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(3000);
    expect(new Set(attempts.map((r) => r.payload.event.seq)).size).toBe(1);
  });

  it('drops a push the push service refuses with another 4xx, and goes on with the next', async () => {
    const owner = await makeUser(live.server.url);
    const cleaner = await makeUser(live.server.url);
    const sub = await subscribe(owner);
    live.push.script(sub.endpoint, [{ status: 400 }]);
    const cleaning = await makeCleaning(owner);
    await offer(cleaner, cleaning);
    await settled();
    await cleaner.api.delete(`/api/cleanings/${cleaning.id}/offers/`);
    await settled();
    const attempts = live.push.received().filter((r) => r.subscription === sub.endpoint);
    expect(attempts.map((r) => `${r.status}:${r.payload.event.type}`)).toEqual([
      '400:created',
      '201:rescinded',
    ]);
  });

  it('sends with the keys of the latest subscribe of an endpoint', async () => {
    const owner = await makeUser(live.server.url);
    const cleaner = await makeUser(live.server.url);
    const sub = await subscribe(owner);
    const again = await owner.api.post('/api/push/subscriptions/', {
      json: { subscription: live.push.rekey(sub.endpoint) },
    });
    expect(again.status).toBe(201);
    await offer(cleaner, await makeCleaning(owner));
    await live.push.waitFor(
      () => live.push.delivered(sub.endpoint).length === 1,
      20_000,
      'a push with the new keys',
    );
    expect(live.push.problems()).toEqual([]);
  });

  it('moves an endpoint registered by another user: the previous user’s notifications no longer reach it', async () => {
    const first = await makeUser(live.server.url);
    const second = await makeUser(live.server.url);
    const cleaner = await makeUser(live.server.url);
    const sub = await subscribe(first);
    const moved = await second.api.post('/api/push/subscriptions/', { json: { subscription: sub } });
    expect(moved.status).toBe(201);
    expect(
      (await first.api.delete('/api/push/subscriptions/', { json: { endpoint: sub.endpoint } })).status,
    ).toBe(404);
    await offer(cleaner, await makeCleaning(first));
    const seconds = await makeCleaning(second);
    await offer(cleaner, seconds);
    await settled();
    const heard = live.push
      .delivered(sub.endpoint)
      .map((r) => `${r.payload.event.type}:${r.payload.event.cleaning_id}`);
    expect(heard).toEqual([`created:${seconds.id}`]);
    const [row] = await live.server.sql<{ user_id: number }>(
      'select user_id from push_subscriptions where endpoint = $1',
      [sub.endpoint],
    );
    expect(row!.user_id).toBe(second.id);
  });

  it('deletes a deactivated user’s subscriptions', async () => {
    const user = await makeUser(live.server.url);
    await subscribe(user);
    await subscribe(user);
    const res = await user.api.post(`/api/users/${user.username}/deactivate/`);
    expect(res.status).toBe(200);
    expect(await live.server.sql('select 1 from push_subscriptions where user_id = $1', [user.id])).toEqual(
      [],
    );
  });
});
