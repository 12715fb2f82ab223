// Every rule of the offer marketplace. Each command locks the cleaning's row first, so that its checks and
// writes see one state and its log appends get consecutive seqs; the schema backs every rule up.
import { IsolationLevel } from '@mikro-orm/core';
import type { MyOffer, OfferPublic } from '../contract/schemas.ts';
import { Cleaning, Offer } from '../db/entities/index.ts';
import { violatedConstraint } from '../db/db-errors.ts';
import type { Em } from '../db/orm.ts';
import type { Actor, Deps } from './context.ts';
import { domainError } from './errors.ts';
import { findUserByUsername } from './accounts.ts';
import { findCleaningOrFail } from './cleanings.ts';
import { appendOfferEvents, withOfferers, type OfferChange } from './offer-log.ts';
import { cleaningPublic, offerPublic } from './public-views.ts';

function sameUsername(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Runs `work` in one transaction and turns a constraint the checks could not foresee into its 400. */
async function inTransaction<T>(em: Em, work: (tx: Em) => Promise<T>): Promise<T> {
  try {
    return await em.transactional(work);
  } catch (e) {
    const constraint = violatedConstraint(e);
    if (constraint === 'offers_pkey') throw domainError('DUPLICATE_OFFER', { cause: e });
    if (constraint === 'offers_one_accepted_per_cleaning')
      throw domainError('ALREADY_ACCEPTED', { cause: e });
    if (constraint === 'offers_cleaning_id_fkey') throw domainError('CLEANING_NOT_FOUND', { cause: e });
    throw e;
  }
}

/** O1: the caller offers to do someone else's cleaning, once per cleaning. */
export async function createOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic> {
  return inTransaction(deps.em, async (tx) => {
    const cleaning = await findCleaningOrFail(tx, cleaningId, { lock: true });
    if (cleaning.isOwnedBy(actor.id)) throw domainError('OWN_CLEANING_OFFER');
    if (await tx.findOne(Offer, { cleaningId, userId: actor.id })) throw domainError('DUPLICATE_OFFER');
    const offer = tx.create(Offer, { cleaningId, userId: actor.id, status: 'pending' });
    await tx.flush();
    const view = offerPublic(offer);
    await appendOfferEvents(tx, cleaning, [{ type: 'created', userId: actor.id, offer: view }]);
    return view;
  });
}

/** O2: the owner lists every offer on their cleaning, newest first, with each offerer's public data. */
export async function listOffers(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic[]> {
  const cleaning = await findCleaningOrFail(deps.em, cleaningId);
  if (!cleaning.isOwnedBy(actor.id)) throw domainError('OFFERS_FORBIDDEN');
  const offers = await deps.em.find(
    Offer,
    { cleaningId },
    { orderBy: { createdAt: 'desc', userId: 'desc' } },
  );
  return withOfferers(deps.em, offers);
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
  const cleaning = await findCleaningOrFail(deps.em, cleaningId);
  if (!cleaning.isOwnedBy(actor.id) && !sameUsername(actor.username, username))
    throw domainError('OFFER_FORBIDDEN');
  const user = await findUserByUsername(deps.em, username);
  if (!user) throw domainError('USER_NOT_FOUND');
  const offer = await deps.em.findOne(Offer, { cleaningId, userId: user.id });
  if (!offer) throw domainError('OFFER_NOT_FOUND');
  return offerPublic(offer);
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
  const { view, cleaning } = await inTransaction(deps.em, async (tx) => {
    const cleaning = await findCleaningOrFail(tx, cleaningId, { lock: true });
    if (!cleaning.isOwnedBy(actor.id)) throw domainError('ACCEPT_FORBIDDEN');
    const user = await findUserByUsername(tx, username);
    if (!user) throw domainError('USER_NOT_FOUND');
    const offers = await tx.find(Offer, { cleaningId }, { orderBy: { createdAt: 'asc', userId: 'asc' } });
    const offer = offers.find((o) => o.userId === user.id);
    if (!offer) throw domainError('OFFER_NOT_FOUND');
    if (!offer.isPending()) throw domainError('OFFER_NOT_PENDING');
    if (offers.some((o) => o.isAccepted())) throw domainError('ALREADY_ACCEPTED');

    offer.status = 'accepted';
    const rejected = offers.filter((o) => o !== offer && o.isPending());
    for (const other of rejected) other.status = 'rejected';
    await tx.flush();
    const view = offerPublic(offer);
    const changes: OfferChange[] = [
      { type: 'accepted', userId: offer.userId, offer: view },
      ...rejected.map((o) => ({ type: 'rejected' as const, userId: o.userId, offer: offerPublic(o) })),
    ];
    await appendOfferEvents(tx, cleaning, changes);
    return { view, cleaning };
  });
  deps.notices.publish({ type: 'cleaning:assigned', cleaning: cleaningPublic(cleaning) });
  return view;
}

/** O5: the accepted cleaner backs out; every rejected offer goes back to pending in the same transaction. */
export async function cancelOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<OfferPublic> {
  const { view, cleaning } = await inTransaction(deps.em, async (tx) => {
    const cleaning = await findCleaningOrFail(tx, cleaningId, { lock: true });
    const offers = await tx.find(Offer, { cleaningId }, { orderBy: { createdAt: 'asc', userId: 'asc' } });
    const offer = offers.find((o) => o.userId === actor.id);
    if (!offer) throw domainError('OFFER_NOT_FOUND');
    if (!offer.isAccepted()) throw domainError('OFFER_NOT_ACCEPTED');

    offer.status = 'cancelled';
    const reopened = offers.filter((o) => o.isRejected());
    for (const other of reopened) other.status = 'pending';
    await tx.flush();
    const view = offerPublic(offer);
    const changes: OfferChange[] = [
      { type: 'cancelled', userId: offer.userId, offer: view },
      ...reopened.map((o) => ({ type: 'pending' as const, userId: o.userId, offer: offerPublic(o) })),
    ];
    await appendOfferEvents(tx, cleaning, changes);
    return { view, cleaning };
  });
  deps.notices.publish({ type: 'cleaning:reopened', cleaning: cleaningPublic(cleaning) });
  return view;
}

/** O6: the cleaner withdraws a pending offer; the row goes away (the answer is `null`, as in the original). */
export async function rescindOffer(deps: Deps, actor: Actor, cleaningId: number): Promise<null> {
  await inTransaction(deps.em, async (tx) => {
    const cleaning = await findCleaningOrFail(tx, cleaningId, { lock: true });
    const offer = await tx.findOne(Offer, { cleaningId, userId: actor.id });
    if (!offer) throw domainError('OFFER_NOT_FOUND');
    if (!offer.isPending()) throw domainError('RESCIND_NOT_PENDING');
    tx.remove(offer);
    await tx.flush();
    await appendOfferEvents(tx, cleaning, [{ type: 'rescinded', userId: actor.id, offer: null }]);
  });
  return null;
}

/**
 * The caller's offers across all cleanings, newest first, each with its cleaning and the cleaning's log head:
 * the cursor from which `offers:sync` continues. Read in one snapshot, so that offers and cursors agree.
 */
export async function listMyOffers(deps: Deps, actor: Actor): Promise<MyOffer[]> {
  return deps.em.transactional(
    async (tx) => {
      const offers = await tx.find(
        Offer,
        { userId: actor.id },
        { orderBy: { createdAt: 'desc', cleaningId: 'desc' } },
      );
      if (offers.length === 0) return [];
      const cleanings = await tx.find(Cleaning, { id: { $in: offers.map((o) => o.cleaningId) } });
      const byId = new Map(cleanings.map((c) => [c.id, c]));
      return offers.flatMap((o) => {
        const cleaning = byId.get(o.cleaningId);
        return cleaning
          ? [{ ...offerPublic(o), cleaning: cleaningPublic(cleaning), seq: cleaning.lastSeq }]
          : [];
      });
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}
