import { cleaningRef, emptyPayload, offersSyncPayload, subscribePayload } from '../contract/schemas.ts';
import type { CleaningSnapshot, EventsSince, OffersSyncResult } from '../contract/socket-events.ts';
import type { Actor, Deps } from '../domain/context.ts';
import { domainError } from '../domain/errors.ts';
import type { Metrics } from '../metrics.ts';
import {
  MAX_BYTES_PER_READ,
  readCleaningSnapshot,
  readLogAccess,
  readMissedEvents,
  readVisibleEvents,
} from '../domain/offer-log.ts';
import type { EventRelay } from '../events/relay.ts';
import type { CommandRunner } from './command-runner.ts';
import { FEED_ROOM, roomForCleaning } from './rooms.ts';
import { pendingOutput } from './slow-consumers.ts';
import type { IoSocket } from './socket-types.ts';

/** Replays one socket may have in flight: the SDK resubscribes four cleanings at a time beside one sync. */
const MAX_REPLAYS_IN_FLIGHT = 5;
const replaysInFlight = new WeakMap<IoSocket, number>();

/**
 * A client that asks for replays without reading the answers would have us build answer after answer for a
 * buffer it never empties, and hold database connections for it: past one page's worth of unread output, or a
 * few replays still being read, it must read before it may ask again. Returns the release of its slot.
 */
function startReplay(socket: IoSocket): () => void {
  const running = replaysInFlight.get(socket) ?? 0;
  if (running >= MAX_REPLAYS_IN_FLIGHT || pendingOutput(socket).bytes > MAX_BYTES_PER_READ) {
    throw domainError('UNREAD_ANSWERS');
  }
  replaysInFlight.set(socket, running + 1);
  return () => replaysInFlight.set(socket, (replaysInFlight.get(socket) ?? 1) - 1);
}

/**
 * Reads the events after `since` for a socket whose pushes of the cleaning are held. If pushes were already
 * flowing to it, the replay stops just before the first one pushed, so that nothing arrives twice.
 */
function replayFor(
  deps: Deps,
  actor: Actor,
  socket: IoSocket,
  relay: EventRelay,
  cleaningId: number,
  since: number,
) {
  const firstPushed = relay.firstPushed(socket, cleaningId);
  return readVisibleEvents(deps, actor, cleaningId, since, {
    maxBytes: MAX_BYTES_PER_READ,
    ...(firstPushed !== undefined ? { before: firstPushed } : {}),
  });
}

/** Subscriptions and catch-up: the socket side of the offer log, and the job board. */
export function registerSubscriptionHandlers({
  commands,
  relay,
  metrics,
}: {
  commands: CommandRunner;
  relay: EventRelay;
  metrics?: Pick<Metrics, 'replay'>;
}): void {
  commands.on('cleaning:subscribe', subscribePayload, async ({ deps, actor, socket, payload, afterAck }) => {
    afterAck(startReplay(socket));
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
        result = replay.more
          ? { events: replay.events, seq: replay.seq, more: true, next_since: replay.coveredUpTo }
          : { events: replay.events, seq: replay.seq, more: false };
        metrics?.replay('cleaning:subscribe', replay.events.length);
        coveredUpTo = replay.coveredUpTo;
        // A page cut short keeps the pushes held: one pushed now would overtake the pages still to come.
        if (replay.more) return result;
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
    afterAck(startReplay(socket));
    const cursors = Object.entries(payload.cursors).map(([id, since]) => ({ cleaningId: Number(id), since }));
    for (const { cleaningId } of cursors) relay.hold(socket, cleaningId);
    relay.syncArrived(
      socket,
      cursors.map((c) => c.cleaningId),
    );
    try {
      const read = await readMissedEvents(
        deps,
        actor,
        cursors.map((c) => {
          const firstPushed = relay.firstPushed(socket, c.cleaningId);
          return firstPushed === undefined ? c : { ...c, before: firstPushed };
        }),
      );
      const covered = new Map(read.cursors.map((c) => [c.cleaningId, c]));
      afterAck(() => {
        for (const { cleaningId } of cursors) {
          const cursor = covered.get(cleaningId);
          // A cursor still to be read keeps its pushes held, as a page cut short does.
          if (cursor && !cursor.complete) continue;
          relay.release(socket, cleaningId, cursor?.coveredUpTo);
        }
      });
      metrics?.replay('offers:sync', read.events.length);
      if (!read.more) return { events: read.events, more: false } satisfies OffersSyncResult;
      const next = read.cursors.filter((c) => !c.complete).map((c) => [String(c.cleaningId), c.coveredUpTo]);
      return {
        events: read.events,
        more: true,
        next_cursors: Object.fromEntries(next),
      } satisfies OffersSyncResult;
    } catch (e) {
      for (const { cleaningId } of cursors) relay.release(socket, cleaningId);
      throw e;
    }
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
