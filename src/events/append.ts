import { randomUUID } from 'node:crypto';
import type { OfferEventPublic, OfferEventType, OfferPublic } from '../contract/schemas.ts';
import type { Em } from '../db/orm.ts';
import { EVENT_CHANNEL, encodeNotice, encodeOffers } from './channel.ts';
import type { LoggedNotice, Notice } from './notices.ts';

/** One offer's change, about to become a log row. */
export type OfferChange = { type: OfferEventType; userId: number; offer: OfferPublic | null };

/**
 * A copy of `notice` whose texts hold no lone surrogate: jsonb refuses the `\udXXX` escape JSON.stringify writes
 * for one, while a text column stores U+FFFD in its place, so the notice carries what the row holds.
 */
function wellFormed(notice: Notice): Notice {
  return JSON.parse(
    JSON.stringify(notice, (_key, value: unknown) =>
      typeof value === 'string' ? value.toWellFormed() : value,
    ),
  ) as Notice;
}

/** What one command appends: a cleaning's offer events (with its log position, read under its row lock), notices. */
export type Appended = {
  offers?: { cleaning: { id: number; lastSeq: number }; changes: OfferChange[] };
  notices?: Notice[];
};

/**
 * Appends a command's events inside its transaction, and announces them with NOTIFY, which PostgreSQL delivers
 * to every node only if and when the transaction commits, in commit order. Offer events take the next seqs
 * of their cleaning's log: the caller must hold the cleaning's row lock, which keeps seq gapless and in
 * commit order. The cleaning's position is not advanced in memory (an entity passed in would otherwise be
 * written again by its unit of work).
 *
 * This is every command's hot path, so it is one statement (rows, last_seq and NOTIFY together), and the
 * events are serialised once, for both the rows and the announcement.
 */
export async function appendEvents(tx: Em, appended: Appended): Promise<OfferEventPublic[]> {
  const at = new Date().toISOString();
  const parts: string[] = [];
  const params: unknown[] = [];
  const announcements: string[] = [];

  const offers = appended.offers;
  let events: OfferEventPublic[] = [];
  if (offers && offers.changes.length > 0) {
    let seq = offers.cleaning.lastSeq;
    events = offers.changes.map((c) => ({
      cleaning_id: offers.cleaning.id,
      seq: ++seq,
      type: c.type,
      user_id: c.userId,
      offer: c.offer,
      at,
    }));
    const json = JSON.stringify(events);
    parts.push(
      `offers_appended as (
         insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
         select e.cleaning_id, e.seq, e.type, e.user_id, e.offer, e.at
           from jsonb_to_recordset(?::jsonb)
             as e(cleaning_id integer, seq bigint, type text, user_id integer, offer jsonb, at timestamptz)
       )`,
      `advanced as (update cleanings set last_seq = ? where id = ?)`,
    );
    params.push(json, seq, offers.cleaning.id);
    announcements.push(encodeOffers(offers.cleaning.id, events, json));
  }

  const notices: LoggedNotice[] = (appended.notices ?? []).map((notice) => ({
    id: randomUUID(),
    notice: wellFormed(notice),
  }));
  if (notices.length > 0) {
    parts.push(
      `notices_appended as (
         insert into notices (id, type, data, at)
         select n.id, n.type, n.data, n.at
           from jsonb_to_recordset(?::jsonb) as n(id uuid, type text, data jsonb, at timestamptz)
       )`,
    );
    params.push(JSON.stringify(notices.map(({ id, notice: { type, ...data } }) => ({ id, type, data, at }))));
    announcements.push(...notices.map(encodeNotice));
  }

  if (announcements.length === 0) return events;
  for (const payload of announcements) params.push(EVENT_CHANNEL, payload);
  await tx.execute(
    `with ${parts.join(', ')} select ${announcements.map(() => 'pg_notify(?, ?)').join(', ')}`,
    params,
  );
  return events;
}
