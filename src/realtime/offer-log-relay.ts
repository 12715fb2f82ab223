import { setTimeout as sleep } from 'node:timers/promises';
import type { OfferEventPublic } from '../contract/schemas.ts';
import { decodeAnnouncement, type OfferLogAnnouncement } from '../db/offer-log-channel.ts';
import type { Logger } from '../logger.ts';
import { roomForCleaning, roomForUser } from './rooms.ts';
import type { IoServer, IoSocket } from './socket-types.ts';

/**
 * Hears committed offer-log appends (PostgreSQL NOTIFY). After it had to reconnect, it reports so before it
 * passes on anything heard on the new connection.
 */
export type OfferLogListener = {
  start(onPayload: (payload: string) => void, onReconnected: (downSince: Date) => void): Promise<void>;
  stop(): Promise<void>;
};

/** Reads events back from the durable log, for announcements too big to inline and for gaps. */
export type OfferLogReader = {
  range(cleaningId: number, fromSeq: number, toSeq: number): Promise<OfferEventPublic[]>;
  /** A page of the events recorded since `at`, by cleaning and seq, after `after`; an empty page is the end. */
  since(at: Date, after?: { cleaningId: number; seq: number }): Promise<OfferEventPublic[]>;
};

/**
 * A socket's pushes of one cleaning are held while a snapshot or replay is read for it (`holding`), then
 * anything the answer already covered is dropped until this node has passed that point (`filtering`).
 */
type Gate =
  | { state: 'holding'; buffer: OfferEventPublic[]; since: number }
  | { state: 'filtering'; upTo: number; since: number };

export type OfferLogRelay = {
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
  /** The socket no longer receives the cleaning's pushes through its room (it unsubscribed). */
  stopTracking(socket: IoSocket, cleaningId: number): void;
  /** The socket is gone. */
  forget(socket: IoSocket): void;
  /** Last seq this node pushed, per cleaning (for tests and diagnostics). */
  delivered(cleaningId: number): number | undefined;
};

const MAX_TRACKED_CLEANINGS = 100_000;
// NOTIFY is delivered within milliseconds; a filter older than this can no longer catch anything.
const GATE_TTL_MS = 30_000;
// A reconnect's catch-up looks this far back before the outage, to cover announcements in flight when it began.
const CATCH_UP_MARGIN_MS = 10_000;
// A read that failed (the database is restarting) is tried again after a pause that doubles up to the maximum.
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * Pushes every committed offer event to the sockets on this node that may see it, in seq order per cleaning,
 * whichever node committed it. Each node hears every commit from PostgreSQL, so an event committed by a node
 * that died before pushing is still pushed by the others.
 */
