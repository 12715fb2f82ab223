// Reading a cleaning's offer log for a caller: who may read how much of it, replays in pages, and first loads.
import type { CleaningPublic, OfferEventPublic, OfferPublic } from '../contract/schemas.ts';
import type { Em } from '../db/orm.ts';
import { IsolationLevel } from '@mikro-orm/core';
import {
  readLogHeadRows,
  readStretchesRows,
  readStretchRows,
  type LogStretch,
} from '../db/queries/event-log.ts';
import { readOffersWithOfferers } from '../db/queries/offers.ts';
import type { Actor, Deps } from './context.ts';
import { domainError } from './errors.ts';
import { findCleaningOrFail } from './cleanings.ts';
import { cleaningPublic, offerEventPublic, offerer, offerPublic, standingOf } from './public-views.ts';
import { MAX_DB_ID } from '../contract/schemas.ts';

/** Most events one read returns; callers page on with the last seq they got. */
export const MAX_EVENTS_PER_READ = 5000;
/**
 * A replay's page over a socket also stops before its events' JSON passes this size (always with at least one
 * event), so that one answer never holds more than this in a socket's output.
 */
export const MAX_BYTES_PER_READ = 256 * 1024;

/** How many of `events` fit in one page's bytes. */
function countWithinBytes(events: readonly unknown[], maxBytes: number): number {
  if (maxBytes === Infinity) return events.length;
  // The array's brackets, then each event and its separating comma.
  let bytes = 2;
  for (let i = 0; i < events.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(events[i])) + (i > 0 ? 1 : 0);
    if (bytes > maxBytes) return Math.max(1, i);
  }
  return events.length;
}

/** Who may read a cleaning's log, and how much of it. */
export type LogAccess = { role: 'owner' } | { role: 'offerer'; userId: number };

/** A log's last seq, and how much of it the actor may read (`undefined`: none of it). */
type LogHead = { seq: number; access: LogAccess | undefined };

/** The heads of several cleanings' logs, for the actor; a cleaning that does not exist is absent. */
async function readLogHeads(em: Em, actor: Actor, cleaningIds: number[]): Promise<Map<number, LogHead>> {
  const ids = [...new Set(cleaningIds.filter((id) => id <= MAX_DB_ID))];
  if (ids.length === 0) return new Map();
  const rows = await readLogHeadRows(em, actor.id, ids);
  return new Map(
    rows.map((row) => {
      // Anyone who ever offered may read the events about their own offer, even after rescinding it.
      const access: LogAccess | undefined =
        row.owner === actor.id
          ? { role: 'owner' }
          : row.offered
            ? { role: 'offerer', userId: actor.id }
            : undefined;
      return [row.id, { seq: Number(row.last_seq), access }];
    }),
  );
}

async function readLogHead(
  em: Em,
  actor: Actor,
  cleaningId: number,
): Promise<{ access: LogAccess; seq: number }> {
  const head = (await readLogHeads(em, actor, [cleaningId])).get(cleaningId);
  if (!head) throw domainError('CLEANING_NOT_FOUND');
  if (!head.access) throw domainError('EVENTS_FORBIDDEN');
  return { access: head.access, seq: head.seq };
}

/** How far a read goes: the log's head, or just before `before` when that event is already on its way. */
const readableUpTo = (seq: number, before: number | undefined) =>
  before === undefined ? seq : Math.min(seq, before - 1);

/** Whether the actor may read the cleaning's log, and how much: 404 if it does not exist, 403 if not at all. */
export async function readLogAccess(
  deps: Pick<Deps, 'em'>,
  actor: Actor,
  cleaningId: number,
): Promise<LogAccess> {
  return (await readLogHead(deps.em, actor, cleaningId)).access;
}

/** A page of one cleaning's log: `seq` is its head when read; `coveredUpTo`, how far the page accounts for. */
export type VisibleEvents = { events: OfferEventPublic[]; seq: number; more: boolean; coveredUpTo: number };

/**
 * The events after `since` that the actor may see, in seq order, up to the log's head at the time of reading
 * (`seq`), or up to just before `before`. `more` says a page limit (events or bytes) cut the list short.
 */
