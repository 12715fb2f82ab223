import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Em } from '../../src/db/orm.ts';
import { isoTimestamp } from '../../src/db/timestamps.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** What `Date` makes of a value: the conversion the text rewrite must agree with (or the error it throws). */
function viaDate(v: string): string {
  try {
    return new Date(v).toISOString();
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
}

function viaRewrite(v: string): string {
  try {
    return isoTimestamp(v);
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
}

// Every fractional length from none to six digits, across years, plus the edges of the fast forms.
const VALUES_SQL = `
  select v, to_json(v) #>> '{}' as json
    from (
      select timestamptz '1970-01-01 00:00:00+00' + make_interval(secs => g * 987654.321987 + (g % 7) * 0.000011) as v
        from generate_series(0, 3000) g
      union all
      select unnest(array[
        '0099-01-01 00:00:00+00', '0999-12-31 23:59:59.5+00', '1000-01-01 00:00:00+00', '1969-12-31 23:59:59.999999+00',
        '2026-11-30 09:15:59+00', '2026-11-30 09:15:59.1+00', '2026-11-30 09:15:59.12+00', '2026-11-30 09:15:59.1239+00',
        '9999-12-31 23:59:59.999999+00', '0001-01-01 00:00:00+00 BC', 'infinity', '-infinity'
      ]::timestamptz[])
    ) t`;

describe('timestamps as the wire carries them', () => {
  it('turns what PostgreSQL returns into the ISO text Date would give, in a UTC session', async () => {
    const rows = await server.sql<{ v: unknown; json: string }>(VALUES_SQL);
    expect(rows.length).toBeGreaterThan(3000);
    // The driver keeps timestamptz as text: the rewrite is what runs, not a Date passed through.
    expect(rows.every((r) => typeof r.v === 'string')).toBe(true);
    const differing = rows
      .flatMap((r) => [r.v as string, r.json])
      .filter((v) => viaRewrite(v) !== viaDate(v))
      .map((v) => ({ v, rewrite: viaRewrite(v), date: viaDate(v) }));
    expect(differing).toEqual([]);
  });

  it('agrees with Date in a session of another time zone, and for its own output', async () => {
    const rows = await (server.app.orm.em.fork() as Em).transactional(async (tx) => {
      await tx.execute(`set local timezone = 'Asia/Kolkata'`);
      return tx.execute<{ v: string; json: string }[]>(VALUES_SQL);
    });
    expect(rows[0]!.v).toMatch(/\+05:30$/);
    const values = rows.flatMap((r) => [r.v, r.json, viaDate(r.v)]).filter((v) => !v.startsWith('throws'));
    expect(values.filter((v) => viaRewrite(v) !== viaDate(v))).toEqual([]);
  });

  it('keeps a Date’s instant', () => {
    const now = new Date();
    expect(isoTimestamp(now)).toBe(now.toISOString());
  });
});
