// The one place that knows what a node hears on the event channel: every other module sees `Announcement`.
import type { OfferEventPublic } from '../contract/schemas.ts';
import type { OfferEventRow } from '../db/queries/event-log.ts';
import { offerEventPublic } from '../domain/public-views.ts';
import { noticeCleaningId, type LoggedNotice } from './notices.ts';
import { noticeOf, noticeRecord, type NoticeRecord } from './stored-events.ts';

/** The PostgreSQL NOTIFY channel on which every committed append is announced to every node. */
export const EVENT_CHANNEL = 'phresh_events';

/**
 * Announces that a commit queued Web Push notifications, so that every node's dispatcher claims them now.
 * It names no cleaning: the relay passes it to the dispatcher and nowhere else.
 */
export const PUSH_QUEUED = '{"p":1}';

// NOTIFY payloads must stay under 8000 bytes; bigger ones are announced by position and read back.
const MAX_INLINE_PAYLOAD = 7000;

/**
 * What a node hears: offer events (inline, or a seq range to read back) or a notice (inline, or its id).
 * `cleaningId` (or `userId`) comes first in the payload, so that interest can be decided before decoding it all.
 * Inline events and notices travel as the log stores them (their rows' records), and are read like rows.
 */
export type Announcement =
  | { kind: 'offers'; cleaningId: number; events: OfferEventPublic[] }
  | { kind: 'offers'; cleaningId: number; fromSeq: number; toSeq: number }
  | { kind: 'notice'; cleaningId: number | undefined; logged: LoggedNotice }
  | { kind: 'notice'; cleaningId: number | undefined; id: string };

/**
 * The fixed start of an offers announcement: its cleaning, its seqs, and the users whose offers it touches
 * (undefined when too many to list). That is everyone it is pushed to besides the cleaning's room, so a node
 * can tell from this alone whether any of its sockets needs it.
 */
export type OffersHeader = {
  cleaningId: number;
  fromSeq: number;
  toSeq: number;
  userIds: number[] | undefined;
};

// The header's fields come first and in this order, so that it is read with one anchored match. The payload is
// still one JSON object whose `e` or `f`/`t` mean what they always did: a node of the previous release reads it.
const OFFERS_HEADER = /^\{"c":(\d+),"f":(\d+),"t":(\d+)(?:,"u":\[([\d,]*)\])?/;

/**
 * `rows` are the log rows just appended, and `rowsJson` their `JSON.stringify`, already made for the insert
 * (events are serialised once): inline, they travel as the log stores them.
 */
export function encodeOffers(
  cleaningId: number,
  rows: { seq: number; user_id: number }[],
  rowsJson = JSON.stringify(rows),
): string {
  const users = [...new Set(rows.map((e) => e.user_id))].join(',');
  const start = `{"c":${cleaningId},"f":${rows[0]!.seq},"t":${rows.at(-1)!.seq}`;
  const inline = `${start},"u":[${users}],"e":${rowsJson}}`;
  if (Buffer.byteLength(inline) <= MAX_INLINE_PAYLOAD) return inline;
  const byPosition = `${start},"u":[${users}]}`;
  return byPosition.length <= MAX_INLINE_PAYLOAD ? byPosition : `${start}}`;
}

/** The header of an offers announcement, without decoding the rest; undefined for anything else. */
export function readOffersHeader(payload: string): OffersHeader | undefined {
  const match = OFFERS_HEADER.exec(payload);
  if (!match) return undefined;
  return {
    cleaningId: Number(match[1]),
    fromSeq: Number(match[2]),
    toSeq: Number(match[3]),
    userIds: match[4] === undefined ? undefined : match[4].split(',').filter(Boolean).map(Number),
  };
}

/** A notice as it travels inline: its row's id, type and stored data. */
type NoticeOnTheWire = { id: string; type: string; data: NoticeRecord };

/** `rowJson`, when given, is the notice's `NoticeOnTheWire` as JSON, already made for the insert. */
export function encodeNotice(
  logged: LoggedNotice,
  rowJson = JSON.stringify({
    id: logged.id,
    type: logged.notice.type,
    data: noticeRecord(logged.notice),
  } satisfies NoticeOnTheWire),
): string {
  const c = noticeCleaningId(logged.notice);
  const start = c === undefined ? '{' : `{"c":${c},`;
  const inline = `${start}"n":${rowJson}}`;
  if (Buffer.byteLength(inline) <= MAX_INLINE_PAYLOAD) return inline;
  return `${start}"i":${JSON.stringify(logged.id)}}`;
}

export function decodeAnnouncement(payload: string): Announcement | undefined {
  try {
    const raw = JSON.parse(payload) as {
      c?: unknown;
      e?: unknown;
      f?: unknown;
      t?: unknown;
      n?: unknown;
      i?: unknown;
    };
    const cleaningId = typeof raw.c === 'number' ? raw.c : undefined;
    if (raw.n !== undefined) {
      const n = raw.n as NoticeOnTheWire;
      return { kind: 'notice', cleaningId, logged: { id: n.id, notice: noticeOf(n.type, n.data) } };
    }
    if (typeof raw.i === 'string') return { kind: 'notice', cleaningId, id: raw.i };
    if (cleaningId === undefined) return undefined;
    if (Array.isArray(raw.e))
      return { kind: 'offers', cleaningId, events: (raw.e as OfferEventRow[]).map(offerEventPublic) };
    if (typeof raw.f === 'number' && typeof raw.t === 'number')
      return { kind: 'offers', cleaningId, fromSeq: raw.f, toSeq: raw.t };
  } catch {
    // A payload we cannot read is ignored; subscribers recover it through their resync.
  }
  return undefined;
}
