// The SDK's Web Push calls against a real server and the local push service: the key a browser subscribes with,
// registering a subscription so that the server's notifications reach it, and unsubscribing.
import { describe, expect, it } from 'vitest';
import { PhreshClient, PhreshError } from 'phresh-live/client';
import { makeCleaning, makeOffers, makeUser, type TestUser } from '../helpers/api.ts';
import { usePushServer } from '../helpers/push-server.ts';

const live = usePushServer();

async function signedInClient(user: TestUser): Promise<PhreshClient> {
  const client = new PhreshClient({ url: live.server.url });
  await client.login(user.email, user.password);
  return client;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => {
      if (!(e instanceof PhreshError)) throw e;
      return { status: e.status, code: e.code, detail: e.detail };
    },
  );

describe('the SDK’s Web Push calls', () => {
  it('pushPublicKey gives the server’s VAPID key, without signing in', async () => {
    const anonymous = new PhreshClient({ url: live.server.url });
    expect(await anonymous.rest.pushPublicKey()).toEqual({ public_key: live.push.vapid.publicKey });
  });

  it('subscribePush registers the subscription, and the server’s notifications then reach it', async () => {
    const [owner, cleaner] = [await makeUser(live.server.url), await makeUser(live.server.url)];
    const client = await signedInClient(cleaner);
    const subscription = live.push.subscribe();
    const created = await client.rest.subscribePush(subscription);
    expect(created).toEqual({ endpoint: subscription.endpoint, created_at: expect.any(String) });

    const cleaning = await makeCleaning(owner, { name: 'Spring clean' });
    await makeOffers(cleaning, [cleaner]);
    await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
    await live.push.waitFor(
      (received) => received.some((r) => r.subscription === subscription.endpoint),
      15_000,
      'the accepted offer’s notification',
    );
    const [notification] = live.push.delivered(subscription.endpoint);
    expect(notification!.payload).toMatchObject({
      event: { cleaning_id: cleaning.id, type: 'accepted' },
      body: 'Your offer on Spring clean was accepted',
    });
    expect(live.push.problems()).toEqual([]);
    client.close();
  });

  it('unsubscribePush answers null, and a second time refuses with 404', async () => {
    const client = await signedInClient(await makeUser(live.server.url));
    const subscription = live.push.subscribe();
    await client.rest.subscribePush(subscription);
    expect(await client.rest.unsubscribePush(subscription.endpoint)).toBeNull();
    expect(await refusal(client.rest.unsubscribePush(subscription.endpoint))).toMatchObject({
      status: 404,
      code: 'PUSH_SUBSCRIPTION_NOT_FOUND',
    });
    client.close();
  });

  it('subscribePush refuses an endpoint outside the allow-list with a 422 naming the endpoint', async () => {
    const client = await signedInClient(await makeUser(live.server.url));
    const outside = { ...live.push.subscribe(), endpoint: 'https://push.example.com/x' };
    const error = await refusal(client.rest.subscribePush(outside));
    expect(error).toMatchObject({ status: 422 });
    expect(JSON.stringify(error.detail)).toContain('endpoint');
    client.close();
  });
});
