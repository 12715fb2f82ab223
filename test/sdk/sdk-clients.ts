import { PhreshClient, type OfferEventPublic, type PhreshClientOptions } from 'phresh-live/client';
import type { TestUser } from '../helpers/api.ts';
import { TEST_TRANSPORTS } from '../helpers/sockets.ts';

/** A real SDK client, signed in as `user` and live. */
export async function liveClient(
  url: string,
  user: TestUser,
  options: Omit<PhreshClientOptions, 'url'> = {},
): Promise<PhreshClient> {
  const client = new PhreshClient({
    url,
    ackTimeoutMs: 10_000,
    reconnectDelayMaxMs: 1_000,
    transports: TEST_TRANSPORTS,
    ...options,
  });
  await client.login(user.email, user.password);
  await client.connect();
  return client;
}

/**
 * Resolves once `condition` holds, checking it after each of the client's own events (never on a timer);
 * fails after `timeoutMs` with `describe()` of what it saw last.
 */
export function until(
  client: PhreshClient,
  condition: () => boolean,
  describe: () => unknown,
  timeoutMs = 15_000,
): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    const done = (error?: Error) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`timed out; last seen: ${JSON.stringify(describe()).slice(0, 2000)}`)),
      timeoutMs,
    );
    const check = () => {
      if (condition()) done();
    };
    offs.push(client.on('offers', check), client.on('state', check), client.on('synced', check));
  });
}

/** Every `offer:event` the client hands to the app. */
export function recordEvents(client: PhreshClient): OfferEventPublic[] {
  const events: OfferEventPublic[] = [];
  client.on('offer:event', (e) => events.push(e));
  return events;
}

/** `cleaning_id:seq:type:user` for each event, for readable comparisons. */
export const described = (events: OfferEventPublic[]) =>
  events.map((e) => `${e.cleaning_id}:${e.seq}:${e.type}:${e.user_id}`);

/** The statuses a client shows for a cleaning, by user id. */
export const statusesOn = (client: PhreshClient, cleaningId: number) =>
  Object.fromEntries(client.offers(cleaningId).map((o) => [o.user_id, o.status]));

/** A TCP port nobody listens on right now, so that a restarted server can come back on the same one. */
export { freePort } from '../helpers/private-services.ts';
