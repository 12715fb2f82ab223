// Every rule of the offer marketplace. Each command locks the cleaning's row first, so that its checks and
// writes see one state and its log appends get consecutive seqs; the schema backs every rule up.
import {
  MAX_DB_ID,
  type MyOffer,
  type OfferEventType,
  type OfferPublic,
  type OfferStatus,
} from '../contract/schemas.ts';
import { violatedConstraint } from '../db/db-errors.ts';
import type { Em } from '../db/orm.ts';
import type { Actor, Deps } from './context.ts';
import { domainError } from './errors.ts';
import type { ErrorCode } from '../contract/error-codes.ts';
import { accountKey } from './account-keys.ts';
import { findCleaningOrFail } from './cleanings.ts';
import { appendEvents, type OfferChange } from '../events/append.ts';
import type { Notice } from '../events/notices.ts';
import { readOffersWithOfferers } from './offer-log.ts';
import { standingJoin, standingOf, type StandingColumns } from './cleaning-standing.ts';
import {
  cleaningPublicFromRow,
  offerPublicFromRow,
  type CleaningRow,
  type OfferRow,
} from './public-views.ts';

/** The statuses an accept or a cancel moves offers to. */
type MovedTo = Extract<OfferStatus, OfferEventType>;

function sameUsername(a: string, b: string): boolean {
  return accountKey(a) === accountKey(b);
}

/** Runs `work` in one transaction and turns a constraint the checks could not foresee into its 400. */
export async function inTransaction<T>(em: Em, work: (tx: Em) => Promise<T>): Promise<T> {
  try {
    return await em.transactional(work);
  } catch (e) {
    const constraint = violatedConstraint(e);
    if (constraint === 'offers_pkey') throw domainError('DUPLICATE_OFFER', { cause: e });
    if (constraint === 'offers_one_assigned_per_cleaning')
      throw domainError('ALREADY_ACCEPTED', { cause: e });
    if (constraint === 'offers_cleaning_id_fkey') throw domainError('CLEANING_NOT_FOUND', { cause: e });
    throw e;
  }
}

/** Locks the cleaning's row for the rest of the transaction and reads it; ids beyond the column cannot exist. */
export async function lockCleaning(tx: Em, cleaningId: number): Promise<CleaningRow> {
  if (cleaningId > MAX_DB_ID) throw domainError('CLEANING_NOT_FOUND');
  const [row] = await tx.execute<CleaningRow[]>('select * from cleanings where id = ? for update', [
    cleaningId,
  ]);
  if (!row) throw domainError('CLEANING_NOT_FOUND');
  return row;
}

/** Every offer on the cleaning, oldest first (the order in which their events are written). */
export function readOffers(tx: Em, cleaningId: number): Promise<OfferRow[]> {
  return tx.execute<OfferRow[]>(
    'select cleaning_id, user_id, status, created_at, updated_at from offers where cleaning_id = ? order by created_at, user_id',
    [cleaningId],
  );
}

/**
 * An owner's command on one offerer's offer (accept, evaluate): the cleaning locked, the owner checked before
 * any user or offer is looked up (so that nobody can probe who offered), then the offerer and their offer.
 */
export async function lockOwnersOfferOf(
  tx: Em,
  actor: Actor,
  cleaningId: number,
  username: string,
  notOwner: ErrorCode,
): Promise<{ cleaning: CleaningRow; offers: OfferRow[]; offer: OfferRow }> {
  const cleaning = await lockCleaning(tx, cleaningId);
  if (cleaning.owner !== actor.id) throw domainError(notOwner);
  const [user] = await tx.execute<{ id: number }[]>('select id from users where username_key = ?', [
    accountKey(username),
  ]);
  if (!user) throw domainError('USER_NOT_FOUND');
  const offers = await readOffers(tx, cleaningId);
  const offer = offers.find((o) => o.user_id === user.id);
  if (!offer) throw domainError('OFFER_NOT_FOUND');
  return { cleaning, offers, offer };
}

/** Sets `status` on the named offers and stamps them, in one statement whatever their number. */
async function setStatuses(
  tx: Em,
  cleaningId: number,
  now: string,
  changes: { userId: number; status: OfferStatus }[],
): Promise<void> {
  if (changes.length === 0) return;
  const byStatus = new Map<OfferStatus, number[]>();
  for (const c of changes) byStatus.set(c.status, [...(byStatus.get(c.status) ?? []), c.userId]);
  const idList = (ids: number[]) => `{${ids.join(',')}}`;
  const arms = [...byStatus].flatMap(([status, ids]) => [idList(ids), status]);
  await tx.execute(
    `update offers set status = case ${[...byStatus].map(() => 'when user_id = any(?::int[]) then ?').join(' ')} end,
            updated_at = ?::timestamptz
      where cleaning_id = ? and user_id = any(?::int[])`,
    [...arms, now, cleaningId, idList(changes.map((c) => c.userId))],
  );
}