export async function readVisibleEvents(
  deps: Pick<Deps, 'em'>,
  actor: Actor,
  cleaningId: number,
  since: number,
  {
    limit = MAX_EVENTS_PER_READ,
    maxBytes = Infinity,
    before,
  }: { limit?: number; maxBytes?: number; before?: number } = {},
): Promise<VisibleEvents & { access: LogAccess }> {
  const { access, seq } = await readLogHead(deps.em, actor, cleaningId);
  const upTo = readableUpTo(seq, before);
  if (since >= upTo) return { events: [], seq, more: false, coveredUpTo: upTo, access };
  const rows = await readStretchRows(
    deps.em,
    { cleaningId, since, upTo, onlyUserId: access.role === 'offerer' ? access.userId : 0 },
    limit + 1,
  );
  const read = rows.slice(0, limit).map(offerEventPublic);
  const events = read.slice(0, countWithinBytes(read, maxBytes));
  const more = rows.length > events.length;
  return { events, seq, more, coveredUpTo: more ? events.at(-1)!.seq : upTo, access };
}

/** Where a client stands in one cleaning's log: it has every event up to `since`; `before` is already on its way. */
export type LogCursor = { cleaningId: number; since: number; before?: number };

/**
 * Every visible event after each cursor, for many cleanings in two queries, cursor by cursor in the order given,
 * at most `limit` in all. A cursor for a cleaning that is gone, or that the actor may not read, is left out
 * (a client's list of cleanings goes stale), so `cursors` lists only those answered.
 */
export async function readMissedEvents(
  deps: Pick<Deps, 'em'>,
  actor: Actor,
  cursors: LogCursor[],
  limit = MAX_EVENTS_PER_READ,
): Promise<{
  events: OfferEventPublic[];
  more: boolean;
  /** `complete`: the cursor was read up to where it could be; otherwise a next call goes on from `coveredUpTo`. */
  cursors: { cleaningId: number; coveredUpTo: number; complete: boolean }[];
}> {
  const heads = await readLogHeads(
    deps.em,
    actor,
    cursors.map((c) => c.cleaningId),
  );
  const readable: LogStretch[] = cursors.flatMap((cursor) => {
    const head = heads.get(cursor.cleaningId);
    if (!head?.access) return [];
    const upTo = readableUpTo(head.seq, cursor.before);
    const onlyUserId = head.access.role === 'offerer' ? head.access.userId : 0;
    return [{ cleaningId: cursor.cleaningId, since: cursor.since, upTo, onlyUserId }];
  });
  const wanted = readable.filter((c) => c.since < c.upTo);
  const rows = wanted.length === 0 ? [] : await readStretchesRows(deps.em, wanted, limit + 1);
  const read = rows.slice(0, limit).map(offerEventPublic);
  const events = read.slice(0, countWithinBytes(read, MAX_BYTES_PER_READ));
  const more = rows.length > events.length;
  // Cut short, the answer covers the cursors before the cut, the cut one up to its last event, and none after.
  const lastReturned = new Map(events.map((e) => [e.cleaning_id, e.seq]));
  const cut = more ? events.at(-1)!.cleaning_id : undefined;
  let pastCut = false;
  const covered = readable.map((c) => {
    let coveredUpTo: number;
    if (c.cleaningId === cut) {
      pastCut = true;
      coveredUpTo = lastReturned.get(c.cleaningId)!;
    } else coveredUpTo = pastCut && c.since < c.upTo ? c.since : c.upTo;
    return { cleaningId: c.cleaningId, coveredUpTo, complete: coveredUpTo >= c.upTo };
  });
  return { events, more, cursors: covered };
}

/** A cleaning's offers as the actor may see them, with the log position they correspond to. */
export type CleaningSnapshot = {
  cleaning: CleaningPublic;
  offers: OfferPublic[];
  seq: number;
  access: LogAccess;
};

/**
 * A consistent picture for a first load: the cleaning, its offers (all of them for the owner, the caller's own
 * otherwise) and the seq they reflect, all read in one repeatable-read snapshot.
 */
export async function readCleaningSnapshot(
  deps: Pick<Deps, 'em'>,
  actor: Actor,
  cleaningId: number,
): Promise<CleaningSnapshot> {
  return deps.em.transactional(
    async (tx) => {
      const { access, seq } = await readLogHead(tx, actor, cleaningId);
      const cleaning = await findCleaningOrFail(tx, cleaningId);
      const offers = await readOffersWithOfferers(
        tx,
        cleaningId,
        access.role === 'offerer' ? access.userId : undefined,
      );
      return {
        cleaning: cleaningPublic(cleaning, standingOf(cleaning)),
        offers: offers.map((r) => offerPublic(r, { user: offerer(r) })),
        seq,
        access,
      };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}
