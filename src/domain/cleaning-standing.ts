// A cleaning's `status` and `total_offers` are never stored: they are read from its offers in the same
// statement (or snapshot) as the cleaning, so they cannot disagree with the offers a reader sees next.
import { MAX_DB_ID } from '../contract/schemas.ts';
import type { Em } from '../db/orm.ts';
import type { CleaningStanding } from './public-views.ts';

/**
 * SQL: a lateral join adding `standing_status` and `standing_total_offers` for the cleaning aliased `alias`.
 * Per cleaning it reads the offers' primary key range; the at-most-one assigned offer decides the status.
 */
export function standingJoin(alias: string): string {
  return `cross join lateral (
    select count(*)::int as standing_total_offers,
           coalesce(max(case so.status when 'completed' then 'completed' when 'accepted' then 'assigned' end),
                    'open') as standing_status
      from offers so where so.cleaning_id = ${alias}.id
  ) standing`;
}

/** The columns `standingJoin` adds, as they come back from the driver. */
export type StandingColumns = {
  standing_status: CleaningStanding['status'];
  standing_total_offers: number | string;
};

export const standingOf = (r: StandingColumns): CleaningStanding => ({
  status: r.standing_status,
  total_offers: Number(r.standing_total_offers),
});

/** The standing of several cleanings in one query; a cleaning that does not exist is absent. */
export async function readStandings(em: Em, cleaningIds: number[]): Promise<Map<number, CleaningStanding>> {
  const ids = [...new Set(cleaningIds.filter((id) => id <= MAX_DB_ID))];
  if (ids.length === 0) return new Map();
  const rows = await em.execute<(StandingColumns & { id: number })[]>(
    `select c.id, standing.* from cleanings c ${standingJoin('c')} where c.id = any(?::int[])`,
    [`{${ids.join(',')}}`],
  );
  return new Map(rows.map((r) => [r.id, standingOf(r)]));
}

/** The standing of one cleaning (open with no offers when it has gone). */
export async function readStanding(em: Em, cleaningId: number): Promise<CleaningStanding> {
  return (await readStandings(em, [cleaningId])).get(cleaningId) ?? { status: 'open', total_offers: 0 };
}
