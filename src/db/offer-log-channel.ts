import type { OfferEventPublic } from '../contract/schemas.ts';

/** The PostgreSQL NOTIFY channel on which committed offer-log appends are announced to every node. */
export const OFFER_LOG_CHANNEL = 'phresh_offer_log';

// NOTIFY payloads must stay under 8000 bytes; bigger batches are announced by range and read back.
const MAX_INLINE_PAYLOAD = 7000;

/** What a node hears: the events themselves, or the seq range to read from the log. */
export type OfferLogAnnouncement =
  { cleaningId: number; events: OfferEventPublic[] } | { cleaningId: number; fromSeq: number; toSeq: number };

/** `eventsJson`, when given, is `JSON.stringify(events)` already made by the caller (events are serialised once). */
export function encodeAnnouncement(
  cleaningId: number,
  events: OfferEventPublic[],
  eventsJson?: string,
): string {
  const inline = `{"c":${JSON.stringify(cleaningId)},"e":${eventsJson ?? JSON.stringify(events)}}`;
  if (Buffer.byteLength(inline) <= MAX_INLINE_PAYLOAD) return inline;
  return JSON.stringify({ c: cleaningId, f: events[0]!.seq, t: events.at(-1)!.seq });
}

export function decodeAnnouncement(payload: string): OfferLogAnnouncement | undefined {
  try {
    const raw = JSON.parse(payload) as { c?: unknown; e?: unknown; f?: unknown; t?: unknown };
    if (typeof raw.c !== 'number') return undefined;
    if (Array.isArray(raw.e)) return { cleaningId: raw.c, events: raw.e as OfferEventPublic[] };
    if (typeof raw.f === 'number' && typeof raw.t === 'number')
      return { cleaningId: raw.c, fromSeq: raw.f, toSeq: raw.t };
  } catch {
    // A payload we cannot read is ignored; subscribers recover it through their resync.
  }
  return undefined;
}
