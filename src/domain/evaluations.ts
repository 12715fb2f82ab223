// Completing a job: the owner evaluates the accepted cleaner, which completes their offer. It runs under the
// cleaning's row lock like every offer command, so an evaluation and a cancel (or a second evaluation) are
// serialised, and the schema (one evaluation per cleaning, one assigned offer) backs that up.
import type { EvaluationCreate, EvaluationPublic, EvaluationStats } from '../contract/schemas.ts';
import type { Checked } from '../contract/validation.ts';
import { violatedConstraint } from '../db/db-errors.ts';
import type { Actor, Deps } from './context.ts';
import { findUserByUsername } from './accounts.ts';
import { findCleaningOrFail } from './cleanings.ts';
import { domainError, validationError } from './errors.ts';
import { inTransaction, lockOwnersOfferOf, moveOffers } from './offers.ts';
import { cleaningPublicFromRow, isoOf } from './public-views.ts';

type EvaluationRow = {
  cleaning_id: number;
  cleaner_id: number;
  owner: number;
  no_show: boolean;
  headline: string | null;
  comment: string | null;
  professionalism: number | null;
  completeness: number | null;
  efficiency: number | null;
  overall_rating: number;
  created_at: Date | string;
  updated_at: Date | string;
};

function evaluationPublic(r: EvaluationRow): EvaluationPublic {
  return {
    no_show: r.no_show,
    headline: r.headline,
    comment: r.comment,
    professionalism: r.professionalism,
    completeness: r.completeness,
    efficiency: r.efficiency,
    overall_rating: r.overall_rating,
    created_at: isoOf(r.created_at),
    updated_at: isoOf(r.updated_at),
    cleaner_id: r.cleaner_id,
    cleaning_id: r.cleaning_id,
    owner: r.owner,
    cleaner: null,
    cleaning: null,
  };
}

const EVALUATION_COLUMNS = `e.cleaning_id, e.cleaner_id, c.owner, e.no_show, e.headline, e.comment,
  e.professionalism, e.completeness, e.efficiency, e.overall_rating, e.created_at, e.updated_at`;

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
      const now = new Date().toISOString();
      const [row] = await tx.execute<Omit<EvaluationRow, 'owner'>[]>(
        `insert into evaluations (cleaning_id, cleaner_id, no_show, headline, comment, professionalism,
                                  completeness, efficiency, overall_rating, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz)
         returning *`,
        [
          cleaningId,
          offer.user_id,
          input.no_show,
          input.headline ?? null,
          input.comment ?? null,
          input.professionalism ?? null,
          input.completeness ?? null,
          input.efficiency ?? null,
          input.overall_rating,
          now,
          now,
        ],
      );
      const evaluation = evaluationPublic({ ...row!, owner: cleaning.owner });
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
          cleaning: cleaningPublicFromRow(cleaning, { status: 'completed', total_offers: offers.length }),
        },
        { evaluation },
      );
      return evaluation;
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
  const rows = await deps.em.execute<EvaluationRow[]>(
    `select ${EVALUATION_COLUMNS}
       from evaluations e join cleanings c on c.id = e.cleaning_id
      where e.cleaner_id = ?
      order by e.created_at desc, e.cleaning_id desc`,
    [cleaner.id],
  );
  return rows.map(evaluationPublic);
}

/** E4: the evaluation of one cleaner for one cleaning; the cleaning is looked up first, as in the original. */
export async function getEvaluation(
  deps: Deps,
  cleaningId: number,
  username: string,
): Promise<EvaluationPublic> {
  await findCleaningOrFail(deps.em, cleaningId);
  const cleaner = await findCleanerOrFail(deps, username);
  const [row] = await deps.em.execute<EvaluationRow[]>(
    `select ${EVALUATION_COLUMNS}
       from evaluations e join cleanings c on c.id = e.cleaning_id
      where e.cleaning_id = ? and e.cleaner_id = ?`,
    [cleaningId, cleaner.id],
  );
  if (!row) throw domainError('EVALUATION_NOT_FOUND');
  return evaluationPublic(row);
}

type StatsRow = { [K in keyof EvaluationStats]: number | string | null };

/**
 * E3: a cleaner's aggregates in one statement. Averages are exact sums divided by counts (so they equal a
 * client's own mean of the same ratings); a rating nobody gave averages to null, and no evaluation at all
 * gives counts of 0 (the original answered 500 for both).
 */
export async function getEvaluationStats(deps: Deps, username: string): Promise<EvaluationStats> {
  const cleaner = await findCleanerOrFail(deps, username);
  const mean = (col: string) => `sum(${col})::float8 / nullif(count(${col}), 0) as avg_${col}`;
  const stars = (k: number, name: string) => `count(*) filter (where overall_rating = ${k}) as ${name}`;
  const [row] = await deps.em.execute<StatsRow[]>(
    `select ${mean('professionalism')}, ${mean('completeness')}, ${mean('efficiency')}, ${mean('overall_rating')},
            max(overall_rating) as max_overall_rating, min(overall_rating) as min_overall_rating,
            ${stars(1, 'one_stars')}, ${stars(2, 'two_stars')}, ${stars(3, 'three_stars')},
            ${stars(4, 'four_stars')}, ${stars(5, 'five_stars')},
            count(*) as total_evaluations, count(*) filter (where no_show) as total_no_show
       from evaluations where cleaner_id = ?`,
    [cleaner.id],
  );
  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  const count = (v: number | string | null | undefined) => Number(v ?? 0);
  return {
    avg_professionalism: num(row?.avg_professionalism),
    avg_completeness: num(row?.avg_completeness),
    avg_efficiency: num(row?.avg_efficiency),
    avg_overall_rating: num(row?.avg_overall_rating),
    max_overall_rating: num(row?.max_overall_rating),
    min_overall_rating: num(row?.min_overall_rating),
    one_stars: count(row?.one_stars),
    two_stars: count(row?.two_stars),
    three_stars: count(row?.three_stars),
    four_stars: count(row?.four_stars),
    five_stars: count(row?.five_stars),
    total_evaluations: count(row?.total_evaluations),
    total_no_show: count(row?.total_no_show),
  };
}
