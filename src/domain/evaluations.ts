// Completing a job: the owner evaluates the accepted cleaner, which completes their offer. It runs under the
// cleaning's row lock like every offer command, so an evaluation and a cancel (or a second evaluation) are
// serialised, and the schema (one evaluation per cleaning, one assigned offer) backs that up.
import type { EvaluationCreate, EvaluationPublic, EvaluationStats } from '../contract/schemas.ts';
import type { Checked } from '../contract/validation.ts';
import { violatedConstraint } from '../db/db-errors.ts';
import {
  insertEvaluation,
  readEvaluation,
  readEvaluationsOf,
  readEvaluationStats,
} from '../db/queries/evaluations.ts';
import { findUserByUsername } from './accounts.ts';
import type { Actor, Deps } from './context.ts';
import { findCleaningOrFail } from './cleanings.ts';
import { domainError, validationError } from './errors.ts';
import { inTransaction, lockOwnersOfferOf, moveOffers } from './offers.ts';
import { evaluationPublic, evaluationStats } from './public-views.ts';

/**
 * E1: the cleaning's owner evaluates the cleaner whose offer they accepted. In the same transaction the offer
 * becomes `completed`, every offer still pending is rejected, and their events are logged (the `completed` one
 * carries the evaluation). Ownership is checked before the user and offer lookups, so nobody can probe who
 * offered on what; the body is checked last, as in the original.
 */
export async function evaluateCleaner(
  deps: Deps,
  actor: Actor,
  cleaningId: number,
  username: string,
  body: Checked<EvaluationCreate>,
): Promise<EvaluationPublic> {
  try {
    return await inTransaction(deps.em, async (tx) => {
      const { cleaning, offers, offer } = await lockOwnersOfferOf(
        tx,
        actor,
        cleaningId,
        username,
        'EVALUATION_FORBIDDEN',
      );
      if (offer.status !== 'accepted') throw domainError('EVALUATION_NOT_ACCEPTED');
      if (!body.ok) throw validationError(body.issues);

      const input = body.value;
      const evaluation = await insertEvaluation(
        tx,
        cleaning,
        offer.user_id,
        {
          no_show: input.no_show,
          headline: input.headline ?? null,
          comment: input.comment ?? null,
          professionalism: input.professionalism ?? null,
          completeness: input.completeness ?? null,
          efficiency: input.efficiency ?? null,
          overall_rating: input.overall_rating,
        },
        new Date().toISOString(),
      );
      const stillPending = offers.filter((o) => o.status === 'pending');
      await moveOffers(
        tx,
        cleaning,
        [
          { offer, status: 'completed' },
          ...stillPending.map((o) => ({ offer: o, status: 'rejected' as const })),
        ],
        {
          type: 'cleaning:completed',
          cleaning,
          standing: { status: 'completed', total_offers: offers.length },
        },
        evaluation,
      );
      return evaluationPublic(evaluation);
    });
  } catch (e) {
    // The row lock serialises evaluations of one cleaning; should one slip past anyway, the key refuses it.
    if (violatedConstraint(e) === 'evaluations_pkey')
      throw domainError('EVALUATION_NOT_ACCEPTED', { cause: e });
    throw e;
  }
}

async function findCleanerOrFail(deps: Deps, username: string) {
  const user = await findUserByUsername(deps.em, username);
  if (!user) throw domainError('USER_NOT_FOUND');
  return user;
}

/** E2: a cleaner's evaluations, newest first; anyone signed in may read them, even after a deactivation. */
export async function listEvaluations(deps: Deps, username: string): Promise<EvaluationPublic[]> {
  const cleaner = await findCleanerOrFail(deps, username);
  return (await readEvaluationsOf(deps.em, cleaner.id)).map(evaluationPublic);
}

/** E4: the evaluation of one cleaner for one cleaning; the cleaning is looked up first, as in the original. */
export async function getEvaluation(
  deps: Deps,
  cleaningId: number,
  username: string,
): Promise<EvaluationPublic> {
  await findCleaningOrFail(deps.em, cleaningId);
  const cleaner = await findCleanerOrFail(deps, username);
  const row = await readEvaluation(deps.em, cleaningId, cleaner.id);
  if (!row) throw domainError('EVALUATION_NOT_FOUND');
  return evaluationPublic(row);
}

/**
 * E3: a cleaner's aggregates. A rating nobody gave averages to null, and no evaluation at all gives counts
 * of 0 (the original answered 500 for both).
 */
export async function getEvaluationStats(deps: Deps, username: string): Promise<EvaluationStats> {
  const cleaner = await findCleanerOrFail(deps, username);
  return evaluationStats(await readEvaluationStats(deps.em, cleaner.id));
}
