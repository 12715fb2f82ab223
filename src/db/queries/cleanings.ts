// Every statement on `cleanings`. A cleaning's `status` and `total_offers` (its standing) are never stored: they
// are read from its offers in the same statement as the cleaning, so they cannot disagree with the offers a
// reader sees next.
import type { CleaningStatus, CleaningType } from '../../contract/schemas.ts';
import type { Em } from '../orm.ts';

/** A `cleanings` row as the driver returns it (no entity, no identity map). */
export type CleaningRow = {
  id: number;
  owner: number;
  name: string;
  description: string | null;
  cleaning_type: CleaningType;
  price: string | number;
  last_seq: string | number;
  created_at: Date | string;
  updated_at: Date | string;
};

/** A cleaning's own columns, without its log position: what the wire and the job board's notices show. */
export type CleaningColumns = Omit<CleaningRow, 'last_seq'>;

/** Where a cleaning stands, derived from its offers. */
export type CleaningStanding = { status: CleaningStatus; total_offers: number };

/** The columns `standingJoin` adds, as they come back from the driver. */
export type StandingColumns = {
  standing_status: CleaningStanding['status'];
  standing_total_offers: number | string;
};

/** A cleaning with its standing, read in one statement. */
export type CleaningWithStandingRow = CleaningRow & StandingColumns;

/**
 * SQL: a lateral join adding `standing_status` and `standing_total_offers` for the cleaning aliased `alias`.
 * Per cleaning it reads the offers' primary key range; the at-most-one assigned offer decides the status.
 */
export function standingJoin(alias: string): string {
  return `cross join lateral (
    select count(*)::int as standing_total_offers,
           coalesce(max(case so.status when 'completed' then 'completed' when 'accepted' then 'assigned' end),
                    'open') as standing_status
      from offers so where so.cleaning_id = ${alias}.id
  ) standing`;
}

/** Locks the cleaning's row for the rest of the transaction and reads it. */
export async function lockCleaningRow(tx: Em, cleaningId: number): Promise<CleaningRow | undefined> {
  const [row] = await tx.execute<CleaningRow[]>('select * from cleanings where id = ? for update', [
    cleaningId,
  ]);
  return row;
}

/** One cleaning with its standing. */
export async function readCleaningRow(
  em: Em,
  cleaningId: number,
): Promise<CleaningWithStandingRow | undefined> {
  const [row] = await em.execute<CleaningWithStandingRow[]>(
    `select c.*, standing.* from cleanings c ${standingJoin('c')} where c.id = ?`,
    [cleaningId],
  );
  return row;
}

/** An owner's cleanings with their standings, newest first. */
export function readCleaningRowsOf(em: Em, ownerId: number): Promise<CleaningWithStandingRow[]> {
  return em.execute<CleaningWithStandingRow[]>(
    `select c.*, standing.* from cleanings c ${standingJoin('c')}
      where c.owner = ? order by c.created_at desc, c.id desc`,
    [ownerId],
  );
}

/** One cleaning's standing, read apart from its row (which a caller has locked: `for update` takes no aggregate). */
export async function readStandingRow(em: Em, cleaningId: number): Promise<StandingColumns | undefined> {
  const [row] = await em.execute<StandingColumns[]>(
    `select standing.* from cleanings c ${standingJoin('c')} where c.id = ?`,
    [cleaningId],
  );
  return row;
}

/** The fields an owner may set. */
export type CleaningFields = Pick<CleaningRow, 'name' | 'description' | 'cleaning_type'> & { price: number };

/** Inserts a cleaning; a new one has `updated_at` equal to `created_at` (the feed reads a difference as an edit). */
export async function insertCleaning(
  tx: Em,
  owner: number,
  fields: CleaningFields,
  now: string,
): Promise<CleaningRow> {
  const [row] = await tx.execute<CleaningRow[]>(
    `insert into cleanings (owner, name, description, cleaning_type, price, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz) returning *`,
    [owner, fields.name, fields.description, fields.cleaning_type, fields.price, now, now],
  );
  return row!;
}

/** Writes an edit of a locked cleaning; its log position is not touched. */
export async function updateCleaningFields(
  tx: Em,
  cleaningId: number,
  fields: CleaningFields,
  now: string,
): Promise<void> {
  await tx.execute(
    `update cleanings set name = ?, description = ?, cleaning_type = ?, price = ?, updated_at = ?::timestamptz
      where id = ?`,
    [fields.name, fields.description, fields.cleaning_type, fields.price, now, cleaningId],
  );
}

/** Deletes a cleaning; its offers and offer log go with it (foreign keys, `on delete cascade`). */
export async function deleteCleaningRow(tx: Em, cleaningId: number): Promise<void> {
  await tx.execute('delete from cleanings where id = ?', [cleaningId]);
}

/** A job-board row: the cleaning, its standing, the event it stands for, and its owner's public data. */
export type FeedRow = CleaningColumns &
  StandingColumns & {
    event_timestamp: Date | string;
    event_type: 'is_create' | 'is_update';
    username: string;
    full_name: string | null;
    bio: string | null;
    image: string | null;
  };

/**
 * One page of the job board: creations and edits of every cleaning strictly before the pair
 * (`before`, `beforeId`), newest first.
 */
export function readFeedRows(em: Em, before: Date, beforeId: number, limit: number): Promise<FeedRow[]> {
  return em.execute<FeedRow[]>(
    `with page as (
       select * from (
         (select id, created_at as event_timestamp, 'is_create' as event_type from cleanings
           where (created_at, id) < (?::timestamptz, ?::int) order by created_at desc, id desc limit ?)
         union all
         (select id, updated_at, 'is_update' from cleanings
           where updated_at <> created_at and (updated_at, id) < (?::timestamptz, ?::int)
           order by updated_at desc, id desc limit ?)
       ) merged
       order by event_timestamp desc, id desc
       limit ?
     )
     select c.id, c.owner, c.name, c.description, c.cleaning_type, c.price, c.created_at, c.updated_at,
            page.event_timestamp, page.event_type, u.username, p.full_name, p.bio, p.image, standing.*
       from page
       join cleanings c on c.id = page.id
       ${standingJoin('c')}
       join users u on u.id = c.owner
       left join profiles p on p.user_id = u.id
      order by page.event_timestamp desc, page.id desc`,
    [before.toISOString(), beforeId, limit, before.toISOString(), beforeId, limit, limit],
  );
}
