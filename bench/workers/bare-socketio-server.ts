// The baseline for fan-out and memory: socket.io 4 alone, configured like the real server (websocket and
// polling, same ping and buffer settings), with no database, no authentication and no per-event logic.
// Clients join rooms named in their handshake; a trigger command broadcasts to one room or to many. With a
// DATABASE_URL it also runs an accept as raw `pg` (B2's fair baseline): the same statements our server sends,
// in one transaction, then one emit per event to its offerer's room, as our pushes go. With REDIS_URL (and
// REDIS_PREFIX) it runs behind the sharded Redis adapter, as the real server does on several nodes.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { accountKey } from '../../src/domain/account-keys.ts';
import { Server } from 'socket.io';

type OfferRow = { cleaning_id: number; user_id: number; status: string; created_at: Date; updated_at: Date };
type CleaningRow = Record<string, unknown> & { id: number; owner: number; last_seq: string; price: string };

const pool = process.env.DATABASE_URL
  ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
  : undefined;
pool?.on('error', () => {});
const iso = (v: Date | string) => new Date(v).toISOString();

/**
 * What the database's schema has, read once: `--compare` runs this baseline against an older server's schema,
 * without account keys (migration 0007) or the notice log (0005); the baseline then sends what that server did.
 */
type Schema = { accountKeys: boolean; notices: boolean };
let schema: Promise<Schema> | undefined;
const schemaOf = (c: pg.PoolClient) =>
  (schema ??= c
    .query<Schema>(
      `select exists (select 1 from information_schema.columns
                       where table_name = 'users' and column_name = 'username_key') as "accountKeys",
              to_regclass('notices') is not null as notices`,
    )
    .then((r) => r.rows[0]!));

