import type { OfferEventPublic, OfferStatus } from '../../src/contract/schemas.ts';

/** Rebuilds a cleaning's offer statuses (by user id) from its events alone. */
export function foldEvents(events: OfferEventPublic[]): Map<number, OfferStatus> {
  const state = new Map<number, OfferStatus>();
  for (const e of events) {
    if (e.type === 'rescinded') state.delete(e.user_id);
    else state.set(e.user_id, e.offer!.status);
  }
  return state;
}

/** True when the events' seqs are exactly 1..n, in order. */
export function isGapless(events: OfferEventPublic[]): boolean {
  return events.every((e, i) => e.seq === i + 1);
}

export const statusesByUser = (offers: { user_id: number; status: OfferStatus }[]) =>
  new Map(offers.map((o) => [o.user_id, o.status]));
