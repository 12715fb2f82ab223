// The baseline for B5: the same answers as our REST first loads, on `node:http` and `pg` alone (no framework,
// no ORM, no middleware, no logging). Each route does what ours does, in the same order: the same token
// verification (jsonwebtoken, same options), the same user lookup, the same SQL statements as our server sends
// (read from PostgreSQL's statement log), and JSON.stringify of the same shape. Written by hand, so that it moves
// only when an endpoint's work does (it borrows only the account key, the same pure function our lookups use).
import { createSecretKey } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { accountKey } from '../../src/domain/account-keys.ts';

// A key object made once, as our token service makes it.
const secret = createSecretKey(Buffer.from(process.env.SECRET_KEY ?? ''));
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
});
pool.on('error', () => {});

type UserRow = {
  id: number;
  username: string;
  email: string;
  is_active: boolean;
  is_superuser: boolean;
  email_verified: boolean;
  created_at: Date;
  updated_at: Date;
};

class HttpError extends Error {
  readonly status: number;
  readonly detail: string;
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

const iso = (v: Date | string) => new Date(v).toISOString();
const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

async function authenticate(req: IncomingMessage): Promise<UserRow> {
  const token = req.headers.authorization ? BEARER.exec(req.headers.authorization)?.[1] : undefined;
  if (!token) throw new HttpError(401, 'Not authenticated');
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, secret, {
      algorithms: ['HS256'],
      audience: 'phresh:auth',
      issuer: 'phresh.io',
    });
  } catch {
    throw new HttpError(401, 'Could not validate token credentials.');
  }
  if (typeof payload !== 'object' || typeof payload.username !== 'string' || typeof payload.sub !== 'string')
    throw new HttpError(401, 'Could not validate token credentials.');
  const { rows } = await pool.query<UserRow>(
    `select id, username, email, email_verified, is_active, is_superuser, created_at, updated_at
       from users where username = $1 limit 1`,
    [payload.username],
  );
  const user = rows[0];
  if (!user || user.email !== payload.sub) throw new HttpError(401, 'No authenticated user.');
  if (!user.is_active) throw new HttpError(401, 'Not an active user.');
  return user;
}

async function cleaningOf(id: number): Promise<{ id: number; owner: number }> {
  const { rows } = await pool.query<{ id: number; owner: number }>(
    'select "c0".* from "cleanings" as "c0" where "c0"."id" = $1 limit 1',
    [id],
  );
  if (!rows[0]) throw new HttpError(404, 'No cleaning found with that id.');
  return rows[0];
}

const STANDING = `cross join lateral (
    select count(*)::int as standing_total_offers,
           coalesce(max(case so.status when 'completed' then 'completed' when 'accepted' then 'assigned' end),
                    'open') as standing_status
      from offers so where so.cleaning_id = c.id
  ) standing`;

type Row = Record<string, unknown> & { created_at: Date; updated_at: Date };
const offerOf = (r: Row) => ({
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
  user_id: r.user_id,
  cleaning_id: r.cleaning_id,
  status: r.status,
  user: null as unknown,
  cleaning: null as unknown,
});

async function offersOfCleaning(user: UserRow, cleaningId: number): Promise<unknown> {
  const cleaning = await cleaningOf(cleaningId);
  if (cleaning.owner !== user.id) throw new HttpError(403, 'Only the owner may list offers.');
  const { rows } = await pool.query<Row>(
    `select o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at, u.username,
            p.user_id is not null as has_profile, p.full_name, p.bio, p.image, reputation.*
       from offers o
       join users u on u.id = o.user_id
       left join profiles p on p.user_id = o.user_id
       cross join lateral (
    select count(*)::int as total_evaluations,
           sum(ev.overall_rating)::float8 / nullif(count(*), 0) as avg_overall_rating
      from evaluations ev where ev.cleaner_id = o.user_id
  ) reputation
      where o.cleaning_id = $1
      order by o.created_at desc, o.user_id desc`,
    [cleaningId],
  );
  return rows.map((r) => ({
    ...offerOf(r),
    user: {
      id: r.user_id,
      username: r.username,
      profile: r.has_profile ? { full_name: r.full_name, bio: r.bio, image: r.image } : null,
      total_evaluations: Number(r.total_evaluations),
      avg_overall_rating: r.avg_overall_rating === null ? null : Number(r.avg_overall_rating),
    },
  }));
}

const cleaningOfRow = (r: Row, prefix: string) => ({
  id: r[`${prefix}id`] ?? r.cleaning_id,
  created_at: iso(r[`${prefix}created_at`] as Date),
  updated_at: iso(r[`${prefix}updated_at`] as Date),
  name: r[`${prefix}name`],
  description: r[`${prefix}description`] ?? null,
  price: Number(r[`${prefix}price`]),
  cleaning_type: r[`${prefix}cleaning_type`],
  owner: r[`${prefix}owner`],
  status: r.standing_status,
  total_offers: Number(r.standing_total_offers),
});

