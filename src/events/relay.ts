import type { OfferEventPublic } from '../contract/schemas.ts';
import type { Logger } from '../logger.ts';
import { roomForCleaning, roomForUser } from '../realtime/rooms.ts';
import type { IoServer, IoSocket } from '../realtime/socket-types.ts';
import { createCatchUp } from './catch-up.ts';
import {
  decodeAnnouncement,
  PUSH_QUEUED,
  readOffersHeader,
  type Announcement,
  type OffersHeader,
} from './channel.ts';
import { createDeliveryQueue } from './delivery-queue.ts';
import type { EventListener } from './listeners.ts';
import type { LogPosition } from './log-reads.ts';
import { pushNotice } from './notice-pushes.ts';
import { noticeCleaningId, type LoggedNotice, type Notice } from './notices.ts';
import { createSocketGates } from './socket-gates.ts';

/** Reads back from the durable log: announcements too big to carry their events, gaps, and catch-ups. */
export type EventLogReader = {
  range(cleaningId: number, fromSeq: number, toSeq: number): Promise<OfferEventPublic[]>;
  /** A page of the offer events recorded since `at`, by cleaning and seq, after `after`; an empty page is the end. */
  since(at: Date, after?: LogPosition): Promise<OfferEventPublic[]>;
  notice(id: string): Promise<LoggedNotice | undefined>;
  /** A page of the notices recorded since `at`, in append order, after `afterPosition`; an empty page is the end. */
  noticesSince(at: Date, afterPosition?: number): Promise<{ position: number; logged: LoggedNotice }[]>;
};

export type EventRelay = {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Holds `socket`'s pushes of `cleaningId` until `release`; call before reading what the ack will carry. */
  hold(socket: IoSocket, cleaningId: number): void;
  /**
   * Ends a hold once the ack reflecting the log up to `seq` was sent: held events after `seq` go out now, in
   * order, and later pushes at or below `seq` are dropped. Without `seq` (the command failed), everything held goes out.
   */
  release(socket: IoSocket, cleaningId: number, seq?: number): void;
  /**
   * The first seq of `cleaningId` pushed to `socket` since it started receiving them, if any: every visible
   * event from there on was or will be pushed, so a replay must stop just before it.
   */
  firstPushed(socket: IoSocket, cleaningId: number): number | undefined;
  /** Holds every offer push to `socket` until its first `offers:sync` (a sync-first connection). */
  awaitSync(socket: IoSocket): void;
  /** The socket's first `offers:sync` holds `cleaningIds` now: call after `hold`ing them, before reading. */
  syncArrived(socket: IoSocket, cleaningIds: number[]): void;
  /** The socket no longer receives the cleaning's pushes through its room (it unsubscribed). */
  stopTracking(socket: IoSocket, cleaningId: number): void;
  /** The socket is gone. */
  forget(socket: IoSocket): void;
};

const MAX_TRACKED_CLEANINGS = 100_000;
const MAX_TRACKED_NOTICES = 100_000;

/** A cleaning's offer events and notices share its queue, so that they go out in commit order. */
const queueKey = (cleaningId: number | undefined) =>
  cleaningId === undefined ? 'accounts' : `cleaning:${cleaningId}`;

/** Forgets the oldest entry of an insertion-ordered map past `max`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number) {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * Pushes every committed event and notice to the sockets on this node that must hear it, in order per cleaning,
 * whichever node committed it. Each node hears every commit from PostgreSQL, so a change committed by a node
 * that died before pushing is still pushed by the others.
 */