/** acceptOffer's statements (lock, offerer, offers, one update, one append with its notice and NOTIFY), raw. */
async function acceptRaw(cleaningId: number, username: string) {
  const c = await pool!.connect();
  try {
    const has = await schemaOf(c);
    await c.query('begin');
    const cleaning = (
      await c.query<CleaningRow>('select * from cleanings where id = $1 for update', [cleaningId])
    ).rows[0]!;
    const userId = (
      has.accountKeys
        ? await c.query<{ id: number }>('select id from users where username_key = $1', [
            accountKey(username),
          ])
        : await c.query<{ id: number }>('select id from users where lower(username) = lower($1)', [username])
    ).rows[0]!.id;
    const offers = (
      await c.query<OfferRow>(
        'select cleaning_id, user_id, status, created_at, updated_at from offers where cleaning_id = $1 order by created_at, user_id',
        [cleaningId],
      )
    ).rows;
    const now = new Date().toISOString();
    const moved = offers
      .filter((o) => o.status === 'pending')
      .map((o) => ({ o, status: o.user_id === userId ? 'accepted' : 'rejected' }))
      .sort((a, b) => (a.status === 'accepted' ? -1 : b.status === 'accepted' ? 1 : 0));
    const ids = (status: string) => `{${moved.filter((m) => m.status === status).map((m) => m.o.user_id)}}`;
    await c.query(
      `update offers set status = case when user_id = any($1::int[]) then $2 when user_id = any($3::int[]) then $4 end,
              updated_at = $5::timestamptz
        where cleaning_id = $6 and user_id = any($7::int[])`,
      [
        ids('accepted'),
        'accepted',
        ids('rejected'),
        'rejected',
        now,
        cleaningId,
        `{${moved.map((m) => m.o.user_id)}}`,
      ],
    );
    let seq = Number(cleaning.last_seq);
    const events = moved.map((m) => ({
      cleaning_id: cleaningId,
      seq: ++seq,
      type: m.status,
      user_id: m.o.user_id,
      offer: {
        created_at: iso(m.o.created_at),
        updated_at: now,
        user_id: m.o.user_id,
        cleaning_id: cleaningId,
        status: m.status,
        user: null,
        cleaning: null,
      },
      at: now,
    }));
    const json = JSON.stringify(events);
    const notice = {
      id: randomUUID(),
      type: 'cleaning:assigned',
      data: {
        cleaning: {
          id: cleaning.id,
          created_at: iso(cleaning.created_at as Date),
          updated_at: iso(cleaning.updated_at as Date),
          name: cleaning.name,
          description: cleaning.description ?? null,
          price: Number(cleaning.price),
          cleaning_type: cleaning.cleaning_type,
          owner: cleaning.owner,
          status: 'assigned',
          total_offers: offers.length,
        },
      },
      at: now,
    };
    const offersAppended = `offers_appended as (
         insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
         select e.cleaning_id, e.seq, e.type, e.user_id, e.offer, e.at
           from jsonb_to_recordset($1::jsonb)
             as e(cleaning_id integer, seq bigint, type text, user_id integer, offer jsonb, at timestamptz)
       ), advanced as (update cleanings set last_seq = $2 where id = $3)`;
    const offersAnnounced = JSON.stringify({ c: cleaningId, f: events[0]!.seq, t: seq });
    if (has.notices)
      await c.query(
        `with ${offersAppended},
         notices_appended as (
           insert into notices (id, type, data, at)
           select n.id, n.type, n.data, n.at
             from jsonb_to_recordset($4::jsonb) as n(id uuid, type text, data jsonb, at timestamptz)
         )
         select pg_notify($5, $6), pg_notify($5, $7)`,
        [
          json,
          seq,
          cleaningId,
          JSON.stringify([notice]),
          'bench_bare_events',
          offersAnnounced,
          JSON.stringify({ c: cleaningId, i: notice.id }),
        ],
      );
    else
      await c.query(`with ${offersAppended} select pg_notify($4, $5)`, [
        json,
        seq,
        cleaningId,
        'bench_bare_events',
        offersAnnounced,
      ]);
    await c.query('commit');
    return events;
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

const httpServer = createServer();
const io = new Server(httpServer, {
  path: '/socket.io',
  maxHttpBufferSize: 16 * 1024,
  pingInterval: 20_000,
  pingTimeout: 20_000,
  connectTimeout: 10_000,
  serveClient: false,
  ...(process.env.REDIS_URL
    ? {
        adapter: createShardedAdapter(new Redis(process.env.REDIS_URL), new Redis(process.env.REDIS_URL), {
          channelPrefix: process.env.REDIS_PREFIX ?? 'bare',
          subscriptionMode: 'dynamic',
        }),
      }
    : {}),
});

type Ack = (response: { ok: boolean; data: null }) => void;

io.on('connection', (socket) => {
  const rooms = (socket.handshake.auth as { rooms?: unknown }).rooms;
  if (Array.isArray(rooms)) for (const room of rooms) if (typeof room === 'string') void socket.join(room);
  // One message to every socket of a room: what the issue names as the baseline.
  socket.on('bench:room-emit', (p: { room: string; message: unknown }, ack: Ack) => {
    io.to(p.room).emit('bench:message', p.message);
    ack({ ok: true, data: null });
  });
  // A distinct message to each of `count` rooms: what an accept with `count` offers has to do.
  socket.on('bench:each-emit', (p: { prefix: string; count: number; message: unknown }, ack: Ack) => {
    for (let i = 0; i < p.count; i++) io.to(`${p.prefix}${i}`).emit('bench:message', p.message);
    ack({ ok: true, data: null });
  });
  // B2's fair baseline: the accept's transaction through raw pg, then each event to its offerer's room.
  socket.on('bench:accept', (p: { cleaning_id: number; username: string }, ack: Ack) => {
    acceptRaw(p.cleaning_id, p.username).then(
      (events) => {
        ack({ ok: true, data: null });
        for (const e of events) io.to(`user:${e.user_id}`).emit('bench:message', e);
      },
      () => ack({ ok: false, data: null }),
    );
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '0.0.0.0', () => {
  const { port } = httpServer.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://localhost:${port}`, msg: 'bare socket.io listening' }));
});
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
