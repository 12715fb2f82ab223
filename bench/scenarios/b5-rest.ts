// B5: REST initial loads at realistic table sizes: the offers of a cleaning (owner), the caller's own offers,
// the job board, one offer and the caller's account, measured with autocannon against a bare node:http + pg
// server doing the same work; plus the query plans behind them.
import autocannon from 'autocannon';
import {
  createBenchDatabase,
  serverEnv,
  startBareRest,
  startServer,
  type BenchProcess,
} from '../lib/services.ts';
import { createSeeder } from '../lib/seed.ts';
import { median, ms, ratio } from '../lib/stats.ts';
import { say, table, type Row, type ScenarioResult } from '../lib/report.ts';

export type B5Options = {
  owners: number;
  cleaningsPerOwner: number;
  offersPerCleaning: number;
  cleaners: number;
  connections: number;
  durationS: number;
  warmupS: number;
  reps: number;
  /** Configurations of our server measured side by side (before/after a setting); default: one, as deployed. */
  variants?: { label: string; env: Record<string, string> }[];
};

type Endpoint = { label: string; path: string; token: string; floor?: boolean };
type Figures = { rps: number; p50: number; p99: number; non2xx: number; errors: number };
type EndpointResult = { endpoint: Endpoint; reps: Record<string, Figures[]>; median: Map<string, Figures> };

const BASELINE = 'bare node:http + pg';

function medianFigures(reps: Figures[]): Figures {
  return {
    rps: median(reps.map((r) => r.rps)),
    p50: median(reps.map((r) => r.p50)),
    p99: median(reps.map((r) => r.p99)),
    non2xx: reps.reduce((s, r) => s + r.non2xx, 0),
    errors: reps.reduce((s, r) => s + r.errors, 0),
  };
}