/** True when the cleaning has a completed offer (read under its row lock, so it holds until commit). */
async function isCompleted(tx: Em, cleaningId: number): Promise<boolean> {
  const [row] = await tx.execute<{ completed: boolean }[]>(
    `select exists (select 1 from offers where cleaning_id = ? and status = 'completed') as completed`,
    [cleaningId],
  );
  return row!.completed;
}

const logPosition = (cleaning: CleaningRow) => ({ id: cleaning.id, lastSeq: Number(cleaning.last_seq) });

/**
 * Moves offers of the locked cleaning to new statuses, stamped alike, and logs one event per offer (each
 * status it moves to is also its event's type), with the job board's `notice`. Returns the view of the
 * first, the one the command is about; `firstExtras` are added to that view and to its event.
 */
export async function moveOffers(
  tx: Em,
  cleaning: CleaningRow,
  moves: [{ offer: OfferRow; status: MovedTo }, ...{ offer: OfferRow; status: MovedTo }[]],
  notice: Notice,
  firstExtras: Pick<OfferPublic, 'evaluation'> = {},
): Promise<OfferPublic> {
  const now = new Date().toISOString();
  await setStatuses(
    tx,
    cleaning.id,
    now,
    moves.map((m) => ({ userId: m.offer.user_id, status: m.status })),
  );
  const views = moves.map((m) => offerPublicFromRow({ ...m.offer, status: m.status, updated_at: now }));
  views[0] = { ...views[0]!, ...firstExtras };
  const changes: OfferChange[] = moves.map((m, i) => ({
    type: m.status,
    userId: m.offer.user_id,
    offer: views[i]!,
  }));
  await appendEvents(tx, { offers: { cleaning: logPosition(cleaning), changes }, notices: [notice] });
  return views[0]!;
}

// The four offer commands are every socket's hot path: they read and write with plain SQL in their
// transaction (no entities to hydrate, track and diff), with the same checks in the same order.

/** O1: the caller offers to do someone else's cleaning, once per cleaning. */
export async function createOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic> {
  return inTransaction(deps.em, async (tx) => {
    const cleaning = await lockCleaning(tx, cleaningId);
    if (cleaning.owner === actor.id) throw domainError('OWN_CLEANING_OFFER');
    const now = new Date().toISOString();
    // A completed cleaning takes no offer; checked in the insert, so that the usual case stays one statement.
    const [row] = await tx.execute<OfferRow[]>(
      `insert into offers (cleaning_id, user_id, status, created_at, updated_at)
       select ?, ?, 'pending', ?::timestamptz, ?::timestamptz
        where not exists (select 1 from offers where cleaning_id = ? and status = 'completed')
       on conflict (cleaning_id, user_id) do nothing
       returning cleaning_id, user_id, status, created_at, updated_at`,
      [cleaningId, actor.id, now, now, cleaningId],
    );
    if (!row) {
      if (await isCompleted(tx, cleaningId)) throw domainError('CLEANING_COMPLETED');
      throw domainError('DUPLICATE_OFFER');
    }
    const view = offerPublicFromRow(row);
    await appendEvents(tx, {
      offers: {
        cleaning: logPosition(cleaning),
        changes: [{ type: 'created', userId: actor.id, offer: view }],
      },
    });
    return view;
  });
}