export function createOfferLogRelay(deps: {
  io: IoServer;
  listener: OfferLogListener;
  reader: OfferLogReader;
  logger: Logger;
  /** Told of every event this node pushes, with how long after its recording (relay lag). */
  onPushed?: (lagSeconds: number) => void;
}): OfferLogRelay {
  const { io, listener, reader, logger } = deps;
  const delivered = new Map<number, number>();
  const queues = new Map<number, Promise<void>>();
  const gates = new Map<number, Map<string, Gate>>();
  const gatesBySocket = new Map<string, Set<number>>();
  const firstPushedBySocket = new Map<string, Map<number, number>>();
  const rooms = () => io.of('/').adapter.rooms;
  let sweeper: NodeJS.Timeout | undefined;
  const stopping = new AbortController();
  /** Announcements heard while a catch-up runs, in the order heard. */
  let heldLive: OfferLogAnnouncement[] | undefined;
  let catchUpFrom: Date | undefined;
  let catchingUp: Promise<void> | undefined;

  function remember(cleaningId: number, seq: number) {
    delivered.delete(cleaningId);
    delivered.set(cleaningId, seq);
    if (delivered.size > MAX_TRACKED_CLEANINGS) {
      const oldest = delivered.keys().next().value;
      if (oldest !== undefined) delivered.delete(oldest);
    }
  }

  function markPushed(socketId: string, cleaningId: number, seq: number) {
    let perSocket = firstPushedBySocket.get(socketId);
    if (!perSocket) firstPushedBySocket.set(socketId, (perSocket = new Map()));
    if (!perSocket.has(cleaningId)) perSocket.set(cleaningId, seq);
  }

  function removeGate(cleaningId: number, socketId: string) {
    const perCleaning = gates.get(cleaningId);
    perCleaning?.delete(socketId);
    if (perCleaning?.size === 0) gates.delete(cleaningId);
    const perSocket = gatesBySocket.get(socketId);
    perSocket?.delete(cleaningId);
    if (perSocket?.size === 0) gatesBySocket.delete(socketId);
  }

  function deliver(event: OfferEventPublic) {
    const targets = [roomForCleaning(event.cleaning_id), roomForUser(event.user_id)];
    const members = targets.map((r) => rooms().get(r)).filter((m): m is Set<string> => m !== undefined);
    const excluded = new Set<string>();
    const perCleaning = gates.get(event.cleaning_id);
    if (perCleaning) {
      for (const [socketId, gate] of perCleaning) {
        const receives = members.some((m) => m.has(socketId));
        if (gate.state === 'holding') {
          if (receives) {
            gate.buffer.push(event);
            excluded.add(socketId);
          }
        } else if (event.seq <= gate.upTo) {
          if (receives) excluded.add(socketId);
        } else {
          // This node is past what the socket's ack covered: nothing older can come any more.
          removeGate(event.cleaning_id, socketId);
        }
      }
    }
    if (members.length > 0) {
      const operator = excluded.size > 0 ? io.local.to(targets).except([...excluded]) : io.local.to(targets);
      operator.emit('offer:event', event);
      for (const m of members)
        for (const socketId of m)
          if (!excluded.has(socketId)) markPushed(socketId, event.cleaning_id, event.seq);
    }
    remember(event.cleaning_id, event.seq);
    deps.onPushed?.((Date.now() - Date.parse(event.at)) / 1000);
  }

  async function process(announcement: OfferLogAnnouncement) {
    const { cleaningId } = announcement;
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
        events = [...(await reader.range(cleaningId, last + 1, first.seq - 1)), ...events];
      }
    }
    for (const event of events) deliver(event);
  }

  /**
   * Runs `read` until it succeeds or the relay stops. Dropping a failed announcement is not an option: sockets
   * already pushed a later event of the cleaning are only resynced from the point of that push on.
   */
  async function retrying<T>(what: string, context: object, read: () => Promise<T>): Promise<T> {
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        return await read();
      } catch (err) {
        if (stopping.signal.aborted) throw err;
        logger.warn({ err, ...context, retryInMs: delay }, `${what} failed; retrying`);
        await sleep(delay, undefined, { signal: stopping.signal });
      }
    }
  }

  function enqueue(announcement: OfferLogAnnouncement) {
    const { cleaningId } = announcement;
    const previous = queues.get(cleaningId) ?? Promise.resolve();
    const next = previous
      .then(() => retrying('pushing offer events', { cleaningId }, () => process(announcement)))
      .catch((err: unknown) => {
        if (!stopping.signal.aborted) logger.error({ err, cleaningId }, 'could not push offer events');
      })
      .finally(() => {
        if (queues.get(cleaningId) === next) queues.delete(cleaningId);
      });
    queues.set(cleaningId, next);
  }

  function hear(payload: string) {
    const announcement = decodeAnnouncement(payload);
    if (!announcement) return;
    if (heldLive) heldLive.push(announcement);
    else enqueue(announcement);
  }

  /**
   * After the listener was deaf, reads from the log what it may have missed, then lets the live announcements
   * heard meanwhile through. They must wait: one processed first for a cleaning this node had not pushed yet
   * would become its starting point, and the missed events before it would be dropped as already pushed.
   */
  function reconnected(downSince: Date) {
    heldLive ??= [];
    if (!catchUpFrom || downSince < catchUpFrom) catchUpFrom = downSince;
    if (!catchingUp) {
      catchingUp = catchUp()
        .catch((err: unknown) => {
          if (!stopping.signal.aborted) logger.error({ err }, 'offer log catch-up failed');
        })
        .finally(() => {
          catchingUp = undefined;
          const live = heldLive ?? [];
          heldLive = undefined;
          if (!stopping.signal.aborted) for (const announcement of live) enqueue(announcement);
        });
    }
  }

  async function catchUp() {
    // Another reconnect during a read asks for one more read from its own start.
    while (catchUpFrom) {
      const from = new Date(catchUpFrom.getTime() - CATCH_UP_MARGIN_MS);
      catchUpFrom = undefined;
      let count = 0;
      let page: OfferEventPublic[] = [];
      do {
        const last = page.at(-1);
        const after = last && { cleaningId: last.cleaning_id, seq: last.seq };
        page = await retrying('offer log catch-up', {}, () => reader.since(from, after));
        count += page.length;
        const byCleaning = new Map<number, OfferEventPublic[]>();
        for (const e of page) {
          const list = byCleaning.get(e.cleaning_id) ?? [];
          list.push(e);
          byCleaning.set(e.cleaning_id, list);
        }
        for (const [cleaningId, events] of byCleaning) enqueue({ cleaningId, events });
      } while (page.length > 0);
      logger.info({ events: count }, 'offer log relay caught up after reconnect');
    }
  }

  function sweep() {
    const now = Date.now();
    for (const [cleaningId, perCleaning] of gates) {
      for (const [socketId, gate] of perCleaning) {
        if (now - gate.since < GATE_TTL_MS) continue;
        if (gate.state === 'holding') {
          const socket = io.of('/').sockets.get(socketId);
          for (const e of gate.buffer) socket?.emit('offer:event', e);
        }
        removeGate(cleaningId, socketId);
      }
    }
  }

  return {
    async start() {
      await listener.start(hear, reconnected);
      sweeper = setInterval(sweep, 5_000).unref();
    },
    async stop() {
      clearInterval(sweeper);
      stopping.abort();
      await listener.stop();
      await Promise.allSettled([catchingUp, ...queues.values()]);
    },
    hold(socket, cleaningId) {
      let perCleaning = gates.get(cleaningId);
      if (!perCleaning) gates.set(cleaningId, (perCleaning = new Map()));
      const existing = perCleaning.get(socket.id);
      perCleaning.set(socket.id, {
        state: 'holding',
        buffer: existing?.state === 'holding' ? existing.buffer : [],
        since: Date.now(),
      });
      let perSocket = gatesBySocket.get(socket.id);
      if (!perSocket) gatesBySocket.set(socket.id, (perSocket = new Set()));
      perSocket.add(cleaningId);
    },
    release(socket, cleaningId, seq) {
      const gate = gates.get(cleaningId)?.get(socket.id);
      if (!gate || gate.state !== 'holding') return;
      const upTo = seq ?? -1;
      const after = gate.buffer.filter((e) => e.seq > upTo);
      for (const e of after) {
        socket.emit('offer:event', e);
        markPushed(socket.id, cleaningId, e.seq);
      }
      const last = delivered.get(cleaningId);
      if (seq === undefined || after.length > 0 || (last !== undefined && last >= seq)) {
        removeGate(cleaningId, socket.id);
      } else {
        gates.get(cleaningId)!.set(socket.id, { state: 'filtering', upTo: seq, since: Date.now() });
      }
    },
    firstPushed(socket, cleaningId) {
      return firstPushedBySocket.get(socket.id)?.get(cleaningId);
    },
    stopTracking(socket, cleaningId) {
      firstPushedBySocket.get(socket.id)?.delete(cleaningId);
      removeGate(cleaningId, socket.id);
    },
    forget(socket) {
      for (const cleaningId of gatesBySocket.get(socket.id) ?? []) gates.get(cleaningId)?.delete(socket.id);
      gatesBySocket.delete(socket.id);
      firstPushedBySocket.delete(socket.id);
    },
    delivered(cleaningId) {
      return delivered.get(cleaningId);
    },
  };
}
