import type { CleaningPublic, OfferEventPublic, OfferEventType, OfferPublic } from '../contract/schemas.ts';
import { Cleaning, Offer, OfferEvent, Profile, User } from '../db/entities/index.ts';
import { encodeAnnouncement, OFFER_LOG_CHANNEL } from '../db/offer-log-channel.ts';
import type { Em } from '../db/orm.ts';
import { IsolationLevel } from '@mikro-orm/core';
import type { Actor, Deps } from './context.ts';
import { domainError } from './errors.ts';
import { cleaningPublic, offerEventPublic, offerPublic, userSummary } from './public-views.ts';
import { MAX_DB_ID } from '../contract/schemas.ts';

/** One offer's change, about to become a log row. */
export type OfferChange = { type: OfferEventType; userId: number; offer: OfferPublic | null };

/** Most events one read returns; callers page on with the last seq they got. */
export const MAX_EVENTS_PER_READ = 5000;

/**
 * Appends one event per change to the cleaning's log, inside the caller's transaction, and announces them
 * with NOTIFY, which PostgreSQL delivers to every node only if and when the transaction commits.
 * The caller must hold the cleaning's row lock: that is what keeps seq gapless and in commit order.
 */
export async function appendOfferEvents(
  tx: Em,
  cleaning: Cleaning,
  changes: OfferChange[],
): Promise<OfferEventPublic[]> {
  if (changes.length === 0) return [];
  const at = new Date();
  let seq = cleaning.lastSeq;
  const rows = changes.map((c) =>
    tx.create(OfferEvent, {
      cleaningId: cleaning.id,
      seq: ++seq,
      type: c.type,
      userId: c.userId,
      offer: c.offer,
      at,
    }),
  );
  cleaning.lastSeq = seq;
  await tx.flush();
  const events = rows.map(offerEventPublic);
  await tx.execute('select pg_notify(?, ?)', [OFFER_LOG_CHANNEL, encodeAnnouncement(cleaning.id, events)]);
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
      const offers = await tx.find(
        Offer,
        { cleaningId, ...(access.role === 'offerer' ? { userId: access.userId } : {}) },
        { orderBy: { createdAt: 'desc', userId: 'desc' } },
      );
      return { cleaning: cleaningPublic(cleaning), offers: await withOfferers(tx, offers), seq, access };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}

/** Offers with their offerers' public data, loaded in two queries whatever the number of offers. */
export async function withOfferers(em: Em, offers: Offer[]): Promise<OfferPublic[]> {
  if (offers.length === 0) return [];
  const ids = [...new Set(offers.map((o) => o.userId))];
  const users = await em.find(User, { id: { $in: ids } }, { fields: ['id', 'username'] });
  const profiles = await em.find(Profile, { userId: { $in: ids } });
  const userById = new Map(users.map((u) => [u.id, u]));
  const profileByUser = new Map(profiles.map((p) => [p.userId, p]));
  return offers.map((o) => {
    const user = userById.get(o.userId);
    return offerPublic(o, { user: user ? userSummary(user, profileByUser.get(o.userId) ?? null) : null });
  });
}

/** Every event of a cleaning with seq in [fromSeq, toSeq], in order (for delivery, not for a caller). */
export async function readEventRange(
  em: Em,
  cleaningId: number,
  fromSeq: number,
  toSeq: number,
): Promise<OfferEventPublic[]> {
  const rows = await em.find(
    OfferEvent,
    { cleaningId, seq: { $gte: fromSeq, $lte: toSeq } },
    { orderBy: { seq: 'asc' } },
  );
  return rows.map(offerEventPublic);
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