export async function runB5(o: B5Options, nodeArgs: string[] = []): Promise<ScenarioResult> {
  const db = await createBenchDatabase('b5');
  const seed = createSeeder(db.url);
  const first = await startServer(serverEnv({ databaseUrl: db.url }), [], 'b5-migrate');
  await first.stop();
  try {
    say(`B5: seeding ${o.owners * o.cleaningsPerOwner * o.offersPerCleaning} offers`);
    const owners = await seed.users('b5owner', o.owners);
    const cleaners = await seed.users('b5cleaner', o.cleaners);
    const firstCleaner = cleaners[0]!.id;
    for (const owner of owners) await seed.cleanings(owner.id, o.cleaningsPerOwner);
    // Every cleaning gets offers from consecutive cleaners (wrapping), each with its `created` event.
    await seed.sql(
      `with c as (select id, row_number() over (order by id) - 1 as n from cleanings)
       insert into offers (cleaning_id, user_id, status, created_at, updated_at)
       select c.id, $1 + ((c.n * $2 + k) % $3), 'pending', now() - (c.n || ' seconds')::interval, now() - (c.n || ' seconds')::interval
         from c, generate_series(0, $2 - 1) as k`,
      [firstCleaner, o.offersPerCleaning, o.cleaners],
    );
    await seed.sql(
      `insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
       select cleaning_id, row_number() over (partition by cleaning_id order by user_id), 'created', user_id,
              jsonb_build_object('user_id', user_id, 'cleaning_id', cleaning_id, 'status', 'pending'), created_at
         from offers`,
    );
    await seed.sql(`update cleanings set last_seq = ${o.offersPerCleaning}`);
    // A few thousand edits, so that the job board merges creations and updates as in real use.
    await seed.sql(
      `update cleanings set updated_at = now() - ((id % 1000) || ' seconds')::interval, price = price + 1 where id % 10 = 0`,
    );
    await seed.sql('vacuum analyze');
    const [{ n: offerCount } = { n: 0 }] = await seed.sql<{ n: number }>(
      'select count(*)::int as n from offers',
    );
    const [{ n: eventCount } = { n: 0 }] = await seed.sql<{ n: number }>(
      'select count(*)::int as n from offer_events',
    );

    const owner = owners[Math.floor(owners.length / 2)]!;
    const [{ id: cleaningId } = { id: 0 }] = await seed.sql<{ id: number }>(
      'select id from cleanings where owner = $1 order by id limit 1',
      [owner.id],
    );
    const cleaner = cleaners[Math.floor(cleaners.length / 2)]!;
    const [{ username: offererName } = { username: '' }] = await seed.sql<{ username: string }>(
      'select u.username from offers o join users u on u.id = o.user_id where o.cleaning_id = $1 order by o.user_id limit 1',
      [cleaningId],
    );
    const endpoints: Endpoint[] = [
      {
        label: `GET /api/cleanings/{id}/offers/ (owner, ${o.offersPerCleaning} offers)`,
        path: `/api/cleanings/${cleaningId}/offers/`,
        token: owner.token,
      },
      {
        label: `GET /api/users/me/offers/ (cleaner, ${Math.round((o.owners * o.cleaningsPerOwner * o.offersPerCleaning) / o.cleaners)} offers)`,
        path: '/api/users/me/offers/',
        token: cleaner.token,
      },
      {
        label: 'GET /api/feed/cleanings/ (first page, 20 items)',
        path: '/api/feed/cleanings/',
        token: cleaner.token,
      },
      {
        label: 'GET /api/cleanings/{id}/offers/{username}/ (O3, owner)',
        path: `/api/cleanings/${cleaningId}/offers/${offererName}/`,
        token: owner.token,
      },
      { label: 'GET /api/users/me/', path: '/api/users/me/', token: cleaner.token },
      { label: 'GET /healthz (floor: no auth, no database)', path: '/healthz', token: '', floor: true },
    ];

    // Our server (in each of its variants) and the bare baseline run side by side; every endpoint is measured
    // on each in turn, the order swapped every repetition, so that a busy moment of the machine hits both.
    const variants = o.variants ?? [{ label: 'Phresh Live', env: {} }];
    const targets: { label: string; process: BenchProcess }[] = [];
    for (const [i, v] of variants.entries())
      targets.push({
        label: v.label,
        process: await startServer(
          serverEnv({ databaseUrl: db.url, extra: v.env }),
          nodeArgs,
          `b5-server-${i}`,
        ),
      });
    targets.push({ label: BASELINE, process: await startBareRest(db.url) });
    const results: EndpointResult[] = [];
    try {
      for (const e of endpoints) {
        const headers: Record<string, string> = e.token ? { authorization: `Bearer ${e.token}` } : {};
        const run = (url: string, duration: number) =>
          autocannon({ url: url + e.path, connections: o.connections, duration, headers });
        for (const t of targets) await run(t.process.url, o.warmupS);
        const reps = new Map<string, Figures[]>(targets.map((t) => [t.label, []]));
        for (let i = 0; i < o.reps; i++) {
          const order = i % 2 === 0 ? targets : [...targets].reverse();
          for (const t of order) {
            const r = await run(t.process.url, o.durationS);
            reps.get(t.label)!.push({
              rps: r.requests.mean,
              p50: r.latency.p50,
              p99: r.latency.p99,
              non2xx: r.non2xx,
              errors: r.errors + r.timeouts,
            });
          }
        }
        const byTarget = new Map([...reps].map(([label, figures]) => [label, medianFigures(figures)]));
        for (const [label, m] of byTarget)
          say(`B5: ${label}: ${e.label}: ${m.rps.toFixed(0)} req/s, p99 ${m.p99} ms, ${m.non2xx} non-2xx`);
        results.push({ endpoint: e, reps: Object.fromEntries(reps), median: byTarget });
      }
    } finally {
      for (const t of targets) await t.process.stop();
    }

    // The plans of the queries behind these endpoints and the socket handshake, at this size.
    const plans = [
      {
        label: 'token → user (every authenticated request and handshake)',
        sql: `select * from users where username = $1 limit 1`,
        params: [cleaner.username],
      },
      {
        label: 'offers of a cleaning (O2)',
        sql: `select * from offers where cleaning_id = $1 order by created_at desc, user_id desc`,
        params: [cleaningId],
      },
      {
        label: 'my offers',
        sql: `select * from offers where user_id = $1 order by created_at desc, cleaning_id desc`,
        params: [cleaner.id],
      },
      {
        label: 'offer log after a seq (subscribe / GET events)',
        sql: `select * from offer_events where cleaning_id = $1 and seq > $2 and seq <= $3 order by seq asc limit 5001`,
        params: [cleaningId, 2, 1000],
      },
      {
        label: 'offers:sync, three cursors (one query for all of them)',
        sql: `select e.* from unnest($1::int[], $2::bigint[], $3::bigint[], $4::int[]) with ordinality
                as q(cleaning_id, since, up_to, only_user_id, position)
              cross join lateral (select * from offer_events e
                where e.cleaning_id = q.cleaning_id and e.seq > q.since and e.seq <= q.up_to
                  and (q.only_user_id = 0 or e.user_id = q.only_user_id) order by e.seq limit 5001) e
              order by q.position, e.seq limit 5001`,
        params: [
          `{${cleaningId},${cleaningId + 1},${cleaningId + 2}}`,
          '{0,0,0}',
          '{1000,1000,1000}',
          `{0,0,${cleaner.id}}`,
        ],
      },
      {
        label: 'offer log, one offerer’s events',
        sql: `select * from offer_events where cleaning_id = $1 and user_id = $2 and seq > 0 order by seq asc limit 5001`,
        params: [cleaningId, cleaner.id],
      },
      {
        label: 'job board, first page',
        sql: `select * from ((select id, created_at as t from cleanings where (created_at, id) < (now(), 2147483647) order by created_at desc, id desc limit 20)
              union all (select id, updated_at from cleanings where updated_at <> created_at and (updated_at, id) < (now(), 2147483647) order by updated_at desc, id desc limit 20)) m order by t desc, id desc limit 20`,
        params: [],
      },
    ];
    const planLines: string[] = [];
    for (const p of plans) {
      const rows = await seed.sql<{ 'QUERY PLAN': string }>(
        `explain (analyze, costs off, timing off, summary on) ${p.sql}`,
        p.params,
      );
      const text = rows.map((r) => r['QUERY PLAN']);
      const scans = text.filter((l) => /Scan|Sort|Limit/.test(l)).map((l) => l.trim().replace(/^->\s*/, ''));
      const exec = text.find((l) => l.startsWith('Execution Time')) ?? '';
      planLines.push(`- ${p.label}: ${scans.slice(0, 3).join('; ')} — ${exec.toLowerCase()}`);
    }

    const floorOf = (label: string) => results.find((r) => r.endpoint.floor)?.median.get(label)?.rps ?? NaN;
    const ours = variants.map((v) => v.label);
    const rows: Row[] = results.flatMap((r) => {
      const base = r.median.get(BASELINE)!;
      return ours.map((label): Row => {
        const m = r.median.get(label)!;
        const share = m.rps / base.rps;
        return {
          scenario: 'B5',
          metric: `${ours.length > 1 ? `${label}: ` : ''}${r.endpoint.label}: req/s, p99 ms`,
          value: `${m.rps.toFixed(0)}, ${ms(m.p99)}`,
          baseline: `${base.rps.toFixed(0)}, ${ms(base.p99)}`,
          ratio: ratio(m.rps, base.rps),
          target: r.endpoint.floor ? '' : '≥ 0.7×',
          verdict: r.endpoint.floor ? '' : share >= 0.7 ? 'met' : 'missed',
          measure: { value: m.rps, higherIsBetter: true },
        };
      });
    });
    return {
      id: 'B5',
      title: 'REST initial loads',
      rows,
      details: [
        `Tables: ${o.owners * o.cleaningsPerOwner} cleanings of ${o.owners} owners, ${offerCount} offers from ${o.cleaners} cleaners (${o.offersPerCleaning} per cleaning), ${eventCount} offer events, one in ten cleanings edited. autocannon, ${o.connections} connections, ${o.reps} × ${o.durationS} s after ${o.warmupS} s of warm-up per endpoint and server; medians. The servers run side by side on one database, and each endpoint is measured on each of them in turn (the order swapped every repetition). The baseline (\`bench/workers/bare-rest-server.ts\`) answers the same routes on \`node:http\` and \`pg\` alone: the same token verification, the same user lookup, the same SQL as our server sends and \`JSON.stringify\` of the same shape, without framework, ORM, middleware or logging. \`GET /healthz\` is each server's HTTP floor (no authentication, no query); "of floor" is an endpoint's req/s as a share of its own server's floor.`,
        '',
        ...table(
          ['endpoint', 'server', 'req/s', 'p50 ms', 'p99 ms', 'of floor', 'vs baseline', 'non-2xx', 'errors'],
          results.flatMap((r) =>
            targets.map((t) => {
              const m = r.median.get(t.label)!;
              return [
                r.endpoint.label,
                t.label,
                m.rps.toFixed(0),
                ms(m.p50),
                ms(m.p99),
                r.endpoint.floor ? '' : `${((m.rps / floorOf(t.label)) * 100).toFixed(1)} %`,
                t.label === BASELINE ? '' : ratio(m.rps, r.median.get(BASELINE)!.rps),
                String(m.non2xx),
                String(m.errors),
              ];
            }),
          ),
        ),
        '',
        `Query plans at this size (\`EXPLAIN ANALYZE\`):`,
        '',
        ...planLines,
      ],
      raw: {
        options: o,
        results: results.map((r) => ({
          label: r.endpoint.label,
          reps: r.reps,
          median: Object.fromEntries(r.median),
        })),
      },
    };
  } finally {
    await seed.close();
    await db.drop();
  }
}
