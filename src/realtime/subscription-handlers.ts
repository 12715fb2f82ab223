import { cleaningRef, emptyPayload, offersSyncPayload, subscribePayload } from '../contract/schemas.ts';
import type { OfferEventPublic } from '../contract/schemas.ts';
import type { CleaningSnapshot, EventsSince, OffersSyncResult } from '../contract/socket-events.ts';
import type { Actor, Deps } from '../domain/context.ts';
import { isDomainError } from '../domain/errors.ts';
import {
  readCleaningSnapshot,
  readLogAccess,
  readVisibleEvents,
  MAX_EVENTS_PER_READ,
} from '../domain/offer-log.ts';
import type { CommandRunner } from './command-runner.ts';
import type { OfferLogRelay } from './offer-log-relay.ts';
import { FEED_ROOM, roomForCleaning } from './rooms.ts';
import type { IoSocket } from './socket-types.ts';

const MAX_SYNC_CURSORS = 500;

/**
 * Reads the events after `since` for a socket whose pushes of the cleaning are held. If pushes were already
 * flowing to it, the replay stops just before the first one pushed, so that nothing arrives twice.
 * Returns the page and the seq up to which the socket is now covered.
 */
async function replayFor(
  deps: Deps,
  actor: Actor,
  socket: IoSocket,
  relay: OfferLogRelay,
  cleaningId: number,
  since: number,
  limit = MAX_EVENTS_PER_READ,
): Promise<{ page: EventsSince; coveredUpTo: number }> {
  const firstPushed = relay.firstPushed(socket, cleaningId);
  const read = await readVisibleEvents(deps, actor, cleaningId, since, {
    limit,
    ...(firstPushed !== undefined ? { before: firstPushed } : {}),
  });
  const page = { events: read.events, seq: read.seq, more: read.more };
  const lastReturned = read.events.at(-1)?.seq ?? since;
  const coveredUpTo = read.more ? lastReturned : firstPushed !== undefined ? firstPushed - 1 : read.seq;
  return { page, coveredUpTo };
}

/** Subscriptions and catch-up: the socket side of the offer log, and the job board. */
export function registerSubscriptionHandlers({
  commands,
  relay,
}: {
  commands: CommandRunner;
  relay: OfferLogRelay;
}): void {
  commands.on('cleaning:subscribe', subscribePayload, async ({ deps, actor, socket, payload, afterAck }) => {
    const cleaningId = payload.cleaning_id;
    const access = await readLogAccess(deps, actor, cleaningId);
    // Hold before joining, so that every push from the join on is either covered by the answer or follows it.
    relay.hold(socket, cleaningId);
    try {
      if (access.role === 'owner') await socket.join(roomForCleaning(cleaningId));
      let result: CleaningSnapshot | EventsSince;
      let coveredUpTo: number;
      if (payload.since === undefined) {
        const snapshot = await readCleaningSnapshot(deps, actor, cleaningId);
        result = { cleaning: snapshot.cleaning, offers: snapshot.offers, seq: snapshot.seq };
        coveredUpTo = snapshot.seq;
      } else {
        const replay = await replayFor(deps, actor, socket, relay, cleaningId, payload.since);
        result = replay.page;
        coveredUpTo = replay.coveredUpTo;
      }
      afterAck(() => relay.release(socket, cleaningId, coveredUpTo));
      return result;
    } catch (e) {
      relay.release(socket, cleaningId);
      throw e;
    }
  });

  commands.on('cleaning:unsubscribe', cleaningRef, async ({ socket, payload }) => {
    const room = roomForCleaning(payload.cleaning_id);
    if (socket.rooms.has(room)) {
      await socket.leave(room);
      relay.stopTracking(socket, payload.cleaning_id);
    }
    return null;
  });

  commands.on('offers:sync', offersSyncPayload, async ({ deps, actor, socket, payload, afterAck }) => {
    const cursors = Object.entries(payload.cursors)
      .map(([id, seq]) => [Number(id), seq] as const)
      .slice(0, MAX_SYNC_CURSORS);
    const events: OfferEventPublic[] = [];
    let more = false;
    for (const [cleaningId, since] of cursors) {
      relay.hold(socket, cleaningId);
      try {
        const { page, coveredUpTo } = await replayFor(deps, actor, socket, relay, cleaningId, since);
        events.push(...page.events);
        more ||= page.more;
        afterAck(() => relay.release(socket, cleaningId, coveredUpTo));
      } catch (e) {
        relay.release(socket, cleaningId);
        // A cursor for a cleaning that is gone, or was never the caller's, contributes nothing.
        if (!isDomainError(e) || (e.status !== 403 && e.status !== 404)) {
          for (const [otherId] of cursors) relay.release(socket, otherId);
          throw e;
        }
      }
    }
    return { events, more } satisfies OffersSyncResult;
  });

  commands.on('feed:subscribe', emptyPayload, async ({ socket }) => {
    await socket.join(FEED_ROOM);
    return null;
  });
  commands.on('feed:unsubscribe', emptyPayload, async ({ socket }) => {
    await socket.leave(FEED_ROOM);
    return null;
  });
}
