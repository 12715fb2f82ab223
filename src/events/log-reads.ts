// What delivery reads back from the log: never for a caller, only for the relay.
import type { OfferEventPublic } from '../contract/schemas.ts';
import type { Em } from '../db/orm.ts';
import {
  readEventRangeRows,
  readEventRowsSince,
  readNoticeRow,
  readNoticeRowsSince,
  type LogPosition,
  type NoticeRow,
} from '../db/queries/event-log.ts';
import { offerEventPublic } from '../domain/public-views.ts';
import type { LoggedNotice } from './notices.ts';
import { noticeOf } from './stored-events.ts';

export type { LogPosition };

/** Every event of a cleaning with seq in [fromSeq, toSeq], in order (a big accept's events, read by every node). */
export async function readEventRange(
  em: Em,
  cleaningId: number,
  fromSeq: number,
  toSeq: number,
): Promise<OfferEventPublic[]> {
  return (await readEventRangeRows(em, cleaningId, fromSeq, toSeq)).map(offerEventPublic);
}

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
  return (await readEventRowsSince(em, at, after, limit)).map(offerEventPublic);
}

const loggedNotice = (r: NoticeRow): LoggedNotice => ({ id: r.id, notice: noticeOf(r.type, r.data) });

/** One notice, for an announcement too big to carry it. */
export async function readNotice(em: Em, id: string): Promise<LoggedNotice | undefined> {
  const row = await readNoticeRow(em, id);
  return row && loggedNotice(row);
}

/** One page of the notices recorded since `at`, in the order appended, after `afterPosition`. */
export async function readNoticesSince(
  em: Em,
  at: Date,
  afterPosition = 0,
  limit = 10_000,
): Promise<{ position: number; logged: LoggedNotice }[]> {
  const rows = await readNoticeRowsSince(em, at, afterPosition, limit);
  return rows.map((r) => ({ position: Number(r.position), logged: loggedNotice(r) }));
}
