// What delivery reads back from the log: never for a caller, only for the relay.
import type { OfferEventPublic } from '../contract/schemas.ts';
import type { Em } from '../db/orm.ts';
import { offerEventPublicFromRow, type OfferEventRow } from '../domain/public-views.ts';
import type { LoggedNotice, Notice } from './notices.ts';

/**
 * Every event of a cleaning with seq in [fromSeq, toSeq], in order. Every node reads a big accept's events
 * back through here, so the rows are mapped straight to the wire shape.
 */
export async function readEventRange(
  em: Em,
  cleaningId: number,
  fromSeq: number,
  toSeq: number,
): Promise<OfferEventPublic[]> {
  const rows = await em.execute<OfferEventRow[]>(
    `select cleaning_id, seq, type, user_id, offer, at from offer_events
      where cleaning_id = ? and seq >= ? and seq <= ? order by seq`,
    [cleaningId, fromSeq, toSeq],
  );
  return rows.map(offerEventPublicFromRow);
}

/** Where a read of the whole offer log stopped: the next page starts after this event. */
export type LogPosition = { cleaningId: number; seq: number };

/**
 * One page of the offer events recorded since `at`, by cleaning and seq, after `after` (for a node catching
 * up after a lost connection). A page shorter than `limit` is the last.
 */
export async function readEventsSince(
  em: Em,
  at: Date,
  after: LogPosition = { cleaningId: 0, seq: 0 },
  limit = 10_000,
): Promise<OfferEventPublic[]> {
  const rows = await em.execute<OfferEventRow[]>(
    `select cleaning_id, seq, type, user_id, offer, at from offer_events
      where at >= ? and (cleaning_id, seq) > (?, ?)
      order by cleaning_id, seq limit ?`,
    [at, after.cleaningId, after.seq, limit],
  );
  return rows.map(offerEventPublicFromRow);
}

type NoticeRow = { id: string; position: string | number; type: Notice['type']; data: unknown };

const loggedNotice = (r: NoticeRow): LoggedNotice => ({
  id: r.id,
  notice: {
    type: r.type,
    ...((typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as object),
  } as Notice,
});

/** One notice, for an announcement too big to carry it. */
export async function readNotice(em: Em, id: string): Promise<LoggedNotice | undefined> {
  const [row] = await em.execute<NoticeRow[]>('select id, position, type, data from notices where id = ?', [
    id,
  ]);
  return row && loggedNotice(row);
}

/** One page of the notices recorded since `at`, in the order appended, after `afterPosition`. */
export async function readNoticesSince(
  em: Em,
  at: Date,
  afterPosition = 0,
  limit = 10_000,
): Promise<{ position: number; logged: LoggedNotice }[]> {
  const rows = await em.execute<NoticeRow[]>(
    `select id, position, type, data from notices where at >= ? and position > ? order by position limit ?`,
    [at, afterPosition, limit],
  );
  return rows.map((r) => ({ position: Number(r.position), logged: loggedNotice(r) }));
}
