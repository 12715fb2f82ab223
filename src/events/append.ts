import { randomUUID } from 'node:crypto';
import type { OfferEventType } from '../contract/schemas.ts';
import type { OfferEventRow } from '../db/queries/event-log.ts';
import { insertEvents } from '../db/queries/event-log.ts';
import type { Em } from '../db/orm.ts';
import { pushRecipient } from '../push/recipients.ts';
import { EVENT_CHANNEL, PUSH_QUEUED, encodeNotice, encodeOffers } from './channel.ts';
import type { LoggedNotice, Notice } from './notices.ts';
import { noticeRecord, offerRecord, type OfferRecord } from './stored-events.ts';

/** One offer's change, about to become a log row: its offer's record after the change (`null`: it went away). */
export type OfferChange = { type: OfferEventType; userId: number; offer: Omit<OfferRecord, 'v'> | null };

/** Whether a text anywhere in `value` holds a lone surrogate. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasLoneSurrogate);
  return false;
}

/**
 * `notice`, or a copy whose texts hold no lone surrogate: jsonb refuses the `\udXXX` escape JSON.stringify
 * writes for one, while a text column stores U+FFFD in its place, so the notice carries what the row holds.
 */
function wellFormed(notice: Notice): Notice {
  if (!hasLoneSurrogate(notice)) return notice;
  return JSON.parse(
    JSON.stringify(notice, (_key, value: unknown) =>
      typeof value === 'string' ? value.toWellFormed() : value,
    ),
  ) as Notice;
}

/**
 * What one command appends: a cleaning's offer events (with its owner and log position, read under its row
 * lock), notices.
 */
export type Appended = {
  offers?: { cleaning: { id: number; owner: number; lastSeq: number }; changes: OfferChange[] };
  notices?: Notice[];
};

/**
 * Appends a command's events inside its transaction, and announces them with NOTIFY, which PostgreSQL delivers
 * to every node only if and when the transaction commits, in commit order. Offer events take the next seqs
 * of their cleaning's log: the caller must hold the cleaning's row lock, which keeps seq gapless and in
 * commit order. The cleaning's position is not advanced in memory (an entity passed in would otherwise be
 * written again by its unit of work).
 *
 * Each offer event also queues its Web Push notifications in the push outbox, one row per subscription of the
 * user it is for; when any was queued, the dispatchers are woken with a `PUSH_QUEUED` announcement.
 *
 * This is every command's hot path, so it is one call of a database function (rows, last_seq, outbox and
 * NOTIFY together, with plans kept per session), and the events are serialised once, for the rows and the
 * announcement. Rows hold each event's own data (see `stored-events.ts`), never its wire shape.
 */
export async function appendEvents(tx: Em, appended: Appended): Promise<void> {
  const at = new Date().toISOString();
  const announcements: string[] = [];

  const offers = appended.offers;
  let offerRows:
    | { json: string; cleaningId: number; lastSeq: number; pushes: { seq: number; recipient: number }[] }
    | undefined;
  if (offers && offers.changes.length > 0) {
    let seq = offers.cleaning.lastSeq;
    const pushes: { seq: number; recipient: number }[] = [];
    const rows = offers.changes.map((c) => {
      seq += 1;
      pushes.push({
        seq,
        recipient: pushRecipient(c.type, { ownerId: offers.cleaning.owner, offererId: c.userId }),
      });
      return {
        cleaning_id: offers.cleaning.id,
        seq,
        type: c.type,
        user_id: c.userId,
        offer: c.offer && offerRecord(c.offer),
        at,
      } satisfies OfferEventRow;
    });
    const json = JSON.stringify(rows);
    offerRows = { json, cleaningId: offers.cleaning.id, lastSeq: seq, pushes };
    announcements.push(encodeOffers(offers.cleaning.id, rows, json));
  }

  // Each notice's row (id, type, stored data) is serialised once, for the insert and the announcement.
  const notices = (appended.notices ?? []).map((given) => {
    const logged: LoggedNotice = { id: randomUUID(), notice: wellFormed(given) };
    const row = JSON.stringify({
      id: logged.id,
      type: logged.notice.type,
      data: noticeRecord(logged.notice),
    });
    return { logged, row };
  });
  const noticesJson = notices.length === 0 ? undefined : `[${notices.map((n) => n.row).join(',')}]`;
  announcements.push(...notices.map((n) => encodeNotice(n.logged, n.row)));

  const [first, ...more] = announcements;
  if (first === undefined) return;
  await insertEvents(tx, {
    offers: offerRows,
    noticesJson,
    at,
    channel: EVENT_CHANNEL,
    announcements: [first, ...more],
    pushWake: PUSH_QUEUED,
  });
}
