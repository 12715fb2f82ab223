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

/** `eventsJson`, when given, is `JSON.stringify(events)` already made by the caller (events are serialised once). */
export function encodeOffers(cleaningId: number, events: OfferEventPublic[], eventsJson?: string): string {
  const inline = `{"c":${JSON.stringify(cleaningId)},"e":${eventsJson ?? JSON.stringify(events)}}`;
  if (Buffer.byteLength(inline) <= MAX_INLINE_PAYLOAD) return inline;
  return JSON.stringify({ c: cleaningId, f: events[0]!.seq, t: events.at(-1)!.seq });
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
