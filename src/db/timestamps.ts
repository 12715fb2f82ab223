// Timestamps reach us in two text forms: PostgreSQL's own (the driver keeps `timestamptz` as text, e.g.
// `2026-11-30 09:15:59.123456+00`) and ISO (what the log's records and announcements carry). The wire wants ISO
// with milliseconds. Every command and every relayed event converts several, so the common forms are rewritten
// as text; anything else goes through `Date`. For every value PostgreSQL or `toISOString` writes, the
// rewrite gives what `Date` would.

// ISO as `Date#toISOString` writes it for years 0000-9999.
const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
// PostgreSQL's text form of a `timestamptz` in a UTC session, years 1000-9999 (earlier years, BC and
// `infinity` take the general path).
const POSTGRES_UTC = /^([1-9]\d{3}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/** A timestamp as the wire carries it (ISO, milliseconds, UTC), whichever way the driver or a record holds it. */
export function isoTimestamp(v: Date | string): string {
  if (typeof v === 'string') {
    if (CANONICAL_ISO.test(v)) return v;
    const pg = POSTGRES_UTC.exec(v);
    // Milliseconds are truncated, as `Date` does when it parses more digits.
    if (pg) return `${pg[1]}T${pg[2]}.${(pg[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  }
  return new Date(v).toISOString();
}
