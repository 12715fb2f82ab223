// Every statement on `offers`. The offer commands are every socket's hot path: they read and write with plain
// SQL in their transaction (no entities to hydrate, track and diff).
import type { OfferStatus } from '../../contract/schemas.ts';
import type { Em } from '../orm.ts';
import type { CleaningColumns, StandingColumns } from './cleanings.ts';
import { standingJoin } from './cleanings.ts';
import { reputationJoin, type ReputationColumns } from './evaluations.ts';
import { intArray } from './sql-values.ts';

/** An `offers` row as the driver returns it. */
export type OfferRow = {
  cleaning_id: number;
  user_id: number;
  status: OfferStatus;
  created_at: Date | string;
  updated_at: Date | string;
};

const OFFER_COLUMNS = 'cleaning_id, user_id, status, created_at, updated_at';

/** Every offer on the cleaning, oldest first (the order in which their events are written). */
export function readOfferRows(tx: Em, cleaningId: number): Promise<OfferRow[]> {
  return tx.execute<OfferRow[]>(
    `select ${OFFER_COLUMNS} from offers where cleaning_id = ? order by created_at, user_id`,
    [cleaningId],
  );
}

/** One user's offer on a cleaning. */
export async function readOfferRow(
  em: Em,
  cleaningId: number,
  userId: number,
): Promise<OfferRow | undefined> {
  const [row] = await em.execute<OfferRow[]>(
    `select ${OFFER_COLUMNS} from offers where cleaning_id = ? and user_id = ?`,
    [cleaningId, userId],
  );
  return row;
}

/**
 * What a viewer of one user's offer needs, in one statement: the cleaning's owner, whether the user (by
 * username key) exists, and their offer; `undefined` when the cleaning does not exist.
 */
export async function readOfferForViewer(
  em: Em,
  cleaningId: number,
  usernameKey: string,
): Promise<{ owner: number; offerer_id: number | null; offer: OfferRow | undefined } | undefined> {
  const [row] = await em.execute<
    (Partial<OfferRow> & { owner: number; offerer_id: number | null; has_offer: boolean })[]
  >(
    `select c.owner, u.id as offerer_id, o.user_id is not null as has_offer,
            o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at
       from cleanings c
       left join users u on u.username_key = ?
       left join offers o on o.cleaning_id = c.id and o.user_id = u.id
      where c.id = ?
      limit 1`,
    [usernameKey, cleaningId],
  );
  if (!row) return undefined;
  const { owner, offerer_id, has_offer, ...offer } = row;
  return { owner, offerer_id, offer: has_offer ? (offer as OfferRow) : undefined };
}

/**
 * Inserts a pending offer unless the user already has one or the cleaning has a completed offer (checked in
 * the insert, so that the usual case stays one statement); `undefined` when it was not inserted.
 */
export async function insertPendingOffer(
  tx: Em,
  cleaningId: number,
  userId: number,
  now: string,
): Promise<OfferRow | undefined> {
  const [row] = await tx.execute<OfferRow[]>(
    `insert into offers (cleaning_id, user_id, status, created_at, updated_at)
     select ?, ?, 'pending', ?::timestamptz, ?::timestamptz
      where not exists (select 1 from offers where cleaning_id = ? and status = 'completed')
     on conflict (cleaning_id, user_id) do nothing
     returning ${OFFER_COLUMNS}`,
    [cleaningId, userId, now, now, cleaningId],
  );
  return row;
}

/** True when the cleaning has a completed offer. */
export async function hasCompletedOffer(tx: Em, cleaningId: number): Promise<boolean> {
  const [row] = await tx.execute<{ completed: boolean }[]>(
    `select exists (select 1 from offers where cleaning_id = ? and status = 'completed') as completed`,
    [cleaningId],
  );
  return row!.completed;
}

/** Sets `status` on the named offers and stamps them, in one statement whatever their number. */
export async function updateOfferStatuses(
  tx: Em,
  cleaningId: number,
  now: string,
  changes: { userId: number; status: OfferStatus }[],
): Promise<void> {
  if (changes.length === 0) return;
  const byStatus = new Map<OfferStatus, number[]>();
  for (const c of changes) byStatus.set(c.status, [...(byStatus.get(c.status) ?? []), c.userId]);
  const arms = [...byStatus].flatMap(([status, ids]) => [intArray(ids), status]);
  await tx.execute(
    `update offers set status = case ${[...byStatus].map(() => 'when user_id = any(?::int[]) then ?').join(' ')} end,
            updated_at = ?::timestamptz
      where cleaning_id = ? and user_id = any(?::int[])`,
    [...arms, now, cleaningId, intArray(changes.map((c) => c.userId))],
  );
}

export async function deleteOfferRow(tx: Em, cleaningId: number, userId: number): Promise<void> {
  await tx.execute('delete from offers where cleaning_id = ? and user_id = ?', [cleaningId, userId]);
}

/** An offer with its offerer's public data and track record. */
export type OfferWithOffererRow = OfferRow &
  ReputationColumns & {
    username: string;
    has_profile: boolean;
    full_name: string | null;
    bio: string | null;
    image: string | null;
  };

/**
 * A cleaning's offers (all, or one user's), newest first, each with its offerer's public data: one query
 * (first loads are read far more often than anything else).
 */
export function readOffersWithOfferers(
  em: Em,
  cleaningId: number,
  onlyUserId?: number,
): Promise<OfferWithOffererRow[]> {
  return em.execute<OfferWithOffererRow[]>(
    `select o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at, u.username,
            p.user_id is not null as has_profile, p.full_name, p.bio, p.image, reputation.*
       from offers o
       join users u on u.id = o.user_id
       left join profiles p on p.user_id = o.user_id
       ${reputationJoin('o.user_id')}
      where o.cleaning_id = ? ${onlyUserId === undefined ? '' : 'and o.user_id = ?'}
      order by o.created_at desc, o.user_id desc`,
    onlyUserId === undefined ? [cleaningId] : [cleaningId, onlyUserId],
  );
}

/** One of a user's offers with its cleaning (columns prefixed `c_`), its standing and its log head. */
export type MyOfferRow = OfferRow &
  StandingColumns & {
    [K in keyof Omit<CleaningColumns, 'id'> as `c_${K}`]: CleaningColumns[K];
  } & { c_last_seq: string | number };

/**
 * A user's offers across all cleanings, newest first, each with its cleaning and the cleaning's log head.
 * One statement, so one snapshot: offers and log heads agree.
 */
export function readOffersOfUser(em: Em, userId: number): Promise<MyOfferRow[]> {
  return em.execute<MyOfferRow[]>(
    `select o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at,
            c.owner as c_owner, c.name as c_name, c.description as c_description,
            c.cleaning_type as c_cleaning_type, c.price as c_price, c.last_seq as c_last_seq,
            c.created_at as c_created_at, c.updated_at as c_updated_at, standing.*
       from offers o
       join cleanings c on c.id = o.cleaning_id
       ${standingJoin('c')}
      where o.user_id = ?
      order by o.created_at desc, o.cleaning_id desc`,
    [userId],
  );
}
