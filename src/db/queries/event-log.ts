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
 * One statement for a command's whole append: offer event rows (`offerEventsJson`, a JSON array of rows) and
 * the cleaning's new log position, notice rows (`noticesJson`), and one `pg_notify` per announcement, which
 * PostgreSQL delivers only if and when the transaction commits.
 */
export async function insertEvents(
  tx: Em,
  appended: {
    offers?: { json: string; cleaningId: number; lastSeq: number };
    noticesJson?: string;
    channel: string;
    announcements: string[];
    /**
     * Queues the offer events' Web Push notifications in the outbox (owner-bound and offerer-bound event
     * types), and sends `wake` on the channel when any was queued.
     */
    push?: { ownerTypes: string; offererTypes: string; wake: string };
  },
): Promise<void> {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (appended.offers) {
    parts.push(
      `offers_appended as (
         insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
         select e.cleaning_id, e.seq, e.type, e.user_id, e.offer, e.at
           from jsonb_to_recordset(?::jsonb)
             as e(cleaning_id integer, seq bigint, type text, user_id integer, offer jsonb, at timestamptz)
       )`,
      `advanced as (update cleanings set last_seq = ? where id = ?)`,
    );
    params.push(appended.offers.json, appended.offers.lastSeq, appended.offers.cleaningId);
  }
  const push = appended.offers ? appended.push : undefined;
  if (appended.offers && push) {
    parts.push(
      `push_queued as (
         insert into push_outbox (subscription_id, cleaning_id, seq, created_at)
         select s.id, e.cleaning_id, e.seq, e.at
           from jsonb_to_recordset(?::jsonb)
             as e(cleaning_id integer, seq bigint, type text, user_id integer, at timestamptz)
           join cleanings c on c.id = e.cleaning_id
           join push_subscriptions s
             on s.user_id = case when e.type = any(?::text[]) then c.owner
                                 when e.type = any(?::text[]) then e.user_id end
         returning 1
       )`,
    );
    params.push(appended.offers.json, push.ownerTypes, push.offererTypes);
  }
  if (appended.noticesJson !== undefined) {
    parts.push(
      `notices_appended as (
         insert into notices (id, type, data, at)
         select n.id, n.type, n.data, n.at
           from jsonb_to_recordset(?::jsonb) as n(id uuid, type text, data jsonb, at timestamptz)
       )`,
    );
    params.push(appended.noticesJson);
  }
  for (const payload of appended.announcements) params.push(appended.channel, payload);
  const notifies = appended.announcements.map(() => 'pg_notify(?, ?)');
  if (push) {
    notifies.push('(select pg_notify(?, ?) from push_queued limit 1)');
    params.push(appended.channel, push.wake);
  }
  await tx.execute(`with ${parts.join(', ')} select ${notifies.join(', ')}`, params);
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
