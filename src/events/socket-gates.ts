import type { OfferEventPublic } from '../contract/schemas.ts';

/**
 * A socket's pushes of one cleaning are held while a snapshot or replay is read for it (`holding`), then
 * anything the answer already covered is dropped until this node has passed that point (`filtering`).
 */
type Gate =
  | { state: 'holding'; buffer: OfferEventPublic[]; since: number }
  | { state: 'filtering'; upTo: number; since: number };

// NOTIFY is delivered within milliseconds; a filter older than this can no longer catch anything.
const GATE_TTL_MS = 30_000;

/** Per socket and cleaning: what an answer covers, so that answers and pushes never overlap. */
export type SocketGates = {
  hold(socketId: string, cleaningId: number): void;
  /**
   * Ends a hold once the ack reflecting the log up to `seq` was sent, and answers the held events after `seq`,
   * to send now in order; later pushes at or below `seq` are dropped. Without `seq` (the command failed),
   * everything held is answered. `lastDelivered` is the last seq of the cleaning this node pushed.
   */
  release(
    socketId: string,
    cleaningId: number,
    seq: number | undefined,
    lastDelivered: number | undefined,
  ): OfferEventPublic[];
  /** The sockets among `members` that must not get `event` now (held: kept for later; covered: dropped). */
  screen(event: OfferEventPublic, members: Set<string>[]): Set<string>;
  /** Holds every push to the socket until `syncArrived` (a connection that asked for a sync-first start). */
  awaitSync(socketId: string): void;
  /**
   * Ends `awaitSync` once the socket's first `offers:sync` holds `cleaningIds`: what was kept for those joins
   * their holds, to be screened against the answer; the rest is answered, to send now in order.
   */
  syncArrived(socketId: string, cleaningIds: number[]): OfferEventPublic[];
  /** Notes that `event` went to `socketId`, for `firstPushed`. */
  pushed(socketId: string, event: OfferEventPublic): void;
  /** The first seq of `cleaningId` pushed to the socket since it started receiving them, if any. */
  firstPushed(socketId: string, cleaningId: number): number | undefined;
  stopTracking(socketId: string, cleaningId: number): void;
  forget(socketId: string): void;
  /** Drops gates too old to matter, answering what held ones still kept, to send now. */
  sweep(now: number): { socketId: string; events: OfferEventPublic[] }[];
};

export function createSocketGates(): SocketGates {
  const gates = new Map<number, Map<string, Gate>>();
  const gatesBySocket = new Map<string, Set<number>>();
  const firstPushedBySocket = new Map<string, Map<number, number>>();
  const awaitingSync = new Map<string, OfferEventPublic[]>();

  function remove(cleaningId: number, socketId: string) {
    const perCleaning = gates.get(cleaningId);
    perCleaning?.delete(socketId);
    if (perCleaning?.size === 0) gates.delete(cleaningId);
    const perSocket = gatesBySocket.get(socketId);
    perSocket?.delete(cleaningId);
    if (perSocket?.size === 0) gatesBySocket.delete(socketId);
  }

  function pushed(socketId: string, event: OfferEventPublic) {
    let perSocket = firstPushedBySocket.get(socketId);
    if (!perSocket) firstPushedBySocket.set(socketId, (perSocket = new Map()));
    if (!perSocket.has(event.cleaning_id)) perSocket.set(event.cleaning_id, event.seq);
  }

  return {
    hold(socketId, cleaningId) {
      let perCleaning = gates.get(cleaningId);
      if (!perCleaning) gates.set(cleaningId, (perCleaning = new Map()));
      const existing = perCleaning.get(socketId);
      perCleaning.set(socketId, {
        state: 'holding',
        buffer: existing?.state === 'holding' ? existing.buffer : [],
        since: Date.now(),
      });
      let perSocket = gatesBySocket.get(socketId);
      if (!perSocket) gatesBySocket.set(socketId, (perSocket = new Set()));
      perSocket.add(cleaningId);
    },
    release(socketId, cleaningId, seq, lastDelivered) {
      const gate = gates.get(cleaningId)?.get(socketId);
      if (!gate || gate.state !== 'holding') return [];
      const upTo = seq ?? -1;
      const after = gate.buffer.filter((e) => e.seq > upTo);
      for (const e of after) pushed(socketId, e);
      if (seq === undefined || after.length > 0 || (lastDelivered !== undefined && lastDelivered >= seq)) {
        remove(cleaningId, socketId);
      } else {
        gates.get(cleaningId)!.set(socketId, { state: 'filtering', upTo: seq, since: Date.now() });
      }
      return after;
    },
    screen(event, members) {
      const excluded = new Set<string>();
      const perCleaning = gates.get(event.cleaning_id) ?? new Map<string, Gate>();
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
          remove(event.cleaning_id, socketId);
        }
      }
      for (const [socketId, kept] of awaitingSync) {
        if (excluded.has(socketId) || !members.some((m) => m.has(socketId))) continue;
        kept.push(event);
        excluded.add(socketId);
      }
      return excluded;
    },
    awaitSync(socketId) {
      awaitingSync.set(socketId, []);
    },
    syncArrived(socketId, cleaningIds) {
      const kept = awaitingSync.get(socketId);
      if (!kept) return [];
      awaitingSync.delete(socketId);
      const held = new Set(cleaningIds);
      const now: OfferEventPublic[] = [];
      for (const e of kept) {
        const gate = gates.get(e.cleaning_id)?.get(socketId);
        if (held.has(e.cleaning_id) && gate?.state === 'holding') gate.buffer.push(e);
        else {
          now.push(e);
          pushed(socketId, e);
        }
      }
      return now;
    },
    pushed,
    firstPushed: (socketId, cleaningId) => firstPushedBySocket.get(socketId)?.get(cleaningId),
    stopTracking(socketId, cleaningId) {
      firstPushedBySocket.get(socketId)?.delete(cleaningId);
      remove(cleaningId, socketId);
    },
    forget(socketId) {
      for (const cleaningId of gatesBySocket.get(socketId) ?? []) gates.get(cleaningId)?.delete(socketId);
      gatesBySocket.delete(socketId);
      firstPushedBySocket.delete(socketId);
      awaitingSync.delete(socketId);
    },
    sweep(now) {
      const due: { socketId: string; events: OfferEventPublic[] }[] = [];
      for (const [cleaningId, perCleaning] of gates) {
        for (const [socketId, gate] of perCleaning) {
          if (now - gate.since < GATE_TTL_MS) continue;
          if (gate.state === 'holding') due.push({ socketId, events: gate.buffer });
          remove(cleaningId, socketId);
        }
      }
      return due;
    },
  };
}
