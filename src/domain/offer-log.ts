import type { CleaningPublic, OfferEventPublic, OfferEventType, OfferPublic } from '../contract/schemas.ts';
import { Cleaning, OfferEvent } from '../db/entities/index.ts';
import { encodeAnnouncement, OFFER_LOG_CHANNEL } from '../db/offer-log-channel.ts';
import type { Em } from '../db/orm.ts';
import { IsolationLevel } from '@mikro-orm/core';
import type { Actor, Deps } from './context.ts';
import { domainError } from './errors.ts';
import {
  cleaningPublic,
  offerEventPublic,
  offerPublicFromRow,
  userSummary,
  type OfferRow,
} from './public-views.ts';
import { MAX_DB_ID } from '../contract/schemas.ts';

/** One offer's change, about to become a log row. */
export type OfferChange = { type: OfferEventType; userId: number; offer: OfferPublic | null };

/** Most events one read returns; callers page on with the last seq they got. */
export const MAX_EVENTS_PER_READ = 5000;

/**
 * Appends one event per change to the cleaning's log, inside the caller's transaction, and announces them
 * with NOTIFY, which PostgreSQL delivers to every node only if and when the transaction commits.
 * The caller must hold the cleaning's row lock: that is what keeps seq gapless and in commit order.
 *
 * This is every command's hot path, so it is one statement (rows, last_seq and NOTIFY together) and the
 * events are serialised once, for both the rows and the announcement. `cleaning` is the position read under
 * the lock; it is not advanced here (an entity passed in would otherwise be written again by its unit of work).
 */
export async function appendOfferEvents(
  tx: Em,
  cleaning: Pick<Cleaning, 'id' | 'lastSeq'>,
  changes: OfferChange[],
): Promise<OfferEventPublic[]> {
  if (changes.length === 0) return [];
  const at = new Date().toISOString();
  let seq = cleaning.lastSeq;
  const events: OfferEventPublic[] = changes.map((c) => ({
    cleaning_id: cleaning.id,
    seq: ++seq,
    type: c.type,
    user_id: c.userId,
    offer: c.offer,
    at,
  }));
  const json = JSON.stringify(events);
  await tx.execute(
    `with appended as (
       insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
       select e.cleaning_id, e.seq, e.type, e.user_id, e.offer, e.at
         from jsonb_to_recordset(?::jsonb)
           as e(cleaning_id integer, seq bigint, type text, user_id integer, offer jsonb, at timestamptz)
     ), advanced as (
       update cleanings set last_seq = ? where id = ?
     )
     select pg_notify(?, ?)`,
    [json, seq, cleaning.id, OFFER_LOG_CHANNEL, encodeAnnouncement(cleaning.id, events, json)],
  );
  return events;
}

/** Who may read a cleaning's log, and how much of it. */
export type LogAccess = { role: 'owner' } | { role: 'offerer'; userId: number };

type LogHead = { owner: number; last_seq: string | number; offered: boolean };

async function readLogHead(
  em: Em,
  actor: Actor,
  cleaningId: number,
): Promise<{ access: LogAccess; seq: number }> {
  if (cleaningId > MAX_DB_ID) throw domainError('CLEANING_NOT_FOUND');
  const [head] = await em.execute<LogHead[]>(
    `select c.owner, c.last_seq,
            exists (select 1 from offer_events e where e.cleaning_id = c.id and e.user_id = ?) as offered
       from cleanings c where c.id = ?`,
    [actor.id, cleaningId],
  );
  if (!head) throw domainError('CLEANING_NOT_FOUND');
  if (head.owner === actor.id) return { access: { role: 'owner' }, seq: Number(head.last_seq) };
  // Anyone who ever offered may read the events about their own offer, even after rescinding it.
  if (head.offered) return { access: { role: 'offerer', userId: actor.id }, seq: Number(head.last_seq) };
  throw domainError('EVENTS_FORBIDDEN');
}

/** Whether the actor may read the cleaning's log, and how much: 404 if it does not exist, 403 if not at all. */
export async function readLogAccess(
  deps: Pick<Deps, 'em'>,
  actor: Actor,
  cleaningId: number,
): Promise<LogAccess> {
  return (await readLogHead(deps.em, actor, cleaningId)).access;
}

/** True when `access` may see `event`: the owner sees all, an offerer only their own offer's. */
export function canSee(access: LogAccess, event: Pick<OfferEventPublic, 'user_id'>): boolean {
  return access.role === 'owner' || event.user_id === access.userId;
}