async function myOffers(user: UserRow): Promise<unknown> {
  const { rows } = await pool.query<Row>(
    `select o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at,
            c.owner as c_owner, c.name as c_name, c.description as c_description,
            c.cleaning_type as c_cleaning_type, c.price as c_price, c.last_seq as c_last_seq,
            c.created_at as c_created_at, c.updated_at as c_updated_at, standing.*
       from offers o
       join cleanings c on c.id = o.cleaning_id
       ${STANDING}
      where o.user_id = $1
      order by o.created_at desc, o.cleaning_id desc`,
    [user.id],
  );
  return rows.map((r) => ({ ...offerOf(r), cleaning: cleaningOfRow(r, 'c_'), seq: Number(r.c_last_seq) }));
}

async function feed(): Promise<unknown> {
  const now = new Date().toISOString();
  const { rows } = await pool.query<Row>(
    `with page as (
       select * from (
         (select id, created_at as event_timestamp, 'is_create' as event_type from cleanings
           where (created_at, id) < ($1::timestamptz, $2::int) order by created_at desc, id desc limit $3)
         union all
         (select id, updated_at, 'is_update' from cleanings
           where updated_at <> created_at and (updated_at, id) < ($1::timestamptz, $2::int)
           order by updated_at desc, id desc limit $3)
       ) merged
       order by event_timestamp desc, id desc
       limit $3
     )
     select c.id, c.owner, c.name, c.description, c.cleaning_type, c.price, c.created_at, c.updated_at,
            page.event_timestamp, page.event_type, u.username, p.full_name, p.bio, p.image, standing.*
       from page
       join cleanings c on c.id = page.id
       ${STANDING}
       join users u on u.id = c.owner
       left join profiles p on p.user_id = u.id
      order by page.event_timestamp desc, page.id desc`,
    [now, 2147483647, 20],
  );
  return rows.map((r, i) => ({
    ...cleaningOfRow(r, ''),
    owner: {
      id: r.owner,
      username: r.username,
      profile: { full_name: r.full_name, bio: r.bio, image: r.image },
    },
    row_number: i + 1,
    event_timestamp: iso(r.event_timestamp as Date),
    event_type: r.event_type,
  }));
}

async function oneOffer(user: UserRow, cleaningId: number, username: string): Promise<unknown> {
  const { rows } = await pool.query<Row & { owner: number; offerer_id: number | null; has_offer: boolean }>(
    `select c.owner, u.id as offerer_id, o.user_id is not null as has_offer,
            o.cleaning_id, o.user_id, o.status, o.created_at, o.updated_at
       from cleanings c
       left join users u on u.username_key = $1
       left join offers o on o.cleaning_id = c.id and o.user_id = u.id
      where c.id = $2
      limit 1`,
    [accountKey(username), cleaningId],
  );
  const row = rows[0];
  if (!row) throw new HttpError(404, 'No cleaning found with that id.');
  if (row.owner !== user.id && accountKey(user.username) !== accountKey(username))
    throw new HttpError(403, 'Not allowed.');
  if (row.offerer_id === null) throw new HttpError(404, 'No user found with that username.');
  if (!row.has_offer) throw new HttpError(404, 'Offer not found.');
  return offerOf(row);
}

async function me(user: UserRow): Promise<unknown> {
  const { rows } = await pool.query<Row>(
    `select id, user_id, full_name, phone_number, bio, image, created_at, updated_at
       from profiles where user_id = $1 limit 1`,
    [user.id],
  );
  const p = rows[0];
  return {
    id: user.id,
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
    email: user.email,
    username: user.username,
    email_verified: user.email_verified,
    is_active: user.is_active,
    is_superuser: user.is_superuser,
    access_token: null,
    profile: p
      ? {
          id: p.id,
          created_at: iso(p.created_at),
          updated_at: iso(p.updated_at),
          full_name: p.full_name ?? null,
          phone_number: p.phone_number ?? null,
          bio: p.bio ?? null,
          image: p.image ?? null,
          user_id: p.user_id,
          username: null,
          email: null,
        }
      : null,
  };
}

const OFFERS = /^\/api\/cleanings\/(\d+)\/offers\/?$/;
const OFFER = /^\/api\/cleanings\/(\d+)\/offers\/([^/]+)\/?$/;

async function route(req: IncomingMessage): Promise<unknown> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/healthz') return { status: 'ok' };
  if (req.method !== 'GET') throw new HttpError(405, 'Method Not Allowed');
  let m: RegExpExecArray | null;
  if ((m = OFFERS.exec(path))) return offersOfCleaning(await authenticate(req), Number(m[1]));
  if ((m = OFFER.exec(path)))
    return oneOffer(await authenticate(req), Number(m[1]), decodeURIComponent(m[2]!));
  if (path === '/api/users/me/offers/' || path === '/api/users/me/offers')
    return myOffers(await authenticate(req));
  if (path === '/api/feed/cleanings/' || path === '/api/feed/cleanings') {
    await authenticate(req);
    return feed();
  }
  if (path === '/api/users/me/' || path === '/api/users/me') return me(await authenticate(req));
  throw new HttpError(404, 'Not Found');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = createServer((req, res) => {
  route(req).then(
    (body) => send(res, 200, body),
    (e: unknown) => {
      if (e instanceof HttpError) send(res, e.status, { detail: e.detail });
      else send(res, 500, { detail: 'Internal Server Error' });
    },
  );
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '0.0.0.0', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://localhost:${port}`, msg: 'bare REST listening' }));
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
});
