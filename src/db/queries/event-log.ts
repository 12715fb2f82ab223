// Every statement on the event log: `offer_events` (per cleaning, gapless seqs) and `notices`. Rows hold each
// event's own data in a versioned record (see src/events/stored-events.ts), never a wire shape.
import type { OfferEventType } from '../../contract/schemas.ts';
import type { Em } from '../orm.ts';
import { intArray } from './sql-values.ts';

/** An `offer_events` row as the driver returns it; `offer` is the stored record (JSON text from some drivers). */
export type OfferEventRow = {
  cleaning_id: number;
  seq: string | number;
  type: OfferEventType;
  user_id: number;
  offer: unknown;
  at: Date | string;
};

/** A `notices` row; `data` is the stored record (JSON text from some drivers). */
export type NoticeRow = { id: string; position: string | number; type: string; data: unknown };

const EVENT_COLUMNS = 'cleaning_id, seq, type, user_id, offer, at';

/**
 * A command's whole append in one call of `append_events` (migration 0008): offer event rows (`offers.json`, a
 * JSON array of rows) and the cleaning's new log position, notice rows (`noticesJson`, a JSON array of
 * `{id, type, data}`), the offer events' Web Push notifications (one per subscription of each event's
 * recipient), and one `pg_notify` per announcement, which PostgreSQL delivers only if and when the transaction
 * commits.
 */
export async function insertEvents(
  tx: Em,
  appended: {
    offers?: {
      json: string;
      cleaningId: number;
      lastSeq: number;
      /** Each event's seq and the user its notification is for, to be queued for each of their subscriptions. */
      pushes: { seq: number; recipient: number }[];
    };
    noticesJson?: string;
    at: string;
    channel: string;
    announcements: [string, ...string[]];
    /** Sent on the channel when a notification was queued, to wake the dispatchers. */
    pushWake: string;
  },
): Promise<void> {
  const { offers } = appended;
  await tx.execute(
    `select append_events(?::jsonb, ?::integer, ?::bigint, ?::jsonb, ?::integer[], ?::bigint[], ?::timestamptz, ?, ?, ${appended.announcements.map(() => '?').join(', ')})`,
    [
      offers?.json ?? null,
      offers?.cleaningId ?? null,
      offers?.lastSeq ?? null,
      appended.noticesJson ?? null,
      offers ? intArray(offers.pushes.map((p) => p.recipient)) : null,
      offers ? intArray(offers.pushes.map((p) => p.seq)) : null,
      appended.at,
      appended.channel,
      appended.pushWake,
      ...appended.announcements,
    ],
  );
}

/** A cleaning's log head, and whether `userId` owns the cleaning or ever offered on it. */
export type LogHeadRow = { id: number; owner: number; last_seq: string | number; offered: boolean };

/** The log heads of several cleanings; a cleaning that does not exist is absent. */
export function readLogHeadRows(em: Em, userId: number, cleaningIds: number[]): Promise<LogHeadRow[]> {
  return em.execute<LogHeadRow[]>(
    `select c.id, c.owner, c.last_seq,
            exists (select 1 from offer_events e where e.cleaning_id = c.id and e.user_id = ?) as offered
       from cleanings c where c.id = any(?::int[])`,
    [userId, intArray(cleaningIds)],
  );
}

/** A stretch of one cleaning's log to read: seqs in (`since`, `upTo`], only `onlyUserId`'s events unless 0. */
export type LogStretch = { cleaningId: number; since: number; upTo: number; onlyUserId: number };

/** One stretch's events in seq order, at most `limit`. */
export function readStretchRows(em: Em, stretch: LogStretch, limit: number): Promise<OfferEventRow[]> {
  const onlyOne = stretch.onlyUserId !== 0;
  return em.execute<OfferEventRow[]>(
    `select ${EVENT_COLUMNS} from offer_events
      where cleaning_id = ? and seq > ? and seq <= ? ${onlyOne ? 'and user_id = ?' : ''}
      order by seq limit ?`,
    [stretch.cleaningId, stretch.since, stretch.upTo, ...(onlyOne ? [stretch.onlyUserId] : []), limit],
  );
}

/** Several stretches' events in one query, stretch by stretch in the order given, then by seq; at most `limit`. */
export function readStretchesRows(em: Em, stretches: LogStretch[], limit: number): Promise<OfferEventRow[]> {
  return em.execute<OfferEventRow[]>(
    `select e.cleaning_id, e.seq, e.type, e.user_id, e.offer, e.at
       from unnest(?::int[], ?::bigint[], ?::bigint[], ?::int[]) with ordinality
            as q(cleaning_id, since, up_to, only_user_id, position)
       cross join lateral (
         select * from offer_events e
          where e.cleaning_id = q.cleaning_id and e.seq > q.since and e.seq <= q.up_to
            and (q.only_user_id = 0 or e.user_id = q.only_user_id)
          order by e.seq limit ?
       ) e
      order by q.position, e.seq
      limit ?`,
    [
      intArray(stretches.map((s) => s.cleaningId)),
      intArray(stretches.map((s) => s.since)),
      intArray(stretches.map((s) => s.upTo)),
      intArray(stretches.map((s) => s.onlyUserId)),
      limit,
      limit,
    ],
  );
}

/** Every event of a cleaning with seq in [fromSeq, toSeq], in order. */
export function readEventRangeRows(
  em: Em,
  cleaningId: number,
  fromSeq: number,
  toSeq: number,
): Promise<OfferEventRow[]> {
  return em.execute<OfferEventRow[]>(
    `select ${EVENT_COLUMNS} from offer_events
      where cleaning_id = ? and seq >= ? and seq <= ? order by seq`,
    [cleaningId, fromSeq, toSeq],
  );
}

/** Where a read of the whole offer log stopped: the next page starts after this event. */
export type LogPosition = { cleaningId: number; seq: number };

/** One page of the offer events recorded since `at`, by cleaning and seq, after `after`. */
export function readEventRowsSince(
  em: Em,
  at: Date,
  after: LogPosition,
  limit: number,
): Promise<OfferEventRow[]> {
  return em.execute<OfferEventRow[]>(
    `select ${EVENT_COLUMNS} from offer_events
      where at >= ? and (cleaning_id, seq) > (?, ?)
      order by cleaning_id, seq limit ?`,
    [at, after.cleaningId, after.seq, limit],
  );
}

export async function readNoticeRow(em: Em, id: string): Promise<NoticeRow | undefined> {
  const [row] = await em.execute<NoticeRow[]>('select id, position, type, data from notices where id = ?', [
    id,
  ]);
  return row;
}

/** One page of the notices recorded since `at`, in the order appended, after `afterPosition`. */
export function readNoticeRowsSince(
  em: Em,
  at: Date,
  afterPosition: number,
  limit: number,
): Promise<NoticeRow[]> {
  return em.execute<NoticeRow[]>(
    `select id, position, type, data from notices where at >= ? and position > ? order by position limit ?`,
    [at, afterPosition, limit],
  );
}

/** Deletes up to `limit` notices older than `retentionSeconds`; answers how many went. */
export async function deleteNoticesOlderThan(
  em: Em,
  retentionSeconds: number,
  limit: number,
): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from notices where id in (
       select id from notices where at < now() - make_interval(secs => ?) limit ?
     ) returning id`,
    [retentionSeconds, limit],
  );
  return rows.length;
}
