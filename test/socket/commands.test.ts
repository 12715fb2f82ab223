import { describe, expect, it } from 'vitest';
import {
  MAX_SYNC_CURSORS,
  type CleaningSnapshot,
  type EventsSince,
} from '../../src/contract/socket-events.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';
import { startServer } from '../helpers/server.ts';
import {
  closeAll,
  command,
  connect,
  ok,
  rawCommand,
  rawEmit,
  type ClientSocket,
} from '../helpers/sockets.ts';

const suite = useLiveServer();
const socketFor = (user: TestUser) => suite.socketFor(user);

async function fixture(offerers = 2) {
  const owner = await makeUser(suite.server.url);
  const cleaners = await makeUsers(suite.server.url, offerers);
  const cleaning = await makeCleaning(owner);
  return {
    owner,
    cleaners,
    cleaning,
    ownerSocket: await socketFor(owner),
    sockets: await Promise.all(cleaners.map(socketFor)),
  };
}

describe('offer commands over sockets', () => {
  it('creates, accepts, cancels and rescinds with the same results as REST', async () => {
    const { owner, cleaners, cleaning, ownerSocket, sockets } = await fixture(3);
    const [a, b, c] = sockets as [ClientSocket, ClientSocket, ClientSocket];
    const created = await ok(a, 'offer:create', { cleaning_id: cleaning.id });
    expect(created).toMatchObject({ user_id: cleaners[0]!.id, cleaning_id: cleaning.id, status: 'pending' });
    await ok(b, 'offer:create', { cleaning_id: cleaning.id });
    await ok(c, 'offer:create', { cleaning_id: cleaning.id });
    expect(await ok(c, 'offer:rescind', { cleaning_id: cleaning.id })).toBeNull();
    const accepted = await ok(ownerSocket, 'offer:accept', {
      cleaning_id: cleaning.id,
      username: cleaners[0]!.username,
    });
    expect(accepted.status).toBe('accepted');
    const cancelled = await ok(a, 'offer:cancel', { cleaning_id: cleaning.id });
    expect(cancelled.status).toBe('cancelled');
    const rest = await owner.api.get(`/api/cleanings/${cleaning.id}/offers/`);
    expect(new Map(rest.body.map((o: { user_id: number; status: string }) => [o.user_id, o.status]))).toEqual(
      new Map([
        [cleaners[0]!.id, 'cancelled'],
        [cleaners[1]!.id, 'pending'],
      ]),
    );
  });

  it.each([
    [
      'offer:create on a missing cleaning',
      'offer:create',
      { cleaning_id: 987654 },
      404,
      'CLEANING_NOT_FOUND',
      'No cleaning found with that id.',
    ],
    ['offer:cancel without an offer', 'offer:cancel', 'own', 404, 'OFFER_NOT_FOUND', 'Offer not found.'],
    ['offer:rescind without an offer', 'offer:rescind', 'own', 404, 'OFFER_NOT_FOUND', 'Offer not found.'],
  ])('answers %s with its REST status', async (_name, event, payload, status, code, detail) => {
    const { cleaning, sockets } = await fixture(1);
    const res = await command(
      sockets[0]!,
      event as 'offer:create',
      payload === 'own' ? { cleaning_id: cleaning.id } : (payload as { cleaning_id: number }),
    );
    expect(res).toEqual({ ok: false, error: { status, code, detail } });
  });

  it('answers every offer error with the reference’s status and text', async () => {
    const { cleaners, cleaning, ownerSocket, sockets } = await fixture(2);
    const [a, b] = sockets as [ClientSocket, ClientSocket];
    const errorOf = async (p: Promise<{ ok: boolean; error?: unknown }>) => (await p).error;
    expect(await errorOf(command(ownerSocket, 'offer:create', { cleaning_id: cleaning.id }))).toMatchObject({
      status: 400,
      code: 'OWN_CLEANING_OFFER',
    });
    await ok(a, 'offer:create', { cleaning_id: cleaning.id });
    await ok(b, 'offer:create', { cleaning_id: cleaning.id });
    expect(await errorOf(command(a, 'offer:create', { cleaning_id: cleaning.id }))).toMatchObject({
      status: 400,
      code: 'DUPLICATE_OFFER',
    });
    expect(
      await errorOf(
        command(a, 'offer:accept', { cleaning_id: cleaning.id, username: cleaners[1]!.username }),
      ),
    ).toMatchObject({ status: 403, code: 'ACCEPT_FORBIDDEN' });
    expect(
      await errorOf(
        command(ownerSocket, 'offer:accept', { cleaning_id: cleaning.id, username: 'nobody_here' }),
      ),
    ).toMatchObject({ status: 404, code: 'USER_NOT_FOUND' });
    expect(await errorOf(command(a, 'offer:cancel', { cleaning_id: cleaning.id }))).toMatchObject({
      status: 400,
      code: 'OFFER_NOT_ACCEPTED',
    });
    await ok(ownerSocket, 'offer:accept', { cleaning_id: cleaning.id, username: cleaners[0]!.username });
    expect(
      await errorOf(
        command(ownerSocket, 'offer:accept', { cleaning_id: cleaning.id, username: cleaners[1]!.username }),
      ),
    ).toMatchObject({
      status: 400,
      code: 'OFFER_NOT_PENDING',
      detail: 'Can only accept offers that are currently pending.',
    });
    expect(await errorOf(command(a, 'offer:rescind', { cleaning_id: cleaning.id }))).toMatchObject({
      status: 400,
      code: 'RESCIND_NOT_PENDING',
    });
  });

  it('answers a subscribe with a snapshot, or with the events since a seq', async () => {
    const { cleaners, cleaning, ownerSocket, sockets } = await fixture(2);
    await ok(sockets[0]!, 'offer:create', { cleaning_id: cleaning.id });
    await ok(sockets[1]!, 'offer:create', { cleaning_id: cleaning.id });
    const snapshot = (await ok(ownerSocket, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
    })) as CleaningSnapshot;
    expect(snapshot.seq).toBe(2);
    expect(snapshot.cleaning.id).toBe(cleaning.id);
    expect(snapshot.offers.map((o) => o.user_id)).toEqual([cleaners[1]!.id, cleaners[0]!.id]);
    const since = (await ok(ownerSocket, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
      since: 1,
    })) as EventsSince;
    expect(since.events.map((e) => e.seq)).toEqual([2]);
    expect(since.seq).toBe(2);
    const mine = (await ok(sockets[0]!, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
    })) as CleaningSnapshot;
    expect(mine.offers.map((o) => o.user_id)).toEqual([cleaners[0]!.id]);
    expect(await ok(ownerSocket, 'cleaning:unsubscribe', { cleaning_id: cleaning.id })).toBeNull();
  });

  it('refuses to subscribe someone who may not see the cleaning', async () => {
    const { cleaning } = await fixture(0);
    const stranger = await socketFor(await makeUser(suite.server.url));
    expect(await command(stranger, 'cleaning:subscribe', { cleaning_id: cleaning.id })).toEqual({
      ok: false,
      error: { status: 403, code: 'EVENTS_FORBIDDEN', detail: 'Unable to access events.' },
    });
    expect(
      (await command(stranger, 'cleaning:subscribe', { cleaning_id: 99999999 })) as unknown,
    ).toMatchObject({ ok: false, error: { status: 404 } });
  });

  it('syncs many cleanings at once, skipping those the caller may not see', async () => {
    const cleaner = await makeUser(suite.server.url);
    const owners = await makeUsers(suite.server.url, 2);
    const [x, y] = [await makeCleaning(owners[0]!), await makeCleaning(owners[1]!)];
    const hidden = await makeCleaning(owners[1]!);
    await makeOffers(x, [cleaner]);
    await makeOffers(y, [cleaner]);
    const { socket, events } = await suite.live(cleaner);
    const res = await ok(socket, 'offers:sync', { cursors: { [x.id]: 0, [y.id]: 1, [hidden.id]: 0 } });
    expect(res.more).toBe(false);
    // A push still on its way at connect can stand in for its sync entry (see the replay tests); y:1 is covered.
    if (res.events.length === 0) await events.waitUntil((e) => e.cleaning_id === x.id);
    const xEvents = [...res.events, ...events.items].filter((e) => e.cleaning_id === x.id);
    expect(xEvents.map((e) => [e.cleaning_id, e.seq, e.type])).toEqual([[x.id, 1, 'created']]);
    expect(res.events.every((e) => e.cleaning_id === x.id)).toBe(true);
  });
});

