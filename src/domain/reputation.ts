import type { Em } from '../db/orm.ts';
// A cleaner's track record (count and average of their overall ratings), read in the same statement as
// whatever shows the cleaner, so that a list costs one query whatever its length.

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

/** The wire's reputation fields, from a row. */
export function reputationOf(r: ReputationColumns): {
  total_evaluations: number;
  avg_overall_rating: number | null;
} {
  return {
    total_evaluations: Number(r.total_evaluations),
    avg_overall_rating: r.avg_overall_rating === null ? null : Number(r.avg_overall_rating),
  };
}

/** One user's track record as a cleaner. */
export async function readReputation(
  em: Em,
  userId: number,
): Promise<{ total_evaluations: number; avg_overall_rating: number | null }> {
  const [row] = await em.execute<ReputationColumns[]>(
    `select reputation.* from (select ?::int as id) u ${reputationJoin('u.id')}`,
    [userId],
  );
  return reputationOf(row!);
}