/**
 * The events after `since` that the actor may see, in seq order, up to the log's head at the time of reading
 * (`seq`). `more` says a page limit cut the list short.
 */
export async function readVisibleEvents(
  deps: Pick<Deps, 'em'>,
  actor: Actor,
  cleaningId: number,
  since: number,
  { limit = MAX_EVENTS_PER_READ, before }: { limit?: number; before?: number } = {},
): Promise<{ events: OfferEventPublic[]; seq: number; more: boolean; access: LogAccess }> {
  const { access, seq } = await readLogHead(deps.em, actor, cleaningId);
  const upTo = before === undefined ? seq : Math.min(seq, before - 1);
  if (since >= upTo) return { events: [], seq, more: false, access };
  const rows = await deps.em.find(
    OfferEvent,
    {
      cleaningId,
      seq: { $gt: since, $lte: upTo },
      ...(access.role === 'offerer' ? { userId: access.userId } : {}),
    },
    { orderBy: { seq: 'asc' }, limit: limit + 1 },
  );
  const more = rows.length > limit;
  return { events: rows.slice(0, limit).map(offerEventPublic), seq, more, access };
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
      const cleaning = await tx.findOneOrFail(Cleaning, cleaningId);
      const offers = await readOffersWithOfferers(
        tx,
        cleaningId,
        access.role === 'offerer' ? access.userId : undefined,
      );
      return { cleaning: cleaningPublic(cleaning), offers, seq, access };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}

type OfferWithOffererRow = OfferRow & {
  username: string;
  has_profile: boolean;
  full_name: string | null;
  bio: string | null;
  image: string | null;
};

/**
 * A cleaning's offers (all, or one user's), newest first, each with its offerer's public data: one query,
 * mapped straight to the wire shape (first loads are read far more often than anything else).
 */
export async function readOffersWithOfferers(
  em: Em,
  cleaningId: number,
  onlyUserId?: number,
): Promise<OfferPublic[]> {
  const rows = await em.execute<OfferWithOffererRow[]>(
    `select o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at, u.username,
            p.user_id is not null as has_profile, p.full_name, p.bio, p.image
       from offers o
       join users u on u.id = o.user_id
       left join profiles p on p.user_id = o.user_id
      where o.cleaning_id = ? ${onlyUserId === undefined ? '' : 'and o.user_id = ?'}
      order by o.created_at desc, o.user_id desc`,
    onlyUserId === undefined ? [cleaningId] : [cleaningId, onlyUserId],
  );
  return rows.map((r) => ({
    ...offerPublicFromRow(r),
    user: userSummary(
      { id: r.user_id, username: r.username },
      r.has_profile ? { fullName: r.full_name, bio: r.bio, image: r.image } : null,
    ),
  }));
}

type EventRow = {
  cleaning_id: number;
  seq: string | number;
  type: OfferEventPublic['type'];
  user_id: number;
  offer: OfferPublic | string | null;
  at: Date | string;
};

function eventFromRow(r: EventRow): OfferEventPublic {
  return {
    cleaning_id: r.cleaning_id,
    seq: Number(r.seq),
    type: r.type,
    user_id: r.user_id,
    offer: typeof r.offer === 'string' ? (JSON.parse(r.offer) as OfferPublic) : r.offer,
    at: new Date(r.at).toISOString(),
  };
}

/**
 * Every event of a cleaning with seq in [fromSeq, toSeq], in order (for delivery, not for a caller). Every node
 * reads a big accept's events back through here, so the rows are mapped straight to the wire shape.
 */
export async function readEventRange(
  em: Em,
  cleaningId: number,
  fromSeq: number,
  toSeq: number,
): Promise<OfferEventPublic[]> {
  const rows = await em.execute<EventRow[]>(
    `select cleaning_id, seq, type, user_id, offer, at from offer_events
      where cleaning_id = ? and seq >= ? and seq <= ? order by seq`,
    [cleaningId, fromSeq, toSeq],
  );
  return rows.map(eventFromRow);
}

/** Every event recorded since `at`, by cleaning and seq (for a node catching up after a lost connection). */
export async function readEventsSince(em: Em, at: Date): Promise<OfferEventPublic[]> {
  const rows = await em.find(
    OfferEvent,
    { at: { $gte: at } },
    { orderBy: { cleaningId: 'asc', seq: 'asc' }, limit: 100_000 },
  );
  return rows.map(offerEventPublic);
}
