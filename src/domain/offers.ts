// Every rule of the offer marketplace. Each command locks the cleaning's row first, so that its checks and
// writes see one state and its log appends get consecutive seqs; the schema backs every rule up. The
// statements themselves are in src/db/queries.
import {
  MAX_DB_ID,
  type MyOffer,
  type OfferEventType,
  type OfferPublic,
  type OfferStatus,
} from '../contract/schemas.ts';
import { violatedConstraint } from '../db/db-errors.ts';
import type { Em } from '../db/orm.ts';
import type { CleaningRow } from '../db/queries/cleanings.ts';
import type { EvaluationRow } from '../db/queries/evaluations.ts';
import {
  deleteOfferRow,
  hasCompletedOffer,
  insertPendingOffer,
  readOfferForViewer,
  readOfferRow,
  readOfferRows,
  readOffersOfUser,
  readOffersWithOfferers,
  updateOfferStatuses,
  type OfferRow,
} from '../db/queries/offers.ts';
import { findUserIdByUsernameKey } from '../db/queries/users.ts';
import type { Actor, Deps } from './context.ts';
import { domainError } from './errors.ts';
import type { ErrorCode } from '../contract/error-codes.ts';
import { accountKey } from './account-keys.ts';
import { findCleaningOrFail, lockCleaning } from './cleanings.ts';
import { appendEvents, type OfferChange } from '../events/append.ts';
import type { Notice } from '../events/notices.ts';
import { evaluationPublic, myOffer, offerer, offerPublic } from './public-views.ts';

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
  const userId = await findUserIdByUsernameKey(tx, accountKey(username));
  if (userId === undefined) throw domainError('USER_NOT_FOUND');
  const offers = await readOfferRows(tx, cleaningId);
  const offer = offers.find((o) => o.user_id === userId);
  if (!offer) throw domainError('OFFER_NOT_FOUND');
  return { cleaning, offers, offer };
}

const logPosition = (cleaning: CleaningRow) => ({
  id: cleaning.id,
  owner: cleaning.owner,
  lastSeq: Number(cleaning.last_seq),
});

/**
 * Moves offers of the locked cleaning to new statuses, stamped alike, and logs one event per offer (each
 * status it moves to is also its event's type), with the job board's `notice`. Returns the view of the
 * first, the one the command is about; `evaluation`, when given, completed that first one.
 */
export async function moveOffers(
  tx: Em,
  cleaning: CleaningRow,
  moves: [{ offer: OfferRow; status: MovedTo }, ...{ offer: OfferRow; status: MovedTo }[]],
  notice: Notice,
  evaluation?: EvaluationRow,
): Promise<OfferPublic> {
  const now = new Date().toISOString();
  await updateOfferStatuses(
    tx,
    cleaning.id,
    now,
    moves.map((m) => ({ userId: m.offer.user_id, status: m.status })),
  );
  const moved = moves.map((m) => ({ ...m.offer, status: m.status, updated_at: now }));
  const changes: OfferChange[] = moved.map((o, i) => ({
    type: o.status,
    userId: o.user_id,
    offer: {
      status: o.status,
      created_at: o.created_at,
      updated_at: o.updated_at,
      ...(i === 0 && evaluation ? { evaluation } : {}),
    },
  }));
  await appendEvents(tx, { offers: { cleaning: logPosition(cleaning), changes }, notices: [notice] });
  return offerPublic(moved[0]!, evaluation ? { evaluation: evaluationPublic(evaluation) } : {});
}

// The four offer commands are every socket's hot path: they read and write with plain SQL in their
// transaction (no entities to hydrate, track and diff), with the same checks in the same order.

/** O1: the caller offers to do someone else's cleaning, once per cleaning. */
export async function createOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic> {
  return inTransaction(deps.em, async (tx) => {
    const cleaning = await lockCleaning(tx, cleaningId);
    if (cleaning.owner === actor.id) throw domainError('OWN_CLEANING_OFFER');
    // A completed cleaning takes no offer; checked in the insert, so that the usual case stays one statement.
    const row = await insertPendingOffer(tx, cleaningId, actor.id, new Date().toISOString());
    if (!row) {
      if (await hasCompletedOffer(tx, cleaningId)) throw domainError('CLEANING_COMPLETED');
      throw domainError('DUPLICATE_OFFER');
    }
    await appendEvents(tx, {
      offers: {
        cleaning: logPosition(cleaning),
        changes: [{ type: 'created', userId: actor.id, offer: row }],
      },
    });
    return offerPublic(row);
  });
}

/** O2: the owner lists every offer on their cleaning, newest first, with each offerer's public data. */
export async function listOffers(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic[]> {
  const cleaning = await findCleaningOrFail(deps.em, cleaningId);
  if (cleaning.owner !== actor.id) throw domainError('OFFERS_FORBIDDEN');
  return (await readOffersWithOfferers(deps.em, cleaningId)).map((r) => offerPublic(r, { user: offerer(r) }));
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
  const row = await readOfferForViewer(deps.em, cleaningId, accountKey(username));
  if (!row) throw domainError('CLEANING_NOT_FOUND');
  if (row.owner !== actor.id && !sameUsername(actor.username, username)) throw domainError('OFFER_FORBIDDEN');
  if (row.offerer_id === null) throw domainError('USER_NOT_FOUND');
  if (!row.offer) throw domainError('OFFER_NOT_FOUND');
  return offerPublic(row.offer);
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
        cleaning,
        standing: { status: 'assigned', total_offers: offers.length },
      },
    );
  });
}

/** O5: the accepted cleaner backs out; every rejected offer goes back to pending in the same transaction. */
export async function cancelOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic> {
  return inTransaction(deps.em, async (tx) => {
    const cleaning = await lockCleaning(tx, cleaningId);
    const offers = await readOfferRows(tx, cleaningId);
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
        cleaning,
        standing: { status: 'open', total_offers: offers.length },
      },
    );
  });
}

/** O6: the cleaner withdraws a pending offer; the row goes away (the answer is `null`, as in the original). */
export async function rescindOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<null> {
  await inTransaction(deps.em, async (tx) => {
    const cleaning = await lockCleaning(tx, cleaningId);
    const offer = await readOfferRow(tx, cleaningId, actor.id);
    if (!offer) throw domainError('OFFER_NOT_FOUND');
    if (offer.status !== 'pending' && (await hasCompletedOffer(tx, cleaningId)))
      throw domainError('CLEANING_COMPLETED');
    if (offer.status !== 'pending') throw domainError('RESCIND_NOT_PENDING');
    await deleteOfferRow(tx, cleaningId, actor.id);
    await appendEvents(tx, {
      offers: {
        cleaning: logPosition(cleaning),
        changes: [{ type: 'rescinded', userId: actor.id, offer: null }],
      },
    });
  });
  return null;
}

/**
 * The caller's offers across all cleanings, newest first, each with its cleaning and the cleaning's log head:
 * the cursor from which `offers:sync` continues. One statement, so one snapshot: offers and cursors agree.
 */
export async function listMyOffers(deps: Deps, actor: Actor): Promise<MyOffer[]> {
  return (await readOffersOfUser(deps.em, actor.id)).map(myOffer);
}
