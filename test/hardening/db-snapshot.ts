import type { Em } from '../../src/db/orm.ts';
import type { TestServer } from '../helpers/server.ts';

const TABLES = [
  'users',
  'profiles',
  'cleanings',
  'offers',
  'offer_events',
  'evaluations',
  'notices',
  'push_subscriptions',
  'push_outbox',
] as const;

/** A checksum of every row of every table the API writes: equal snapshots mean no row changed. */
export async function snapshotRows(server: TestServer): Promise<Record<string, string>> {
  const em = server.app.orm.em.fork() as Em;
  const result: Record<string, string> = {};
  for (const table of TABLES) {
    const [row] = await em.execute<{ n: string | number; sum: string | null }[]>(
      `select count(*) as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as sum from ${table} t`,
    );
    result[table] = `${row?.n}:${row?.sum}`;
  }
  return result;
}
