// Every statement on `evaluations`, including a cleaner's track record, which is read in the same statement as
// whatever shows the cleaner, so that a list costs one query whatever its length.
import type { EvaluationStats } from '../../contract/schemas.ts';
import type { Em } from '../orm.ts';

/** An evaluation as read, with the owner of its cleaning (who wrote it). */
export type EvaluationRow = {
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

/** What an owner writes. */
export type EvaluationFields = Pick<
  EvaluationRow,
  'no_show' | 'headline' | 'comment' | 'professionalism' | 'completeness' | 'efficiency' | 'overall_rating'
>;

const EVALUATION_COLUMNS = `e.cleaning_id, e.cleaner_id, c.owner, e.no_show, e.headline, e.comment,
  e.professionalism, e.completeness, e.efficiency, e.overall_rating, e.created_at, e.updated_at`;

export async function insertEvaluation(
  tx: Em,
  cleaning: { id: number; owner: number },
  cleanerId: number,
  fields: EvaluationFields,
  now: string,
): Promise<EvaluationRow> {
  const [row] = await tx.execute<Omit<EvaluationRow, 'owner'>[]>(
    `insert into evaluations (cleaning_id, cleaner_id, no_show, headline, comment, professionalism,
                              completeness, efficiency, overall_rating, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz)
     returning *`,
    [
      cleaning.id,
      cleanerId,
      fields.no_show,
      fields.headline,
      fields.comment,
      fields.professionalism,
      fields.completeness,
      fields.efficiency,
      fields.overall_rating,
      now,
      now,
    ],
  );
  return { ...row!, owner: cleaning.owner };
}

/** A cleaner's evaluations, newest first. */
export function readEvaluationsOf(em: Em, cleanerId: number): Promise<EvaluationRow[]> {
  return em.execute<EvaluationRow[]>(
    `select ${EVALUATION_COLUMNS}
       from evaluations e join cleanings c on c.id = e.cleaning_id
      where e.cleaner_id = ?
      order by e.created_at desc, e.cleaning_id desc`,
    [cleanerId],
  );
}

export async function readEvaluation(
  em: Em,
  cleaningId: number,
  cleanerId: number,
): Promise<EvaluationRow | undefined> {
  const [row] = await em.execute<EvaluationRow[]>(
    `select ${EVALUATION_COLUMNS}
       from evaluations e join cleanings c on c.id = e.cleaning_id
      where e.cleaning_id = ? and e.cleaner_id = ?`,
    [cleaningId, cleanerId],
  );
  return row;
}

/** A cleaner's aggregates as the driver returns them. */
export type EvaluationStatsRow = { [K in keyof EvaluationStats]: number | string | null };

/**
 * A cleaner's aggregates in one statement. Averages are exact sums divided by counts (so they equal a client's
 * own mean of the same ratings); a rating nobody gave averages to null.
 */
export async function readEvaluationStats(
  em: Em,
  cleanerId: number,
): Promise<EvaluationStatsRow | undefined> {
  const mean = (col: string) => `sum(${col})::float8 / nullif(count(${col}), 0) as avg_${col}`;
  const stars = (k: number, name: string) => `count(*) filter (where overall_rating = ${k}) as ${name}`;
  const [row] = await em.execute<EvaluationStatsRow[]>(
    `select ${mean('professionalism')}, ${mean('completeness')}, ${mean('efficiency')}, ${mean('overall_rating')},
            max(overall_rating) as max_overall_rating, min(overall_rating) as min_overall_rating,
            ${stars(1, 'one_stars')}, ${stars(2, 'two_stars')}, ${stars(3, 'three_stars')},
            ${stars(4, 'four_stars')}, ${stars(5, 'five_stars')},
            count(*) as total_evaluations, count(*) filter (where no_show) as total_no_show
       from evaluations where cleaner_id = ?`,
    [cleanerId],
  );
  return row;
}

/** The reputation columns of a row that joined `reputationJoin`. */
export type ReputationColumns = {
  total_evaluations: number | string;
  avg_overall_rating: number | string | null;
};

/**
 * SQL: a lateral join adding `total_evaluations` and `avg_overall_rating` for the user whose id is `userIdSql`.
 * Each row reads its cleaner's range of the `evaluations_by_cleaner` index.
 */
export function reputationJoin(userIdSql: string): string {
  return `cross join lateral (
    select count(*)::int as total_evaluations,
           sum(ev.overall_rating)::float8 / nullif(count(*), 0) as avg_overall_rating
      from evaluations ev where ev.cleaner_id = ${userIdSql}
  ) reputation`;
}

/** One user's track record as a cleaner. */
export async function readReputation(em: Em, userId: number): Promise<ReputationColumns> {
  const [row] = await em.execute<ReputationColumns[]>(
    `select reputation.* from (select ?::int as id) u ${reputationJoin('u.id')}`,
    [userId],
  );
  return row!;
}
