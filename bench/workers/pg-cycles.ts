// B1 baseline client process: the same create/create/accept/cancel cycles as command-cycles.ts, as the SQL
// transactions a minimal server would send (row lock, reads, writes, event rows, last_seq, pg_notify), straight
// through `pg`, with the same concurrency and pool size, and no server in between. The server writes more in
// the same transactions (job-board notices, the Web Push outbox); the baseline stays this fixed yardstick.
import pg from 'pg';
import { serveWorker, wallNow } from '../lib/rpc.ts';

type Spec = { ownerId: number; aId: number; bId: number; aUsername: string; cleanings: number[] };
type OfferRow = { cleaning_id: number; user_id: number; status: string; created_at: Date; updated_at: Date };

let pool: pg.Pool | undefined;
let specs: { spec: Spec; next: number }[] = [];

const iso = (d: Date) => d.toISOString();
const offerView = (o: OfferRow) => ({
  created_at: iso(o.created_at),
  updated_at: iso(o.updated_at),
  user_id: o.user_id,
  cleaning_id: o.cleaning_id,
  status: o.status,
  user: null,
  cleaning: null,
});

async function inTransaction(work: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  const c = await pool!.connect();
  try {
    await c.query('begin');
    await work(c);
    await c.query('commit');
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

/**
 * Appends events and announces them as appendEvents does: one statement that inserts the rows, advances
 * last_seq and calls pg_notify (`combinedAppend`, the server's statements now), or the three statements the
 * server sent before (with the older create and user lookup too), for before/after figures.
 */
let combinedAppend = true;
async function append(
  c: pg.PoolClient,
  cleaningId: number,
  lastSeq: number,
  changes: { type: string; offer: OfferRow }[],
) {
  const at = new Date().toISOString();
  const events = changes.map((ch, i) => ({
    cleaning_id: cleaningId,
    seq: lastSeq + i + 1,
    type: ch.type,
    user_id: ch.offer.user_id,
    offer: offerView(ch.offer),
    at,
  }));
  const json = JSON.stringify(events);
  const payload = `{"c":${cleaningId},"e":${json}}`;
  if (combinedAppend) {
    await c.query(
      `with appended as (
         insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
         select e.cleaning_id, e.seq, e.type, e.user_id, e.offer, e.at
           from jsonb_to_recordset($1::jsonb)
             as e(cleaning_id integer, seq bigint, type text, user_id integer, offer jsonb, at timestamptz)
       ), advanced as (
         update cleanings set last_seq = $2 where id = $3
       )
       select pg_notify($4, $5)`,
      [json, lastSeq + events.length, cleaningId, 'phresh_events', payload],
    );
    return;
  }
  const values: unknown[] = [];
  const rows = events.map((e) => {
    values.push(e.cleaning_id, e.seq, e.type, e.user_id, JSON.stringify(e.offer), e.at);
    const n = values.length;
    return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  await c.query(
    `insert into offer_events (cleaning_id, seq, type, user_id, offer, at) values ${rows.join(', ')}`,
    values,
  );
  await c.query('update cleanings set last_seq = $1 where id = $2', [lastSeq + events.length, cleaningId]);
  await c.query('select pg_notify($1, $2)', ['phresh_events', payload]);
}

async function lock(c: pg.PoolClient, cleaningId: number): Promise<number> {
  const { rows } = await c.query('select * from cleanings where id = $1 limit 1 for update', [cleaningId]);
  return Number(rows[0].last_seq);
}

async function createOffer(cleaningId: number, userId: number) {
  await inTransaction(async (c) => {
    const lastSeq = await lock(c, cleaningId);
    const now = new Date();
    let offer: OfferRow;
    if (combinedAppend) {
      // What the server sends since it stopped going through the ORM here: insert, or learn it is a duplicate.
      const { rows } = await c.query<OfferRow>(
        `insert into offers (cleaning_id, user_id, status, created_at, updated_at) values ($1, $2, 'pending', $3, $4)
         on conflict (cleaning_id, user_id) do nothing returning cleaning_id, user_id, status, created_at, updated_at`,
        [cleaningId, userId, now, now],
      );
      if (!rows[0]) throw new Error('duplicate');
      offer = rows[0];
    } else {
      const existing = await c.query('select * from offers where cleaning_id = $1 and user_id = $2 limit 1', [
        cleaningId,
        userId,
      ]);
      if (existing.rowCount) throw new Error('duplicate');
      await c.query(
        'insert into offers (cleaning_id, user_id, status, created_at, updated_at) values ($1, $2, $3, $4, $5)',
        [cleaningId, userId, 'pending', now, now],
      );
      offer = {
        cleaning_id: cleaningId,
        user_id: userId,
        status: 'pending',
        created_at: now,
        updated_at: now,
      };
    }
    await append(c, cleaningId, lastSeq, [{ type: 'created', offer }]);
  });
}

async function acceptOffer(cleaningId: number, username: string) {
  await inTransaction(async (c) => {
    const lastSeq = await lock(c, cleaningId);
    const user = await c.query(
      combinedAppend
        ? 'select id from users where lower(username) = lower($1) limit 1'
        : 'select * from users where lower(username) = lower($1) limit 1',
      [username],
    );
    const userId = user.rows[0].id as number;
    const { rows: offers } = await c.query<OfferRow>(
      'select * from offers where cleaning_id = $1 order by created_at asc, user_id asc',
      [cleaningId],
    );
    const now = new Date();
    const changes = offers
      .filter((o) => o.status === 'pending')
      .map((o) => ({
        type: o.user_id === userId ? 'accepted' : 'rejected',
        offer: { ...o, status: o.user_id === userId ? 'accepted' : 'rejected', updated_at: now },
      }))
      .sort((x, y) => (x.type === 'accepted' ? -1 : y.type === 'accepted' ? 1 : 0));
    await c.query(
      `update offers set status = case when user_id = $2 then 'accepted' else 'rejected' end, updated_at = $3
        where cleaning_id = $1 and user_id = any($4::int[])`,
      [cleaningId, userId, now, changes.map((ch) => ch.offer.user_id)],
    );
    await append(c, cleaningId, lastSeq, changes);
  });
}

async function cancelOffer(cleaningId: number, userId: number) {
  await inTransaction(async (c) => {
    const lastSeq = await lock(c, cleaningId);
    const { rows: offers } = await c.query<OfferRow>(
      'select * from offers where cleaning_id = $1 order by created_at asc, user_id asc',
      [cleaningId],
    );
    const now = new Date();
    const mine = offers.find((o) => o.user_id === userId && o.status === 'accepted');
    if (!mine) throw new Error('not accepted');
    const reopened = offers.filter((o) => o.status === 'rejected');
    const changes = [
      { type: 'cancelled', offer: { ...mine, status: 'cancelled', updated_at: now } },
      ...reopened.map((o) => ({ type: 'pending', offer: { ...o, status: 'pending', updated_at: now } })),
    ];
    await c.query(
      `update offers set status = case when user_id = $2 then 'cancelled' else 'pending' end, updated_at = $3
        where cleaning_id = $1 and user_id = any($4::int[])`,
      [cleaningId, userId, now, changes.map((ch) => ch.offer.user_id)],
    );
    await append(c, cleaningId, lastSeq, changes);
  });
}

async function timed(latencies: number[], fn: () => Promise<void>): Promise<boolean> {
  const t0 = wallNow();
  try {
    await fn();
    return true;
  } catch {
    return false;
  } finally {
    latencies.push(wallNow() - t0);
  }
}

serveWorker({
  setup(p: { databaseUrl: string; poolMax: number; runners: Spec[]; combinedAppend?: boolean }) {
    pool = new pg.Pool({ connectionString: p.databaseUrl, max: p.poolMax });
    combinedAppend = p.combinedAppend ?? true;
    specs = p.runners.map((spec) => ({ spec, next: 0 }));
    return { runners: specs.length };
  },
  async run(p: { durationMs: number }) {
    const latencies: number[] = [];
    let ops = 0;
    let errors = 0;
    let exhausted = 0;
    const started = wallNow();
    const deadline = started + p.durationMs;
    await Promise.all(
      specs.map(async (r) => {
        const { spec } = r;
        while (wallNow() < deadline) {
          const id = spec.cleanings[r.next++];
          if (id === undefined) {
            exhausted++;
            return;
          }
          const cycle: number[] = [];
          const oks = [
            await timed(cycle, () => createOffer(id, spec.aId)),
            await timed(cycle, () => createOffer(id, spec.bId)),
            await timed(cycle, () => acceptOffer(id, spec.aUsername)),
            await timed(cycle, () => cancelOffer(id, spec.aId)),
          ];
          if (wallNow() > deadline) break;
          ops += cycle.length;
          latencies.push(...cycle);
          errors += oks.filter((ok) => !ok).length;
        }
      }),
    );
    return {
      ops,
      errors,
      exhausted,
      elapsedMs: Math.min(wallNow(), deadline) - started,
      latencies,
      pushes: 0,
    };
  },
  async close() {
    await pool?.end();
    return null;
  },
});
