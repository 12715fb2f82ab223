// Bulk setup straight in SQL: thousands of users through REST would cost ~40 ms of argon2 each. Tokens are
// signed with the server's own token service and secret, so the server accepts them as its own.
import pg from 'pg';
import { createTokenService } from '../../src/domain/tokens.ts';
import { hashPassword } from '../../src/domain/passwords.ts';
import { BENCH_SECRET } from './services.ts';

export type SeededUser = { id: number; username: string; email: string; token: string };

export const BENCH_PASSWORD = 'bench-password-1';
const tokens = createTokenService(BENCH_SECRET, 60 * 24);
let passwordHash: Promise<string> | undefined;

export type Seeder = {
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  users(prefix: string, count: number): Promise<SeededUser[]>;
  /** `count` cleanings owned by `ownerId`, returning their ids in creation order. */
  cleanings(ownerId: number, count: number): Promise<number[]>;
  /**
   * A pending offer from each user on the cleaning, with its `created` event in the log, exactly as
   * `offer:create` would have left them (seq 1..n, last_seq = n).
   */
  offers(cleaningId: number, userIds: number[]): Promise<void>;
  close(): Promise<void>;
};

export function createSeeder(databaseUrl: string): Seeder {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // Dropping the database at the end terminates idle connections; that is expected, not a failure.
  pool.on('error', () => {});
  const sql = async <T>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as T[];
  let keyed: Promise<boolean> | undefined;
  return {
    sql,
    async users(prefix, count) {
      passwordHash ??= hashPassword(BENCH_PASSWORD);
      const hash = await passwordHash;
      // A server from before account keys (migration 0007), measured by --compare, has no key columns.
      keyed ??= sql(
        `select 1 from information_schema.columns where table_name = 'users' and column_name = 'username_key'`,
      ).then((r) => r.length > 0);
      const keys = (await keyed)
        ? { columns: ', username_key, email_key', values: ", lower(u), lower(u) || '@bench.example'" }
        : { columns: '', values: '' };
      const rows = await sql<{ id: number; username: string; email: string }>(
        `with u as (
           insert into users (username, email${keys.columns}, password_hash)
           select u, u || '@bench.example'${keys.values}, $3
             from generate_series(1, $2::int) as i, lateral (select $1 || '_' || i as u) n
           returning id, username, email)
         , p as (insert into profiles (user_id, full_name) select id, 'Bench ' || username from u)
         select id, username, email from u order by id`,
        [prefix, count, hash],
      );
      return rows.map((r) => ({ ...r, token: tokens.issue(r) }));
    },
    async cleanings(ownerId, count) {
      const rows = await sql<{ id: number }>(
        `insert into cleanings (owner, name, description, cleaning_type, price, created_at, updated_at)
         select $1, 'Bench job ' || i, 'A realistic description of the job, about this long.', 'full_clean',
                50 + (i % 200), now() - (($2::int - i) * interval '1 second'), now() - (($2::int - i) * interval '1 second')
           from generate_series(1, $2::int) as i
         returning id`,
        [ownerId, count],
      );
      return rows.map((r) => r.id).sort((a, b) => a - b);
    },
    async offers(cleaningId, userIds) {
      await sql(
        `with o as (
           insert into offers (cleaning_id, user_id, status)
           select $1, u, 'pending' from unnest($2::int[]) with ordinality as t(u, n)
           returning cleaning_id, user_id, created_at, updated_at)
         , numbered as (
           select o.*, row_number() over (order by o.user_id) as seq from o)
         , e as (
           insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
           select cleaning_id, seq, 'created', user_id,
                  jsonb_build_object('created_at', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'updated_at', to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'user_id', user_id, 'cleaning_id', cleaning_id, 'status', 'pending', 'user', null, 'cleaning', null),
                  created_at
             from numbered)
         update cleanings set last_seq = last_seq + $3 where id = $1`,
        [cleaningId, userIds, userIds.length],
      );
    },
    close: () => pool.end(),
  };
}