/** O2: the owner lists every offer on their cleaning, newest first, with each offerer's public data. */
export async function listOffers(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic[]> {
  const cleaning = await findCleaningOrFail(deps.em, cleaningId);
  if (!cleaning.isOwnedBy(actor.id)) throw domainError('OFFERS_FORBIDDEN');
  return readOffersWithOfferers(deps.em, cleaningId);
}

/**
 * O3: one user's offer, for the cleaning's owner or that user. Anyone else gets 403 before any lookup,
 * so that nobody can probe who offered on what (the original answered 404 first).
 */
export async function getOffer(
  deps: Deps,
  actor: Actor,
  cleaningId: number,
  username: string,
): Promise<OfferPublic> {
  if (cleaningId > MAX_DB_ID) throw domainError('CLEANING_NOT_FOUND');
  // One read of all three rows (a first load: no entities to hydrate); the checks keep their order.
  const [row] = await deps.em.execute<
    (Partial<OfferRow> & { owner: number; offerer_id: number | null; has_offer: boolean })[]
  >(
    `select c.owner, u.id as offerer_id, o.user_id is not null as has_offer,
            o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at
       from cleanings c
       left join users u on u.username_key = ?
       left join offers o on o.cleaning_id = c.id and o.user_id = u.id
      where c.id = ?
      limit 1`,
    [accountKey(username), cleaningId],
  );
  if (!row) throw domainError('CLEANING_NOT_FOUND');
  if (row.owner !== actor.id && !sameUsername(actor.username, username)) throw domainError('OFFER_FORBIDDEN');
  if (row.offerer_id === null) throw domainError('USER_NOT_FOUND');
  if (!row.has_offer) throw domainError('OFFER_NOT_FOUND');
  return offerPublicFromRow(row as OfferRow);
}

/**
 * O4: the owner accepts one pending offer; every other pending offer is rejected in the same transaction.
 * Ownership is checked before the user and offer lookups, for the same reason as in `getOffer`.
 */
export async function acceptOffer(
  deps: Deps,
  actor: Actor,
  cleaningId: number,
  username: string,
): Promise<OfferPublic> {
  return inTransaction(deps.em, async (tx) => {
    const { cleaning, offers, offer } = await lockOwnersOfferOf(
      tx,
      actor,
      cleaningId,
      username,
      'ACCEPT_FORBIDDEN',
    );
    if (offers.some((o) => o.status === 'completed')) throw domainError('CLEANING_COMPLETED');
    if (offer.status !== 'pending') throw domainError('OFFER_NOT_PENDING');
    if (offers.some((o) => o.status === 'accepted')) throw domainError('ALREADY_ACCEPTED');

    const rejected = offers.filter((o) => o !== offer && o.status === 'pending');
    return moveOffers(
      tx,
      cleaning,
      [{ offer, status: 'accepted' }, ...rejected.map((o) => ({ offer: o, status: 'rejected' as const }))],
      {
        type: 'cleaning:assigned',
        cleaning: cleaningPublicFromRow(cleaning, { status: 'assigned', total_offers: offers.length }),
      },
    );
  });
}

/** O5: the accepted cleaner backs out; every rejected offer goes back to pending in the same transaction. */
export async function cancelOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic> {
  return inTransaction(deps.em, async (tx) => {
    const cleaning = await lockCleaning(tx, cleaningId);
    const offers = await readOffers(tx, cleaningId);
    const offer = offers.find((o) => o.user_id === actor.id);
    if (!offer) throw domainError('OFFER_NOT_FOUND');
    if (offers.some((o) => o.status === 'completed')) throw domainError('CLEANING_COMPLETED');
    if (offer.status !== 'accepted') throw domainError('OFFER_NOT_ACCEPTED');

    const reopened = offers.filter((o) => o.status === 'rejected');
    return moveOffers(
      tx,
      cleaning,
      [{ offer, status: 'cancelled' }, ...reopened.map((o) => ({ offer: o, status: 'pending' as const }))],
      {
        type: 'cleaning:reopened',
        cleaning: cleaningPublicFromRow(cleaning, { status: 'open', total_offers: offers.length }),
      },
    );
  });
}

/** O6: the cleaner withdraws a pending offer; the row goes away (the answer is `null`, as in the original). */
export async function rescindOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<null> {
  await inTransaction(deps.em, async (tx) => {
    const cleaning = await lockCleaning(tx, cleaningId);
    const [offer] = await tx.execute<{ status: OfferStatus }[]>(
      'select status from offers where cleaning_id = ? and user_id = ?',
      [cleaningId, actor.id],
    );
    if (!offer) throw domainError('OFFER_NOT_FOUND');
    if (offer.status !== 'pending' && (await isCompleted(tx, cleaningId)))
      throw domainError('CLEANING_COMPLETED');
    if (offer.status !== 'pending') throw domainError('RESCIND_NOT_PENDING');
    await tx.execute('delete from offers where cleaning_id = ? and user_id = ?', [cleaningId, actor.id]);
    await appendEvents(tx, {
      offers: {
        cleaning: logPosition(cleaning),
        changes: [{ type: 'rescinded', userId: actor.id, offer: null }],
      },
    });
  });
  return null;
}

type MyOfferRow = OfferRow &
  StandingColumns & {
    c_owner: number;
    c_name: string;
    c_description: string | null;
    c_cleaning_type: CleaningRow['cleaning_type'];
    c_price: string | number;
    c_last_seq: string | number;
    c_created_at: Date | string;
    c_updated_at: Date | string;
  };

/**
 * The caller's offers across all cleanings, newest first, each with its cleaning and the cleaning's log head:
 * the cursor from which `offers:sync` continues. One statement, so one snapshot: offers and cursors agree.
 */
export async function listMyOffers(deps: Deps, actor: Actor): Promise<MyOffer[]> {
  const rows = await deps.em.execute<MyOfferRow[]>(
    `select o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at,
            c.owner as c_owner, c.name as c_name, c.description as c_description,
            c.cleaning_type as c_cleaning_type, c.price as c_price, c.last_seq as c_last_seq,
            c.created_at as c_created_at, c.updated_at as c_updated_at, standing.*
       from offers o
       join cleanings c on c.id = o.cleaning_id
       ${standingJoin('c')}
      where o.user_id = ?
      order by o.created_at desc, o.cleaning_id desc`,
    [actor.id],
  );
  return rows.map((r) => ({
    ...offerPublicFromRow(r),
    cleaning: cleaningPublicFromRow(
      {
        id: r.cleaning_id,
        owner: r.c_owner,
        name: r.c_name,
        description: r.c_description,
        cleaning_type: r.c_cleaning_type,
        price: r.c_price,
        created_at: r.c_created_at,
        updated_at: r.c_updated_at,
      },
      standingOf(r),
    ),
    seq: Number(r.c_last_seq),
  }));
}