describe('malformed socket input', () => {
  const commands: Array<[string, unknown]> = [
    ['offer:create', { cleaning_id: 1 }],
    ['offer:accept', { cleaning_id: 1, username: 'someone' }],
    ['offer:cancel', { cleaning_id: 1 }],
    ['offer:rescind', { cleaning_id: 1 }],
    ['cleaning:subscribe', { cleaning_id: 1 }],
    ['cleaning:unsubscribe', { cleaning_id: 1 }],
    ['offers:sync', { cursors: {} }],
  ];
  const bad: unknown[] = [
    null,
    5,
    'text',
    [],
    {},
    { cleaning_id: '1' },
    { cleaning_id: -1 },
    { cleaning_id: 1.5 },
    { cleaning_id: 0 },
  ];

  it.each(commands)(
    'answers %s with 422 and a validation detail for every malformed payload',
    async (event) => {
      const socket = await socketFor(await makeUser(suite.server.url));
      for (const payload of bad) {
        if (
          event === 'offers:sync' &&
          typeof payload === 'object' &&
          payload &&
          !Array.isArray(payload) &&
          'cleaning_id' in payload
        )
          continue;
        const res = await rawCommand(socket, event, payload);
        expect(res.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
        expect(res.error.status).toBe(422);
        expect(res.error.code).toBe('VALIDATION_FAILED');
        expect(Array.isArray(res.error.detail)).toBe(true);
        expect(res.error.detail[0].loc[0]).toBe('payload');
      }
      expect(socket.connected).toBe(true);
    },
  );

  it('refuses an offers:sync with more cursors than one call takes, rather than ignoring the rest', async () => {
    const socket = await socketFor(await makeUser(suite.server.url));
    const cursors = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i + 1), 0]));
    expect(await command(socket, 'offers:sync', { cursors: cursors(MAX_SYNC_CURSORS) })).toEqual({
      ok: true,
      data: { events: [], more: false },
    });
    const res = await rawCommand(socket, 'offers:sync', { cursors: cursors(MAX_SYNC_CURSORS + 1) });
    expect(res.error.status).toBe(422);
    expect(res.error.detail[0].msg).toBe(`at most ${MAX_SYNC_CURSORS} cursors per call`);
  });

  it('survives a command without an ack, and keeps answering', async () => {
    const socket = await socketFor(await makeUser(suite.server.url));
    rawEmit(socket, 'offer:create', { cleaning_id: 1 });
    rawEmit(socket, 'offer:create');
    rawEmit(socket, 'cleaning:subscribe', 'not an object');
    const res = await command(socket, 'offer:create', { cleaning_id: 987654 });
    expect(res).toMatchObject({ ok: false, error: { status: 404 } });
  });

  it('answers an unknown event with 404 and stays connected', async () => {
    const socket = await socketFor(await makeUser(suite.server.url));
    expect(await rawCommand(socket, 'offer:steal', { cleaning_id: 1 })).toEqual({
      ok: false,
      error: { status: 404, code: 'UNKNOWN_COMMAND', detail: 'Unknown command.' },
    });
    rawEmit(socket, 'no:ack');
    expect(await ok(socket, 'feed:subscribe', {})).toBeNull();
  });

  it('disconnects a client whose message is too large', async () => {
    const socket = await socketFor(await makeUser(suite.server.url));
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    // The transport that carried the message (long-polling may be upgrading meanwhile) decides the reason: over
    // WebSocket the server closes the connection; over long-polling it refuses the POST with a 413, which the
    // client reports as a transport error. Either way the session is over.
    let carriedBy = '';
    socket.io.engine.on('flush', () => (carriedBy = socket.io.engine.transport.name));
    rawEmit(socket, 'offer:create', { cleaning_id: 1, padding: 'x'.repeat(64 * 1024) });
    const reason = await gone;
    expect(carriedBy).not.toBe('');
    expect(reason).toBe(carriedBy === 'polling' ? 'transport error' : 'transport close');
  });
});

describe('command rate limit', () => {
  it('answers 429 past the per-socket limit', async () => {
    const limited = await startServer({ env: { SOCKET_COMMANDS_PER_SECOND: '5' } });
    try {
      const user = await makeUser(limited.url);
      const socket = await connect(limited.url, user.token);
      const results = await Promise.all(
        Array.from({ length: 12 }, () => command(socket, 'feed:subscribe', {})),
      );
      const limitedCount = results.filter((r) => !r.ok && r.error.status === 429).length;
      expect(limitedCount).toBeGreaterThanOrEqual(6);
      expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(5);
      await closeAll(socket);
    } finally {
      await limited.close();
    }
  });
});
