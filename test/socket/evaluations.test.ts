import { describe, expect, it } from 'vitest';
import type { CleaningPublic, EvaluationPublic, OfferEventPublic } from '../../src/contract/schemas.ts';
import type { EventsSince } from '../../src/contract/socket-events.ts';
import { makeCleaning, makeOffers, makeUser, makeUsers, type TestUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';
import { foldEvents, statusesByUser } from '../helpers/offer-log.ts';
import { command, ok, rawCommand, Recorder } from '../helpers/sockets.ts';

const suite = useLiveServer();
const live = (user: TestUser) => suite.live(user);
const summary = (events: OfferEventPublic[]) => events.map((e) => `${e.seq}:${e.type}:${e.user_id}`);

describe('evaluation:create', () => {
  it('completes the job: the ack has the evaluation, the cleaner gets the completed event unasked, the board hears it', async () => {
    const owner = await live(await makeUser(suite.server.url));
    const [chosen, other] = await Promise.all((await makeUsers(suite.server.url, 2)).map(live));
    const stranger = await live(await makeUser(suite.server.url));
    const watcher = await suite.socketFor(await makeUser(suite.server.url));
    const board = new Recorder<[string, CleaningPublic]>(
      watcher,
      ['cleaning:assigned', 'cleaning:completed'],
      (cleaning: CleaningPublic, kind) => [kind, cleaning],
    );
    await ok(watcher, 'feed:subscribe', {});
    const cleaning = await makeCleaning(owner.user);
    await ok(owner.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    await ok(chosen!.socket, 'offer:create', { cleaning_id: cleaning.id });
    await ok(owner.socket, 'offer:accept', { cleaning_id: cleaning.id, username: chosen!.user.username });
    // Offered after the acceptance: still pending when the job completes, so it is rejected then.
    await ok(other!.socket, 'offer:create', { cleaning_id: cleaning.id });

    const evaluation = await ok(owner.socket, 'evaluation:create', {
      cleaning_id: cleaning.id,
      username: chosen!.user.username,
      evaluation: { overall_rating: 5, headline: ' Spotless ', professionalism: 4 },
    });
    expect(evaluation).toMatchObject({
      cleaning_id: cleaning.id,
      cleaner_id: chosen!.user.id,
      owner: owner.user.id,
      overall_rating: 5,
      headline: 'Spotless',
      professionalism: 4,
      completeness: null,
      no_show: false,
    });

    const c = chosen!.user.id;
    const o = other!.user.id;
    await owner.events.waitForExactly(5);
    expect(summary(owner.events.items)).toEqual([
      `1:created:${c}`,
      `2:accepted:${c}`,
      `3:created:${o}`,
      `4:completed:${c}`,
      `5:rejected:${o}`,
    ]);
    const completed = owner.events.items[3]!;
    expect(completed.offer).toMatchObject({ status: 'completed', evaluation });
    // The cleaner never subscribed: their own offer's events come to them anyway, and only those.
    await chosen!.events.waitForExactly(3);
    expect(summary(chosen!.events.items)).toEqual([`1:created:${c}`, `2:accepted:${c}`, `4:completed:${c}`]);
    expect(chosen!.events.items[2]).toEqual(completed);
    await other!.events.waitForExactly(2);
    expect(summary(other!.events.items)).toEqual([`3:created:${o}`, `5:rejected:${o}`]);
    expect(JSON.stringify(other!.events.items)).not.toContain('Spotless');

    expect(
      (await board.waitForExactly(2)).map(([kind, c]) => [kind, c.id, c.status, c.total_offers]),
    ).toEqual([
      ['cleaning:assigned', cleaning.id, 'assigned', 1],
      ['cleaning:completed', cleaning.id, 'completed', 2],
    ]);
    expect(JSON.stringify(board.items)).not.toContain('Spotless');

    // Barrier for the stranger: their own refused command pushes nothing, and they were sent nothing before it.
    expect((await command(stranger.socket, 'offer:create', { cleaning_id: cleaning.id })).ok).toBe(false);
    await ok(stranger.socket, 'feed:subscribe', {});
    expect(stranger.events.items).toEqual([]);
  });

  it('answers with REST’s statuses and details, in REST’s order, and pushes nothing on failure', async () => {
    const owner = await live(await makeUser(suite.server.url));
    const [accepted, pending, outsider] = await Promise.all((await makeUsers(suite.server.url, 3)).map(live));
    const cleaning = await makeCleaning(owner.user);
    await makeOffers(cleaning, [accepted!.user, pending!.user]);
    await owner.user.api.put(`/api/cleanings/${cleaning.id}/offers/${accepted!.user.username}/`);
    await ok(owner.socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    const evaluate = (
      socket: typeof owner.socket,
      cleaningId: number,
      username: string,
      evaluation: unknown,
    ) =>
      command(socket, 'evaluation:create', {
        cleaning_id: cleaningId,
        username,
        evaluation: evaluation as { overall_rating: number },
      });
    const refusal = (status: number, code: string, detail: string) => ({
      ok: false,
      error: { status, code, detail },
    });
    const forbidden = refusal(
      403,
      'EVALUATION_FORBIDDEN',
      'Users are unable to leave evaluations for cleaning jobs they do not own.',
    );
    expect(await evaluate(owner.socket, 987654321, accepted!.user.username, {})).toEqual(
      refusal(404, 'CLEANING_NOT_FOUND', 'No cleaning found with that id.'),
    );
    for (const username of ['nobody_by_that_name', outsider!.user.username, accepted!.user.username])
      expect(await evaluate(outsider!.socket, cleaning.id, username, { overall_rating: 'x' })).toEqual(
        forbidden,
      );
    expect(await evaluate(owner.socket, cleaning.id, 'nobody_by_that_name', {})).toEqual(
      refusal(404, 'USER_NOT_FOUND', 'No user found with that username.'),
    );
    expect(await evaluate(owner.socket, cleaning.id, outsider!.user.username, {})).toEqual(
      refusal(404, 'OFFER_NOT_FOUND', 'Offer not found.'),
    );
    expect(await evaluate(owner.socket, cleaning.id, pending!.user.username, {})).toEqual(
      refusal(400, 'EVALUATION_NOT_ACCEPTED', 'Only users with accepted offers can be evaluated.'),
    );
    const invalid = await evaluate(owner.socket, cleaning.id, accepted!.user.username, { overall_rating: 6 });
    expect(invalid.ok).toBe(false);
    expect(!invalid.ok && invalid.error.status).toBe(422);
    expect(!invalid.ok && invalid.error.detail[0]).toMatchObject({
      loc: ['payload', 'evaluation', 'overall_rating'],
    });
    const unknownKey = await rawCommand(owner.socket, 'evaluation:create', {
      cleaning_id: cleaning.id,
      username: accepted!.user.username,
      evaluation: { overall_rating: 3 },
      rating: 3,
    });
    expect(unknownKey.error.status).toBe(422);

    // Barrier: a successful evaluation's events are the first pushes after the subscription.
    await ok(owner.socket, 'evaluation:create', {
      cleaning_id: cleaning.id,
      username: accepted!.user.username,
      evaluation: { overall_rating: 3 },
    });
    await owner.events.waitForExactly(1);
    expect(summary(owner.events.items)).toEqual([`5:completed:${accepted!.user.id}`]);
    const again = await evaluate(owner.socket, cleaning.id, accepted!.user.username, { overall_rating: 1 });
    expect(again).toEqual(
      refusal(400, 'EVALUATION_NOT_ACCEPTED', 'Only users with accepted offers can be evaluated.'),
    );
  });

  it('is replayed like any other event: cleaning:subscribe with since, offers:sync, and the log folds to the rows', async () => {
    const owner = await makeUser(suite.server.url);
    const cleaner = await makeUser(suite.server.url);
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, [cleaner]);
    await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
    const evaluation = (
      await owner.api.post<EvaluationPublic>(`/api/users/${cleaner.username}/evaluations/${cleaning.id}/`, {
        json: { evaluation_create: { overall_rating: 4, comment: 'On time' } },
      })
    ).body;

    const ownerSocket = await suite.socketFor(owner);
    const replay = (await ok(ownerSocket, 'cleaning:subscribe', {
      cleaning_id: cleaning.id,
      since: 2,
    })) as EventsSince;
    expect(replay.events.map((e) => [e.seq, e.type])).toEqual([[3, 'completed']]);
    expect(replay.events[0]!.offer!.evaluation).toEqual(evaluation);

    const cleanerSocket = await suite.socketFor(cleaner);
    const synced = await ok(cleanerSocket, 'offers:sync', { cursors: { [String(cleaning.id)]: 2 } });
    expect(synced.events).toEqual(replay.events);

    const snapshot = await ok(ownerSocket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    expect('cleaning' in snapshot && snapshot.cleaning).toMatchObject({
      status: 'completed',
      total_offers: 1,
    });
    const log = (await owner.api.get<OfferEventPublic[]>(`/api/cleanings/${cleaning.id}/events/`)).body;
    expect(foldEvents(log)).toEqual(statusesByUser('offers' in snapshot ? snapshot.offers : []));
  });
});
