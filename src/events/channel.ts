// The one place that knows what a node hears on the event channel: every other module sees `Announcement`.
import type { OfferEventPublic } from '../contract/schemas.ts';
import { noticeCleaningId, type LoggedNotice } from './notices.ts';

/** The PostgreSQL NOTIFY channel on which every committed append is announced to every node. */
export const EVENT_CHANNEL = 'phresh_events';

// NOTIFY payloads must stay under 8000 bytes; bigger ones are announced by position and read back.
const MAX_INLINE_PAYLOAD = 7000;

/**
 * What a node hears: offer events (inline, or a seq range to read back) or a notice (inline, or its id).
 * `cleaningId` (or `userId`) comes first in the payload, so that interest can be decided before decoding it all.
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

/** `eventsJson`, when given, is `JSON.stringify(events)` already made by the caller (events are serialised once). */
export function encodeOffers(cleaningId: number, events: OfferEventPublic[], eventsJson?: string): string {
  const users = [...new Set(events.map((e) => e.user_id))].join(',');
  const start = `{"c":${cleaningId},"f":${events[0]!.seq},"t":${events.at(-1)!.seq}`;
  const inline = `${start},"u":[${users}],"e":${eventsJson ?? JSON.stringify(events)}}`;
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

export function encodeNotice(logged: LoggedNotice): string {
  const c = noticeCleaningId(logged.notice);
  const inline = JSON.stringify({ c, n: logged });
  if (Buffer.byteLength(inline) <= MAX_INLINE_PAYLOAD) return inline;
  return JSON.stringify({ c, i: logged.id });
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
    if (raw.n !== undefined) return { kind: 'notice', cleaningId, logged: raw.n as LoggedNotice };
    if (typeof raw.i === 'string') return { kind: 'notice', cleaningId, id: raw.i };
    if (cleaningId === undefined) return undefined;
    if (Array.isArray(raw.e)) return { kind: 'offers', cleaningId, events: raw.e as OfferEventPublic[] };
    if (typeof raw.f === 'number' && typeof raw.t === 'number')
      return { kind: 'offers', cleaningId, fromSeq: raw.f, toSeq: raw.t };
  } catch {
    // A payload we cannot read is ignored; subscribers recover it through their resync.
  }
  return undefined;
}