export function createEventRelay(deps: {
  io: IoServer;
  listener: EventListener;
  reader: EventLogReader;
  logger: Logger;
  /** Told of every event this node pushes, with how long after its recording (relay lag). */
  onPushed?: (lagSeconds: number) => void;
  /** Told of every notice this node handles, before its pushes (e.g. to forget a closed account). */
  onNotice?: (notice: Notice) => void;
  /** Told of every offers announcement heard: passed over unread (no local socket needs it), or processed. */
  onAnnouncement?: (outcome: 'skipped' | 'processed') => void;
  /** Told of every read back of a cleaning's offer events: for an announcement too big to carry them, or a gap. */
  onReadBack?: (reason: 'announcement' | 'gap') => void;
  /** Told when a commit queued Web Push notifications (the push dispatcher wakes up). */
  onPushQueued?: () => void;
}): EventRelay {
  const { io, listener, reader, logger } = deps;
  const queue = createDeliveryQueue(logger);
  const gates = createSocketGates();
  /** Last offer seq this node pushed, per cleaning. */
  const delivered = new Map<number, number>();
  /** Notices this node pushed lately: a catch-up reads back some it had heard live. */
  const noticesPushed = new Map<string, true>();
  const rooms = () => io.of('/').adapter.rooms;
  const catchUp = createCatchUp({
    readMissed,
    resume: (live) => live.forEach(enqueue),
    logger,
    stopped: queue.stopped,
  });
  let sweeper: NodeJS.Timeout | undefined;

  function deliver(event: OfferEventPublic) {
    const targets = [roomForCleaning(event.cleaning_id), roomForUser(event.user_id)];
    const members = targets.map((r) => rooms().get(r)).filter((m): m is Set<string> => m !== undefined);
    const excluded = gates.screen(event, members);
    if (members.length > 0) {
      const operator = excluded.size > 0 ? io.local.to(targets).except([...excluded]) : io.local.to(targets);
      operator.emit('offer:event', event);
      for (const m of members)
        for (const socketId of m) if (!excluded.has(socketId)) gates.pushed(socketId, event);
    }
    remember(delivered, event.cleaning_id, event.seq, MAX_TRACKED_CLEANINGS);
    deps.onPushed?.((Date.now() - Date.parse(event.at)) / 1000);
  }

  async function processOffers(announcement: Extract<Announcement, { kind: 'offers' }>) {
    const { cleaningId } = announcement;
    if (!('events' in announcement)) deps.onReadBack?.('announcement');
    let events =
      'events' in announcement
        ? announcement.events
        : await reader.range(cleaningId, announcement.fromSeq, announcement.toSeq);
    const last = delivered.get(cleaningId);
    if (last !== undefined) {
      events = events.filter((e) => e.seq > last);
      const first = events[0];
      if (first && first.seq > last + 1) {
        // An announcement went missing (the listener reconnected): read the gap from the log first.
        deps.onReadBack?.('gap');
        events = [...(await reader.range(cleaningId, last + 1, first.seq - 1)), ...events];
      }
    }
    for (const event of events) deliver(event);
  }

  async function processNotice(announcement: Extract<Announcement, { kind: 'notice' }>) {
    const id = 'logged' in announcement ? announcement.logged.id : announcement.id;
    if (noticesPushed.has(id)) return;
    const logged = 'logged' in announcement ? announcement.logged : await reader.notice(id);
    if (!logged) return;
    remember(noticesPushed, id, true, MAX_TRACKED_NOTICES);
    deps.onNotice?.(logged.notice);
    pushNotice(io, logged.notice);
  }

  function enqueue(announcement: Announcement) {
    queue.push(queueKey(announcement.cleaningId), () =>
      announcement.kind === 'offers' ? processOffers(announcement) : processNotice(announcement),
    );
  }

  /** Whether a socket of this node is in a room the announced events go to (undefined users: it cannot tell). */
  function wanted(header: OffersHeader): boolean {
    const all = rooms();
    if (all.has(roomForCleaning(header.cleaningId)) || header.userIds === undefined) return true;
    return header.userIds.some((userId) => all.has(roomForUser(userId)));
  }

  /**
   * Passes over an offers announcement no local socket needs, as if its events had been pushed to nobody,
   * which is what processing them would do; true if it did. A socket joining the cleaning's room later gets
   * them in its subscribe answer, read after it joined. After a gap the announcement is processed, since the
   * missing events may be for other users.
   */
  function skipped(header: OffersHeader): boolean {
    const last = delivered.get(header.cleaningId);
    if (last !== undefined && header.fromSeq > last + 1) return false;
    if (wanted(header)) return false;
    if (last === undefined || header.toSeq > last)
      remember(delivered, header.cleaningId, header.toSeq, MAX_TRACKED_CLEANINGS);
    deps.onAnnouncement?.('skipped');
    return true;
  }

  function processHeard(payload: string, header: OffersHeader | undefined): Promise<void> {
    if (header && skipped(header)) return Promise.resolve();
    const announcement = decodeAnnouncement(payload);
    if (!announcement) return Promise.resolve();
    if (announcement.kind === 'notice') return processNotice(announcement);
    deps.onAnnouncement?.('processed');
    return processOffers(announcement);
  }

  function hear(payload: string) {
    if (payload === PUSH_QUEUED) return deps.onPushQueued?.();
    const header = readOffersHeader(payload);
    if (header && !catchUp.holding()) {
      // Nothing of this cleaning is waiting to go out, so the decision can be taken now, without queueing.
      const key = queueKey(header.cleaningId);
      if (!queue.busy(key) && skipped(header)) return;
      queue.push(key, () => processHeard(payload, header));
      return;
    }
    const announcement = decodeAnnouncement(payload);
    if (announcement && !catchUp.keep(announcement)) enqueue(announcement);
  }

  async function readMissed(from: Date): Promise<number> {
    let count = 0;
    let page: OfferEventPublic[] = [];
    do {
      const last = page.at(-1);
      const after = last && { cleaningId: last.cleaning_id, seq: last.seq };
      page = await queue.retrying('event log catch-up', {}, () => reader.since(from, after));
      count += page.length;
      const byCleaning = new Map<number, OfferEventPublic[]>();
      for (const e of page) byCleaning.set(e.cleaning_id, [...(byCleaning.get(e.cleaning_id) ?? []), e]);
      for (const [cleaningId, events] of byCleaning) enqueue({ kind: 'offers', cleaningId, events });
    } while (page.length > 0);
    let position = 0;
    let notices: { position: number; logged: LoggedNotice }[] = [];
    do {
      notices = await queue.retrying('event log catch-up', {}, () => reader.noticesSince(from, position));
      count += notices.length;
      for (const { logged } of notices)
        enqueue({ kind: 'notice', cleaningId: noticeCleaningId(logged.notice), logged });
      position = notices.at(-1)?.position ?? position;
    } while (notices.length > 0);
    return count;
  }

  function sweep() {
    for (const { socketId, events } of gates.sweep(Date.now())) {
      const socket = io.of('/').sockets.get(socketId);
      for (const e of events) socket?.emit('offer:event', e);
    }
  }

  return {
    async start() {
      await listener.start(hear, (downSince) => catchUp.reconnected(downSince));
      sweeper = setInterval(sweep, 5_000).unref();
    },
    async stop() {
      clearInterval(sweeper);
      const stopped = queue.stop();
      await listener.stop();
      await Promise.allSettled([catchUp.settled(), stopped]);
    },
    hold: (socket, cleaningId) => gates.hold(socket.id, cleaningId),
    release(socket, cleaningId, seq) {
      for (const e of gates.release(socket.id, cleaningId, seq, delivered.get(cleaningId)))
        socket.emit('offer:event', e);
    },
    firstPushed: (socket, cleaningId) => gates.firstPushed(socket.id, cleaningId),
    awaitSync: (socket) => gates.awaitSync(socket.id),
    syncArrived(socket, cleaningIds) {
      for (const e of gates.syncArrived(socket.id, cleaningIds)) socket.emit('offer:event', e);
    },
    stopTracking: (socket, cleaningId) => gates.stopTracking(socket.id, cleaningId),
    forget: (socket) => gates.forget(socket.id),
  };
}
